package pagestream.api.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.model.checkpoint.Checkpoints;
import pagestream.model.checkpoint.SafetensorsWriter;
import pagestream.model.checkpoint.Weights;
import pagestream.model.colpali.ColPaliConfig;
import pagestream.model.colpali.ColPaliForRetrieval;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmark's pieces, not its timing: random weights fit the model exactly, FLOP count matches BASELINES. */
class BenchModelCommandTest {

    /** Same names and shapes as the real tiny-a checkpoint, and the model loads (and uses) every one of them. */
    @Test
    void randomWeightsHoldExactlyTheTensorsOfARealCheckpoint() throws Exception {
        Path dir = Path.of("src/test/resources/golden/tiny-a");
        ColPaliConfig config = ColPaliConfig.load(dir);
        JsonNode keys = new ObjectMapper().readTree(dir.resolve("golden.json").toFile()).get("checkpoint_keys");
        try (NDManager base = NDManager.newBaseManager();
                RandomWeights weights = new RandomWeights(config);
                ColPaliForRetrieval model = ColPaliForRetrieval.load(config, weights, base, DataType.FLOAT32)) {
            assertThat(weights.names()).hasSize(keys.size());
            keys.fields().forEachRemaining(e -> {
                long[] shape = new long[e.getValue().get("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = e.getValue().get("shape").get(i).longValue();
                }
                assertThat(weights.shape(e.getKey())).as(e.getKey()).isEqualTo(new Shape(shape));
            });
            assertThat(model.config()).isEqualTo(config);
        }
    }

    /**
     * {@code --save-weights}: the recorded random weights, written as a checkpoint and loaded back through the
     * checkpoint loader, give the same model (what {@code forward_transformers.py --weights} then loads too).
     */
    @Test
    void recordedRandomWeightsLoadBackAsTheSameModel(@TempDir Path saved) throws Exception {
        Path dir = Path.of("src/test/resources/golden/tiny-a");
        ColPaliConfig config = ColPaliConfig.load(dir);
        SafetensorsWriter record = new SafetensorsWriter().metadata("format", "pt");
        try (NDManager base = NDManager.newBaseManager();
                RandomWeights random = new RandomWeights(config).recordInto(record);
                ColPaliForRetrieval generated = ColPaliForRetrieval.load(config, random, base, DataType.FLOAT32)) {
            record.write(saved.resolve(Checkpoints.SINGLE_FILE));
            Files.copy(dir.resolve("config.json"), saved.resolve("config.json"));
            try (Weights weights = Checkpoints.open(saved);
                    ColPaliForRetrieval loaded = ColPaliForRetrieval.load(config, weights, base, DataType.FLOAT32);
                    NDManager batch = base.newSubManager()) {
                NDArray ids = batch.create(new long[] {2, 5, 9, 11, 7, 1}, new Shape(1, 6));
                NDArray mask = batch.ones(new Shape(1, 6), DataType.INT64);
                float[] expected = generated.forwardText(ids, mask).toFloatArray();
                assertThat(loaded.forwardText(ids, mask).toFloatArray()).containsExactly(expected);
                assertThat(expected).isNotEmpty();
            }
        }
    }

    @Test
    void mediumPageCostsTheDocumentedFlops() throws Exception {
        ColPaliConfig config;
        try (InputStream in = BenchModelCommand.class.getResourceAsStream(BenchModelCommand.MEDIUM_CONFIG)) {
            config = ColPaliConfig.fromJson(new ObjectMapper().readTree(in), "medium");
        }
        // BASELINES.md: 60.3 GFLOP per page (1024 patches, 1030 tokens).
        assertThat(BenchModelCommand.pageFlops(config) / 1e9).isBetween(60.25, 60.35);
    }

    @Test
    void badOptionsExitWithUsage() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true);
        BenchModelCommand command = new BenchModelCommand();
        assertThat(command.run(List.of("--pages", "x"), System.out, errStream)).isEqualTo(2);
        assertThat(command.run(List.of("--bogus", "1"), System.out, errStream)).isEqualTo(2);
        assertThat(command.run(List.of("--pages", "0"), System.out, errStream)).isEqualTo(2);
        assertThat(command.run(List.of("--weights"), System.out, errStream)).isEqualTo(2);
        assertThat(command.run(List.of("stray"), System.out, errStream)).isEqualTo(2);
        assertThat(err.toString()).contains("bench-model: --pages must be a whole number, got 'x'")
                .contains("bench-model: unknown option --bogus")
                .contains("bench-model: --pages must be between 1 and 4096, got 0")
                .contains("bench-model: option --weights needs a value")
                .contains("bench-model: unexpected argument stray")
                .contains("usage: bench-model");
    }
}
