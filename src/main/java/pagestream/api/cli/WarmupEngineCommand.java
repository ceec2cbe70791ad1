package pagestream.api.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Utils;

import java.io.PrintStream;
import java.util.List;

/**
 * Loads DJL's native libraries once (the HuggingFace tokenizers library, then the PyTorch engine with one tiny
 * op), so that they sit in {@code DJL_CACHE_DIR} before the service ever starts. Image builds run it: a pod then
 * starts with every native file on disk, extracts and downloads nothing, and the cache can be read-only.
 *
 * <p>{@code --tokenizers-only} is for builds of the CUDA image on machines without a GPU driver, where libtorch's
 * CUDA libraries cannot be loaded (docker/prepare-natives.sh places those files instead).
 */
public final class WarmupEngineCommand implements CliCommand {

    private static final String TOKENIZERS_ONLY = "--tokenizers-only";

    @Override
    public String name() {
        return "warmup-engine";
    }

    @Override
    public String usage() {
        return "warmup-engine [" + TOKENIZERS_ONLY + "]    load DJL's natives once so they land in DJL_CACHE_DIR (image builds)";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        boolean tokenizersOnly = args.equals(List.of(TOKENIZERS_ONLY));
        if (!args.isEmpty() && !tokenizersOnly) {
            err.println("warmup-engine: unknown arguments " + args + "; usage: " + usage());
            return 2;
        }
        ai.djl.huggingface.tokenizers.jni.LibUtils.checkStatus();
        out.println("tokenizers native library loaded, cache " + Utils.getEngineCacheDir("tokenizers"));
        if (tokenizersOnly) {
            return 0;
        }
        Engine engine = Engine.getEngine("PyTorch");
        // One op proves the JNI library and libtorch really link, not only that the engine class loaded.
        try (NDManager manager = NDManager.newBaseManager(engine.defaultDevice(), engine.getEngineName());
             NDArray ones = manager.ones(new Shape(2, 2))) {
            float sum = ones.sum().getFloat();
            if (sum != 4f) {
                err.println("warmup-engine: PyTorch loaded but a 2x2 sum of ones gave " + sum + ", not 4");
                return 1;
            }
        }
        out.println("engine " + engine.getEngineName() + " " + engine.getVersion() + ", device "
                + engine.defaultDevice() + ", GPUs " + engine.getGpuCount()
                + ", cache " + Utils.getEngineCacheDir("pytorch"));
        return 0;
    }
}
