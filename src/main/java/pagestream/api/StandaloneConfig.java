package pagestream.api;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import pagestream.PageStreamConfig;

import java.util.Map;

/** {@link PageStreamConfig} outside a running Quarkus application (CLI benchmarks, tests): defaults + overrides. */
public final class StandaloneConfig {

    private StandaloneConfig() {
    }

    public static PageStreamConfig of(Map<String, String> overrides) {
        return new SmallRyeConfigBuilder()
                .withMapping(PageStreamConfig.class)
                .withSources(new PropertiesConfigSource(overrides, "overrides", 500))
                .build()
                .getConfigMapping(PageStreamConfig.class);
    }
}
