package pagestream.model.processor;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Java twin of transformers' {@code ColPaliProcessor}: page images to {@code pixel_values}, and the page and query
 * prompts to token ids, exactly as the reference builds them.
 *
 * <ul>
 *   <li>Images: {@code convert("RGB")} (done by {@link ImageDecoder}), PIL bicubic resize to {@code S x S}
 *       ({@link BicubicResizer}), rescale + normalise ({@link PixelNormalizer}), channels-first.</li>
 *   <li>Page prompt: {@code "<image>" x numImageTokens + "<bos>" + "Describe the image." + "\n"}.</li>
 *   <li>Query prompt: {@code "<bos>" + "Question: " + query + "<pad>" x 10 + "\n"}, right-padded with the
 *       {@code <pad>} id (mask 0) to the longest in the batch; never truncated (the reference's
 *       {@code max_length=50} has no effect with {@code padding="longest"}).</li>
 * </ul>
 * The tokenizer never adds special tokens itself ({@code <bos>} is written in the prompt), never truncates and
 * never pads (DJL pads with id 0, which is not {@code <pad>} in every vocabulary). Thread-safe.
 */
public final class ColPaliProcessor implements AutoCloseable {

    static final String IMAGE_TOKEN = "<image>";
    static final String VISUAL_PROMPT = "Describe the image.";
    static final String QUERY_PREFIX = "Question: ";
    static final int QUERY_AUGMENTATION_TOKENS = 10;
    /** An explicit bound far above any prompt: DJL otherwise truncates at 512 tokens. */
    private static final int TOKENIZER_MAX_LENGTH = 1 << 20;

    private final HuggingFaceTokenizer tokenizer;
    private final int imageSize;
    private final int numImageTokens;
    private final String bosToken;
    private final String padToken;
    private final long padId;
    private final long imageTokenId;
    private final long[] pagePromptIds;

    private ColPaliProcessor(HuggingFaceTokenizer tokenizer, int imageSize, int numImageTokens,
            String bosToken, String padToken) {
        this.tokenizer = tokenizer;
        this.imageSize = imageSize;
        this.numImageTokens = numImageTokens;
        this.bosToken = bosToken;
        this.padToken = padToken;
        this.padId = singleTokenId(padToken);
        this.imageTokenId = singleTokenId(IMAGE_TOKEN);
        singleTokenId(bosToken);
        this.pagePromptIds = encode(IMAGE_TOKEN.repeat(numImageTokens) + bosToken + VISUAL_PROMPT + "\n");
        for (int i = 0; i < numImageTokens; i++) {
            if (pagePromptIds[i] != imageTokenId) {
                throw new IllegalStateException("tokenizer does not keep " + IMAGE_TOKEN + " as one token: page prompt"
                        + " position " + i + " is id " + pagePromptIds[i] + ", not " + imageTokenId);
            }
        }
    }

    /**
     * Loads {@code tokenizer.json}; the {@code <bos>}/{@code <pad>} token strings come from
     * {@code special_tokens_map.json} or {@code tokenizer_config.json} beside it (Gemma's defaults otherwise).
     *
     * @param imageSize      the vision tower's square input side (448 for ColPali v1.x)
     * @param numImageTokens image tokens per page (= patches, 1024 for ColPali v1.x)
     */
    public static ColPaliProcessor create(Path tokenizerJson, int imageSize, int numImageTokens) {
        if (imageSize <= 0 || numImageTokens <= 0) {
            throw new IllegalArgumentException("imageSize and numImageTokens must be positive, got "
                    + imageSize + " and " + numImageTokens);
        }
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException("tokenizer file not found: " + tokenizerJson);
        }
        Path dir = tokenizerJson.toAbsolutePath().getParent();
        String bos = specialToken(dir, "bos_token", "<bos>");
        String pad = specialToken(dir, "pad_token", "<pad>");
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .optMaxLength(TOKENIZER_MAX_LENGTH)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
        try {
            return new ColPaliProcessor(tokenizer, imageSize, numImageTokens, bos, pad);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    public int imageSize() {
        return imageSize;
    }

    public int numImageTokens() {
        return numImageTokens;
    }

    public long padId() {
        return padId;
    }

    public long imageTokenId() {
        return imageTokenId;
    }

    /** {@code pixel_values} {@code [N, 3, S, S]} float32, channels-first, resizing images not yet {@code S x S}. */
    public float[] pixelValues(List<RgbImage> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to process");
        }
        return PixelValues.of(images, imageSize);
    }

    /** Input ids for {@code n} pages: the same prompt on every row, no padding. */
    public TokenBatch pageInputs(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("page batch must be positive, got " + n);
        }
        int length = pagePromptIds.length;
        long[] ids = new long[n * length];
        for (int i = 0; i < n; i++) {
            System.arraycopy(pagePromptIds, 0, ids, i * length, length);
        }
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1L);
        return new TokenBatch(n, length, ids, mask);
    }

    /** Input ids for a batch of queries, right-padded with {@code <pad>} (mask 0) to the longest. */
    public TokenBatch queryInputs(List<String> queries) {
        if (queries.isEmpty()) {
            throw new IllegalArgumentException("no queries to process");
        }
        List<long[]> rows = new ArrayList<>(queries.size());
        int length = 0;
        for (int i = 0; i < queries.size(); i++) {
            String query = Objects.requireNonNull(queries.get(i), "query " + i);
            long[] ids = encode(queryPrompt(query));
            rows.add(ids);
            length = Math.max(length, ids.length);
        }
        long[] ids = new long[queries.size() * length];
        long[] mask = new long[ids.length];
        Arrays.fill(ids, padId);
        for (int i = 0; i < rows.size(); i++) {
            long[] row = rows.get(i);
            System.arraycopy(row, 0, ids, i * length, row.length);
            Arrays.fill(mask, i * length, i * length + row.length, 1L);
        }
        return new TokenBatch(queries.size(), length, ids, mask);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** The number of tokens {@link #queryInputs} gives {@code query} before padding (the prompt included). */
    public int queryLength(String query) {
        return encode(queryPrompt(query)).length;
    }

    private String queryPrompt(String query) {
        return bosToken + QUERY_PREFIX + query + padToken.repeat(QUERY_AUGMENTATION_TOKENS) + "\n";
    }

    private long[] encode(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    private long singleTokenId(String token) {
        long[] ids = encode(token);
        if (ids.length != 1) {
            throw new IllegalStateException("special token " + token + " is not a single token in the vocabulary: "
                    + Arrays.toString(ids));
        }
        return ids[0];
    }

    /** A special token's text from the checkpoint's token files (a plain string or an AddedToken object). */
    private static String specialToken(Path dir, String key, String fallback) {
        ObjectMapper json = new ObjectMapper();
        for (String file : List.of("special_tokens_map.json", "tokenizer_config.json")) {
            Path path = dir.resolve(file);
            if (!Files.isRegularFile(path)) {
                continue;
            }
            try {
                JsonNode node = json.readTree(path.toFile()).path(key);
                if (node.isTextual()) {
                    return node.asText();
                }
                if (node.path("content").isTextual()) {
                    return node.path("content").asText();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
            }
        }
        return fallback;
    }
}
