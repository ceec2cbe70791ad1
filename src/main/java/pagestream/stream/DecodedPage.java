package pagestream.stream;

import pagestream.model.processor.RgbImage;

import java.util.Objects;

/**
 * One page taken from a page event, ready for the model: {@code image} is already resized to the model's input
 * size (so a buffered page is ~600 KB at 448x448, whatever the source resolution).
 *
 * @param tenant        owner of the document, or {@code null}
 * @param metadataJson  the producer's JSON object, or {@code null}
 * @param contentSha256 hex SHA-256 of the event's image or PDF bytes
 */
public record DecodedPage(String docId, int page, String tenant, String metadataJson, String contentSha256,
                          RgbImage image) {

    public DecodedPage {
        Objects.requireNonNull(docId, "docId");
        Objects.requireNonNull(contentSha256, "contentSha256");
        Objects.requireNonNull(image, "image");
    }
}
