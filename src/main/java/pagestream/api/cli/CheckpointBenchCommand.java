package pagestream.api.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import pagestream.model.checkpoint.Checkpoints;
import pagestream.model.checkpoint.SafetensorsDtype;
import pagestream.model.checkpoint.SafetensorsFile;
import pagestream.model.checkpoint.SafetensorsWriter;
import pagestream.model.checkpoint.Weights;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code checkpoint-bench}: how fast a stored BF16 tensor becomes a FLOAT32 / FLOAT16 CPU tensor through
 * {@link Weights#load}, against loading the same values stored as F32 (a plain copy) in the same run. A real
 * checkpoint is ~3 G bf16 elements, so this rate bounds model start-up.
 */
public final class CheckpointBenchCommand extends ArgumentCommand {

    private static final String NAME = "bench.weight";

    public CheckpointBenchCommand() {
        super(Set.of("million-elements", "repeats", "dir"), Set.of());
    }

    @Override
    public String name() {
        return "checkpoint-bench";
    }

    @Override
    public String usage() {
        return """
                [--million-elements 64] [--repeats 3] [--dir TMPDIR]
                Writes one synthetic tensor as BF16 and as F32 safetensors under TMPDIR (deleted afterwards) and \
                prints the best load time of each conversion, in MB/s and as a ratio to the F32 copy.""";
    }

    @Override
    int run(CliArgs args, PrintStream out, PrintStream err) throws UsageException, IOException {
        long elements = args.intValue("million-elements", 64, 1, 500) * 1_000_000L;
        int repeats = args.intValue("repeats", 3, 1, 50);
        Path parent = args.value("dir").isPresent()
                ? CliArgs.existingDirectory(args.value("dir").get(), "--dir")
                : Path.of(System.getProperty("java.io.tmpdir"));
        Path root = Files.createTempDirectory(parent, "checkpoint-bench");
        try {
            Path bf16 = Files.createDirectories(root.resolve("bf16"));
            Path f32 = Files.createDirectories(root.resolve("f32"));
            writeSynthetic(bf16, f32, (int) elements);
            out.printf("tensor [%d] BF16 (%d MB) and F32 (%d MB), best of %d, CPU%n", elements,
                    elements * 2 / 1_000_000, elements * 4 / 1_000_000, repeats);
            double baseline = time(f32, DataType.FLOAT32, repeats);
            report(out, "F32  -> FLOAT32 (copy, baseline)", baseline, elements, 4, 4, baseline);
            report(out, "BF16 -> FLOAT32", time(bf16, DataType.FLOAT32, repeats), elements, 2, 4, baseline);
            report(out, "BF16 -> FLOAT16", time(bf16, DataType.FLOAT16, repeats), elements, 2, 2, baseline);
            report(out, "BF16 -> float[] (SafetensorsFile.floats)", timeFloats(bf16, repeats), elements, 2, 4, baseline);
            return 0;
        } finally {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Values spread over a realistic weight range (|w| ~ 1e-3 .. 1, both signs). */
    private static void writeSynthetic(Path bf16Dir, Path f32Dir, int elements) {
        ByteBuffer bf16 = ByteBuffer.allocate(elements * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < elements; i++) {
            int hash = i * 0x9E3779B1;
            bf16.putShort((short) ((hash & 0x8000) | (0x3a00 + ((hash >>> 20) & 0x5ff))));
        }
        bf16.flip();
        long[] shape = {elements};
        new SafetensorsWriter().addRaw(NAME, SafetensorsDtype.BF16, shape, bf16).write(bf16Dir.resolve(Checkpoints.SINGLE_FILE));
        float[] widened = SafetensorsFile.readFloats(bf16Dir.resolve(Checkpoints.SINGLE_FILE), NAME);
        new SafetensorsWriter().addFloat32(NAME, shape, widened).write(f32Dir.resolve(Checkpoints.SINGLE_FILE));
    }

    private static double time(Path dir, DataType dtype, int repeats) {
        double best = Double.MAX_VALUE;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu()); Weights weights = Checkpoints.open(dir)) {
            for (int r = 0; r < repeats; r++) {
                long start = System.nanoTime();
                try (NDArray array = weights.load(NAME, manager, dtype)) {
                    best = Math.min(best, (System.nanoTime() - start) / 1e9);
                }
            }
        }
        return best;
    }

    private static double timeFloats(Path dir, int repeats) {
        double best = Double.MAX_VALUE;
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve(Checkpoints.SINGLE_FILE))) {
            for (int r = 0; r < repeats; r++) {
                long start = System.nanoTime();
                float[] values = file.floats(NAME);
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
                if (values.length == 0) {
                    throw new IllegalStateException("empty tensor");
                }
            }
        }
        return best;
    }

    private static void report(PrintStream out, String what, double seconds, long elements, int inBytes, int outBytes,
            double baseline) {
        out.printf("%-42s %8.1f ms  read %7.0f MB/s  written %7.0f MB/s  time x%.2f of baseline%n", what,
                seconds * 1e3, elements * inBytes / seconds / 1e6, elements * outBytes / seconds / 1e6, seconds / baseline);
    }
}
