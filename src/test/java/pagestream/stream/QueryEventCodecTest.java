package pagestream.stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class QueryEventCodecTest {

    private final QueryEventCodec codec = new QueryEventCodec(256, 100);

    private QueryEventCodec.Parsed parse(String json) {
        return codec.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void fullQueryIsParsed() {
        QueryEventCodec.Parsed parsed = parse(
                "{\"query\": \"quarterly revenue\", \"top_k\": 3, \"filter\": {\"tenant\": \"acme\", \"doc_id\": \"d1\"}}");
        assertThat(parsed.rejection()).isEmpty();
        assertThat(parsed.request()).contains(
                new QueryRequest("quarterly revenue", 3, Optional.of("acme"), Optional.of("d1")));
    }

    @Test
    void topKDefaultsToTenAndFilterIsOptional() {
        assertThat(parse("{\"query\": \"q\"}").request())
                .contains(new QueryRequest("q", 10, Optional.empty(), Optional.empty()));
        assertThat(parse("{\"query\": \"q\", \"filter\": null}").request()).isPresent();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"query\": \"q\", \"topk\": 3}                   | unknown_field | topk",
            "{\"query\": \"q\", \"filter\": {\"tenants\": \"a\"}} | unknown_field | filter.tenants",
            "{\"query\": \"q\", \"top_k\": 0}                   | bad_top_k     | between 1 and 100",
            "{\"query\": \"q\", \"top_k\": 101}                 | bad_top_k     | between 1 and 100",
            "{\"query\": \"q\", \"top_k\": 99999999999}         | bad_top_k     | 99999999999",
            "{\"query\": \"q\", \"top_k\": 2.5}                 | wrong_type    | top_k",
            "{\"query\": \"q\", \"top_k\": \"3\"}               | wrong_type    | top_k",
            "{\"query\": 42}                                    | wrong_type    | query",
            "{\"query\": \"  \"}                                | empty_query   | empty",
            "{\"top_k\": 3}                                     | missing_field | query",
            "{\"query\": \"q\", \"filter\": \"acme\"}           | wrong_type    | filter",
            "{\"query\": \"q\", \"filter\": {\"tenant\": 7}}    | wrong_type    | filter.tenant",
            "{\"query\": \"q\", \"query\": \"r\"}               | bad_json      | Duplicate field",
            "{\"query\": \"q\"} trailing                        | bad_json      | not valid JSON",
            "{\"query\": \"q\"                                  | bad_json      | not valid JSON",
            "[\"q\"]                                            | bad_json      | JSON object",
    })
    void badQueriesAreRefusedWithACode(String json, String reason, String messagePart) {
        QueryEventCodec.Parsed parsed = parse(json.strip());
        assertThat(parsed.request()).isEmpty();
        assertThat(parsed.rejection()).hasValueSatisfying(r -> {
            assertThat(r.reason()).isEqualTo(reason);
            assertThat(r.message()).contains(messagePart);
        });
    }

    @Test
    void oversizeAndEmptyValuesAreRefusedBeforeParsing() {
        String big = "{\"query\": \"" + "x".repeat(300) + "\"}";
        assertThat(parse(big).rejection()).hasValueSatisfying(r -> {
            assertThat(r.reason()).isEqualTo("oversize");
            assertThat(r.message()).contains("max-query-bytes");
        });
        assertThat(codec.parse(new byte[0]).rejection().map(Rejection::reason)).contains("empty_value");
        assertThat(codec.parse(null).rejection().map(Rejection::reason)).contains("empty_value");
    }
}
