package pagestream.api.cli;

import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.model.checkpoint.SafetensorsFile;
import pagestream.model.checkpoint.SafetensorsWriter;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class EmbedTensorsCommandTest {

    private static final Path TINY_A = Path.of("src/test/resources/golden/tiny-a");
    private static final Path GOLDEN = TINY_A.resolve("golden.safetensors");

    @TempDir
    Path dir;

    @Test
    void reproducesTheReferenceEmbeddingsAndScores() {
        Path output = dir.resolve("out.safetensors");

        CliRun run = CliRun.of(new EmbedTensorsCommand(), "--model", TINY_A.toString(), "--input", GOLDEN.toString(),
                "--output", output.toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("model tiny-a on (cpu|cuda:\\d+) float32")
                .contains("image_embeddings [2, 24, 16]", "query_embeddings [3, 45, 16]", "scores [3, 2]");
        try (SafetensorsFile out = SafetensorsFile.open(output); SafetensorsFile golden = SafetensorsFile.open(GOLDEN)) {
            for (String name : new String[]{"image_embeddings", "query_embeddings", "scores"}) {
                assertThat(out.shape(name)).as(name).containsExactly(golden.shape(name));
                float tolerance = name.equals("scores") ? 1e-4f : 1e-5f;
                assertThat(maxAbsDiff(out.floats(name), golden.floats(name))).as(name).isLessThanOrEqualTo(tolerance);
            }
        }
    }

    @Test
    void queriesAloneAndPreprocessedPixelsWithThePagePrompt() {
        Path input = dir.resolve("in.safetensors");
        try (SafetensorsFile golden = SafetensorsFile.open(GOLDEN)) {
            // preprocess's output name, no input ids: the command builds the page prompt from the tokenizer.
            new SafetensorsWriter()
                    .addFloat32("pixel_values", golden.shape("image_pixel_values"), golden.floats("image_pixel_values"))
                    .write(input);
        }
        Path output = dir.resolve("out.safetensors");

        CliRun run = CliRun.of(new EmbedTensorsCommand(), "--model", TINY_A.toString(), "--input", input.toString(),
                "--output", output.toString());

        assertThat(run.code()).as(run.err()).isZero();
        try (SafetensorsFile out = SafetensorsFile.open(output); SafetensorsFile golden = SafetensorsFile.open(GOLDEN)) {
            assertThat(out.names()).containsExactly("image_embeddings");
            assertThat(maxAbsDiff(out.floats("image_embeddings"), golden.floats("image_embeddings")))
                    .isLessThanOrEqualTo(1e-5f);
        }
    }

    /** The service's CUDA recipe (fp16 matmuls, fp32 norms, softmax and residual stream), here on the CPU. */
    @Test
    void float16ComputeStaysCloseToTheReferenceAndSaysWhatRan() {
        Path output = dir.resolve("out.safetensors");

        CliRun run = CliRun.of(new EmbedTensorsCommand(), "--model", TINY_A.toString(), "--input", GOLDEN.toString(),
                "--output", output.toString(), "--device", "cpu", "--dtype", "fp16");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("model tiny-a on cpu float16");
        try (SafetensorsFile out = SafetensorsFile.open(output); SafetensorsFile golden = SafetensorsFile.open(GOLDEN)) {
            for (String name : new String[]{"image_embeddings", "query_embeddings"}) {
                float diff = maxAbsDiff(out.floats(name), golden.floats(name));
                // The same bound as ColPaliPrecisionTest; nonzero, or float16 did not run.
                assertThat(diff).as(name).isLessThanOrEqualTo(5e-3f).isGreaterThan(0f);
            }
        }
    }

    @Test
    void aDeviceOrDtypeThatCannotRunIsRefusedBeforeAnythingIsWritten() {
        Path output = dir.resolve("out.safetensors");

        CliRun dtype = CliRun.of(new EmbedTensorsCommand(), "--model", TINY_A.toString(), "--input", GOLDEN.toString(),
                "--output", output.toString(), "--dtype", "bf16");
        assertThat(dtype.code()).isEqualTo(2);
        assertThat(dtype.err()).contains("--dtype must be fp32, fp16 or auto, got 'bf16'");

        CliRun device = CliRun.of(new EmbedTensorsCommand(), "--model", TINY_A.toString(), "--input", GOLDEN.toString(),
                "--output", output.toString(), "--device", "tpu");
        assertThat(device.code()).isEqualTo(2);
        assertThat(device.err()).contains("--device must be auto, cpu or cuda, got 'tpu'");

        if (Engine.getEngine("PyTorch").getGpuCount() == 0) {
            CliRun cuda = CliRun.of(new EmbedTensorsCommand(), "--model", TINY_A.toString(),
                    "--input", GOLDEN.toString(), "--output", output.toString(), "--device", "cuda");
            assertThat(cuda.code()).isEqualTo(1);
            assertThat(cuda.err()).contains("device cuda was asked for but PyTorch sees no CUDA GPU");
        }
        assertThat(output).doesNotExist();
    }

    @Test
    void badArgumentsNameTheProblem() {
        Path output = dir.resolve("out.safetensors");

        CliRun noModel = CliRun.of(new EmbedTensorsCommand(), "--model", dir.resolve("nope").toString(),
                "--input", GOLDEN.toString(), "--output", output.toString());
        assertThat(noModel.code()).isEqualTo(2);
        assertThat(noModel.err()).contains("model directory " + dir.resolve("nope") + " does not exist");

        CliRun noInput = CliRun.of(new EmbedTensorsCommand(), "--model", TINY_A.toString(),
                "--input", "missing.safetensors", "--output", output.toString());
        assertThat(noInput.code()).isEqualTo(2);
        assertThat(noInput.err()).contains("input missing.safetensors does not exist");

        CliRun noTensors = CliRun.of(new EmbedTensorsCommand(), "--model", TINY_A.toString(),
                "--input", TINY_A.resolve("model.safetensors").toString(), "--output", output.toString());
        assertThat(noTensors.code()).isEqualTo(2);
        assertThat(noTensors.err()).contains("has none of image_pixel_values, pixel_values, query_input_ids");
        assertThat(output).doesNotExist();
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
