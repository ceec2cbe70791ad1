package pagestream.embed;

import ai.djl.engine.Engine;

import java.util.Locale;

/** Where the model runs ({@code pagestream.device}): {@code auto} = CUDA when DJL sees a GPU, else CPU. */
public enum Device {
    AUTO, CPU, CUDA;

    /** Parses {@code auto|cpu|cuda} (any case); the error names the setting and the accepted values. */
    public static Device parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pagestream.device must be auto, cpu or cuda, got '" + value + "'", e);
        }
    }

    /** The DJL device; {@code CUDA} without a visible GPU is an error rather than a silent CPU fallback. */
    public ai.djl.Device resolve() {
        return switch (this) {
            case CPU -> ai.djl.Device.cpu();
            case AUTO -> gpuCount() > 0 ? ai.djl.Device.gpu() : ai.djl.Device.cpu();
            case CUDA -> {
                if (gpuCount() == 0) {
                    throw new IllegalStateException("device cuda was asked for but PyTorch sees no CUDA GPU: build with "
                            + "the cuda profile (./mvnw -Pcuda package, pytorch-native-cu124) and check the driver");
                }
                yield ai.djl.Device.gpu();
            }
        };
    }

    private static int gpuCount() {
        return Engine.getEngine("PyTorch").getGpuCount();
    }
}
