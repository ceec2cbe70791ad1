package pagestream.stream;

import java.util.Optional;

/** A validated query event: the text, how many pages to return and the optional payload filter. */
public record QueryRequest(String query, int topK, Optional<String> tenant, Optional<String> docId) {
}
