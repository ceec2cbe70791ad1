package pagestream;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every {@code pagestream.*} setting of the service, in one place. Environment variables follow MicroProfile
 * Config's mapping ({@code pagestream.batch.max-size} = {@code PAGESTREAM_BATCH_MAX_SIZE}).
 */
@ConfigMapping(prefix = "pagestream")
public interface PageStreamConfig {

    /** A local checkpoint directory or a Hugging Face repo id, downloaded into the HF cache on first start. */
    @WithDefault("vidore/colpali-v1.3-hf")
    String model();

    /** Where the embedded broker's log and the embedded store live. */
    @WithDefault("./data")
    Path dataDir();

    /** {@code auto} (CUDA when present, else CPU), {@code cpu} or {@code cuda}. */
    @WithDefault("auto")
    String device();

    Batch batch();

    Topics topics();

    EmbeddedKafka embeddedKafka();

    Store store();

    Limits limits();

    Hub hub();

    Retry retry();

    Api api();

    Queries queries();

    interface Batch {
        /** A page batch is embedded when it holds this many pages... */
        @WithDefault("8")
        int maxSize();

        /** ...or when its oldest page has waited this long, whichever comes first. */
        @WithDefault("PT0.5S")
        Duration maxWait();

        /**
         * Pages per model call inside a batch: the executor's page lane starts a call only while no query is queued
         * or running, so this is how long a query shares the model (the CPU cores, the GPU) with page work.
         */
        @WithDefault("4")
        int pageSubBatch();

        /** Queries waiting together are embedded in one model call of up to this many. */
        @WithDefault("16")
        int maxQueryBatch();
    }

    interface Topics {
        @WithDefault("pagestream.pages")
        String pages();

        @WithDefault("pagestream.queries")
        String queries();

        @WithDefault("pagestream.replies")
        String replies();

        @WithDefault("pagestream.pages.dlq")
        String pagesDlq();

        @WithDefault("pagestream.queries.dlq")
        String queriesDlq();

        /** Partitions of topics the app creates when they are missing. */
        @WithDefault("3")
        int partitions();

        @WithDefault("1")
        short replicationFactor();
    }

    /** The in-process Apache Kafka broker started when {@code kafka.bootstrap.servers} is not set. */
    interface EmbeddedKafka {
        @WithDefault("9092")
        int port();

        /**
         * When any {@code pagestream.embedded-kafka.sasl-ssl.*} key is set, the broker's client listener is SASL_SSL
         * with SCRAM-SHA-512 instead of PLAINTEXT; the service's own clients then need the matching
         * {@code kafka.*} / {@code kafka-streams.*} security settings, like any client.
         */
        Optional<SaslSsl> saslSsl();

        interface SaslSsl {
            /** Key store (certificate + private key) the listener presents. */
            Path keyStore();

            /** {@code PKCS12} when absent (no default value here: that would make the whole group always present). */
            Optional<String> keyStoreType();

            String keyStorePassword();

            /** The SCRAM-SHA-512 user created on the cluster (and used by the broker itself). */
            String username();

            String password();
        }
    }

    interface Store {
        /** {@code auto} (Qdrant when {@code pagestream.store.qdrant.host} is set, else embedded), {@code embedded}, {@code qdrant}. */
        @WithDefault("auto")
        String type();

        Qdrant qdrant();
    }

    interface Qdrant {
        Optional<String> host();

        /** Qdrant's gRPC port. */
        @WithDefault("6334")
        int port();

        @WithDefault("false")
        boolean tls();

        /** PEM file of the CA (or self-signed certificate) to trust for TLS; absent: the JVM's default trust store. */
        Optional<Path> caCertificate();

        Optional<String> apiKey();

        @WithDefault("pagestream")
        String collection();

        /** Name of the multivector in the collection's named vectors. */
        @WithDefault("colpali")
        String vectorName();

        /** Upserts are split into requests of at most this many bytes of protobuf (a 1030x128 page is ~533 KB). */
        @WithDefault("3145728")
        int maxRequestBytes();

        @WithDefault("1")
        int shardNumber();

        @WithDefault("1")
        int replicationFactor();

        /** Write consistency factor of the collection (replicas that must acknowledge a write). */
        @WithDefault("1")
        int writeConsistencyFactor();

        @WithDefault("PT30S")
        Duration timeout();
    }

    interface Limits {
        /** Largest page event value accepted (an image or a whole PDF). */
        @WithDefault("52428800")
        int maxMessageBytes();

        /** Decompression-bomb guard: images whose declared size exceeds this are refused before decoding. */
        @WithDefault("89478485")
        long maxImagePixels();

        @WithDefault("500")
        int maxPdfPages();

        /**
         * Largest raster a PDF page is rendered to: a bigger page (over about A2 at 150 dpi) is rendered at the
         * largest lower resolution that fits; the model sees a few hundred pixels of it anyway.
         */
        @WithDefault("16777216")
        long maxPdfRenderPixels();

        /** Longest a whole PDF may take to render (in the stream thread); longer is {@code render_timeout}. */
        @WithDefault("PT60S")
        Duration maxPdfRenderTime();

        @WithDefault("65536")
        int maxQueryBytes();

        @WithDefault("100")
        int maxTopK();

        /**
         * Longest query in model tokens (its prompt included). Attention cost grows with the square of the length
         * and waiting queries are padded to the longest: a 64 KiB query is ~40,000 tokens, minutes of model time.
         */
        @WithDefault("512")
        int maxQueryTokens();
    }

    /**
     * What a page flush does when the vector store (or the model) fails for a reason a retry can outlive: back off
     * exponentially from {@code initial-backoff} to {@code max-backoff} (each delay jittered to 50..100 %), and when
     * the page buffer is full, hold the stream thread (no more input is read) for at most {@code max-block} before
     * aborting the transaction so Kafka Streams replaces the thread. Keep {@code max-block} well below
     * {@code max.poll.interval.ms} and the producer's {@code transaction.timeout.ms}.
     */
    interface Retry {
        @WithDefault("PT0.5S")
        Duration initialBackoff();

        @WithDefault("PT30S")
        Duration maxBackoff();

        @WithDefault("PT2M")
        Duration maxBlock();
    }

    /** Who may call {@code POST /search}. Health and metrics endpoints are not covered (they carry no pages). */
    interface Api {
        /**
         * API keys that may query any tenant, sent as {@code X-API-Key: <key>} or {@code Authorization: Bearer <key>}.
         * With neither this nor {@code tenant-keys} set, {@code POST /search} is open.
         */
        Optional<List<String>> keys();

        /**
         * API keys bound to one tenant, each {@code <tenant>:<key>} (split at the last colon): such a key's queries
         * are always filtered to its tenant; a query naming another tenant is refused (403).
         */
        Optional<List<String>> tenantKeys();

        Oidc oidc();

        /**
         * OIDC bearer access tokens (JWTs) verified against {@code quarkus.oidc.auth-server-url} (issuer, signature
         * by the provider's JWKS, expiry; {@code quarkus.oidc.token.audience} when set). The caller's tenant is
         * the token's {@code tenant-claim}: such a caller is bound to it like a tenant-bound key.
         */
        interface Oidc {
            /** Accept OIDC tokens (also switches Quarkus' default OIDC tenant on; off: the app starts without it). */
            @WithDefault("false")
            boolean enabled();

            /** The claim naming the caller's tenant; a token without it (or with a non-string value) is refused. */
            @WithDefault("tenant")
            String tenantClaim();

            /**
             * Longest wait for a token's verification (normally local; a JWKS refresh goes to the provider).
             * A Kafka query waits on its stream thread: an unreachable provider costs at most this, then an
             * {@code unavailable} error.
             */
            @WithDefault("PT5S")
            Duration verifyTimeout();

            /** Verified tokens remembered (by SHA-256) until they expire, so a stream thread verifies a token once. */
            @WithDefault("10000")
            int cacheSize();
        }
    }

    /**
     * Kafka query events. They are answered by a Kafka Streams application of their own ({@code <application
     * id>-queries}), apart from ingestion, so that ingestion's transaction commits and blocked page threads never
     * delay a reply.
     */
    interface Queries {
        /**
         * {@code none}: Kafka ACLs alone decide who may query, any tenant. {@code required}: every query event
         * carries {@code authorization: Bearer <API key or OIDC token>}, checked as {@code POST /search} checks it.
         */
        @WithDefault("none")
        Auth auth();

        enum Auth {
            NONE, REQUIRED
        }

        /**
         * {@code at_least_once}: a reply is visible as soon as the broker acknowledged it; after a crash a query may
         * be answered twice, with the same correlation id (request-reply clients drop a reply they no longer wait
         * for). {@code exactly_once_v2}: exactly one reply, visible only at the query transaction's commit.
         */
        @WithDefault("at_least_once")
        String processingGuarantee();

        /**
         * How often the query application commits its input offsets. Absent: 1 s with {@code at_least_once} (bounds
         * the queries answered again after a crash), 100 ms with {@code exactly_once_v2} (replies wait for it).
         */
        Optional<Duration> commitInterval();
    }

    /** Where Hugging Face repo ids in {@code pagestream.model} come from; the HF_* environment variables apply too. */
    interface Hub {
        /** Use only the local Hugging Face cache, never the network (same as {@code HF_HUB_OFFLINE=1}). */
        @WithDefault("false")
        boolean offline();

        /** Hub cache root; default {@code HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}. */
        Optional<Path> cacheDir();
    }
}
