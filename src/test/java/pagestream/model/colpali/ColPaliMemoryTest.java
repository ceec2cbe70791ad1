package pagestream.model.colpali;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import pagestream.model.GoldenRun;
import pagestream.model.GoldenTensors;
import pagestream.model.checkpoint.Checkpoints;
import pagestream.model.checkpoint.Weights;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Every NDArray a forward pass makes is released with its batch scope: the open-array count does not grow. */
class ColPaliMemoryTest {

    static final Path DIR = Path.of("src/test/resources/golden/tiny-a");

    @Test
    void manyBatchesLeaveNoArraysBehind() {
        try (NDManager base = NDManager.newBaseManager();
                GoldenTensors golden = new GoldenTensors(DIR);
                Weights weights = Checkpoints.open(DIR);
                ColPaliForRetrieval model = ColPaliForRetrieval.load(ColPaliConfig.load(DIR), weights, base,
                        DataType.FLOAT32)) {
            GoldenRun.run(model, golden, base, "image_"); // warm-up
            int before = base.getManagedArrays().size();
            for (int i = 0; i < 50; i++) {
                GoldenRun.run(model, golden, base, "image_");
                GoldenRun.run(model, golden, base, i % 2 == 0 ? "query_" : "query_left_");
            }
            assertThat(base.getManagedArrays().size()).as("open NDArrays after 100 batches").isEqualTo(before);
            assertThat(before).as("only the parameters stay open").isLessThanOrEqualTo(weights.names().size() + 2);
        }
    }
}
