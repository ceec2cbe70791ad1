package pagestream;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
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

    interface Batch {
        /** A page batch is embedded when it holds this many pages... */
        @WithDefault("8")
        int maxSize();

        /** ...or when its oldest page has waited this long, whichever comes first. */
        @WithDefault("PT0.5S")
        Duration maxWait();

        /**
         * Pages per model call inside a batch: the embedding thread looks for waiting queries between calls, so a
         * query waits at most one such call.
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

    /** Where Hugging Face repo ids in {@code pagestream.model} come from; the HF_* environment variables apply too. */
    interface Hub {
        /** Use only the local Hugging Face cache, never the network (same as {@code HF_HUB_OFFLINE=1}). */
        @WithDefault("false")
        boolean offline();

        /** Hub cache root; default {@code HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}. */
        Optional<Path> cacheDir();
    }
}
