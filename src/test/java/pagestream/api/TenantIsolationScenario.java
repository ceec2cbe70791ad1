package pagestream.api;

import com.fasterxml.jackson.databind.JsonNode;
import pagestream.store.MultiVectorStore;
import pagestream.store.SearchFilter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pages of two tenants and of no tenant — the same images under each, so another tenant's page would score exactly
 * as high as one's own and only the filter keeps it out — and the queries that try to see across: a plain tenant
 * filter, a filter naming another tenant's document, wildcards and case variants, and malformed filters (empty,
 * array, object, duplicate keys, extra fields) that must be refused rather than read as "no filter".
 */
final class TenantIsolationScenario {

    /** Anything that answers a query event with the reply JSON (Kafka reply, HTTP body). */
    interface Search {
        JsonNode ask(String queryJson) throws Exception;
    }

    /** Filters that try to widen a tenant-A query, each with the error code it must get. */
    static Map<String, String> wideningAttempts(String a, String b) {
        return Map.of(
                "{\"tenant\": \"\"}", "wrong_type",
                "{\"tenant\": [\"" + a + "\", \"" + b + "\"]}", "wrong_type",
                "{\"tenant\": {\"$ne\": \"" + a + "\"}}", "wrong_type",
                "{\"tenant\": true}", "wrong_type",
                "{\"tenant\": \"" + a + "\", \"tenant\": \"" + b + "\"}", "bad_json",
                "{\"tenant\": \"" + a + "\", \"or\": {\"tenant\": \"" + b + "\"}}", "unknown_field",
                "{\"tenant\": \"" + a + "\", \"tenants\": [\"" + b + "\"]}", "unknown_field");
    }

    final String a;
    final String b;

    TenantIsolationScenario(String prefix) {
        this.a = prefix + "-tenant-a";
        this.b = prefix + "-tenant-b";
    }

    String docOf(String tenant, int i) {
        return tenant + "-doc-" + i;
    }

    /** Two pages for each tenant and one without a tenant; returns once all five are stored. */
    void ingest(KafkaQueryClient client, MultiVectorStore store) throws Exception {
        for (String tenant : List.of(a, b)) {
            client.sendPage(docOf(tenant, 1), TestPages.png(), tenant);
            client.sendPage(docOf(tenant, 2), TestPages.jpeg(), tenant);
        }
        client.sendPage(a + "-untenanted", TestPages.png(), null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (store.count(SearchFilter.tenant(a)) + store.count(SearchFilter.tenant(b)) < 4
                || store.count(SearchFilter.any().withDocId(a + "-untenanted")) < 1) {
            assertThat(System.nanoTime()).as("pages stored in time").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Runs every check through {@code search}; returns the replies (for checks on their content). */
    List<JsonNode> assertIsolated(Search search) throws Exception {
        List<JsonNode> replies = new ArrayList<>();
        for (String tenant : List.of(a, b)) {
            JsonNode reply = search.ask(query("{\"tenant\": \"" + tenant + "\"}"));
            replies.add(reply);
            assertThat(docsOf(reply)).as("tenant %s sees its own pages only", tenant)
                    .containsExactlyInAnyOrder(docOf(tenant, 1), docOf(tenant, 2));
            assertThat(reply.get("results")).allMatch(hit -> tenant.equals(hit.get("tenant").asText()));
        }
        for (String narrowed : List.of(
                "{\"tenant\": \"" + a + "\", \"doc_id\": \"" + docOf(b, 1) + "\"}", // B's document under A
                "{\"tenant\": \"" + a + "\", \"doc_id\": \"" + a + "-untenanted\"}", // a page without tenant
                "{\"tenant\": \"*\"}", "{\"tenant\": \"%\"}", "{\"tenant\": \".*\"}",
                "{\"tenant\": \"" + a.toUpperCase() + "\"}", "{\"tenant\": \" " + a + "\"}")) {
            JsonNode reply = search.ask(query(narrowed));
            replies.add(reply);
            assertThat(reply.get("results")).as(narrowed).isNotNull().isEmpty();
        }
        for (Map.Entry<String, String> attempt : wideningAttempts(a, b).entrySet()) {
            JsonNode reply = search.ask(query(attempt.getKey()));
            replies.add(reply);
            assertThat(reply.path("error").path("code").asText()).as(attempt.getKey()).isEqualTo(attempt.getValue());
            assertThat(reply.has("results")).isFalse();
        }
        return replies;
    }

    static String query(String filter) {
        return "{\"query\": \"quarterly revenue report\", \"top_k\": 100, \"filter\": " + filter + "}";
    }

    static List<String> docsOf(JsonNode reply) {
        assertThat(reply.has("results")).as("a result reply: %s", reply).isTrue();
        List<String> docs = new ArrayList<>();
        reply.get("results").forEach(hit -> docs.add(hit.get("doc_id").asText()));
        return docs;
    }
}
