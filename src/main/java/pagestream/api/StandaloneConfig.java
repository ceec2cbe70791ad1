package pagestream.api;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.SysPropConfigSource;
import pagestream.PageStreamConfig;

import java.util.Map;

/**
 * {@link PageStreamConfig} outside a running Quarkus application (CLI benchmarks, tests). Highest first: the
 * caller's overrides (a command's options), system properties ({@code -Dpagestream.batch.max-size=16}), environment
 * variables in SmallRye's mapping ({@code PAGESTREAM_BATCH_MAX_SIZE=16}), the defaults. The same order as in the
 * service, less its configuration files: a setting reaches a CLI command the way an operator passes it to the service.
 */
public final class StandaloneConfig {

    /** Above system properties ({@value SysPropConfigSource#ORDINAL}). */
    private static final int OVERRIDES_ORDINAL = 500;

    /** SmallRye's (and Quarkus') ordinal for environment variables. */
    private static final int ENVIRONMENT_ORDINAL = 300;

    private StandaloneConfig() {
    }

    public static PageStreamConfig of(Map<String, String> overrides) {
        return of(overrides, System.getenv());
    }

    /** With {@code environment} in place of the process' environment variables. */
    static PageStreamConfig of(Map<String, String> overrides, Map<String, String> environment) {
        return new SmallRyeConfigBuilder()
                .withMapping(PageStreamConfig.class)
                .withSources(new PropertiesConfigSource(overrides, "overrides", OVERRIDES_ORDINAL))
                .withSources(new SysPropConfigSource())
                .withSources(new EnvConfigSource(environment, ENVIRONMENT_ORDINAL))
                .build()
                .getConfigMapping(PageStreamConfig.class);
    }
}
