package pagestream.store.embedded;

import org.junit.jupiter.api.Test;
import pagestream.model.MultiVector;

import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static pagestream.store.StoreFixtures.maxSim;
import static pagestream.store.StoreFixtures.randomVectors;

class MaxSimKernelTest {

    private final Random rnd = new Random(7);

    @Test
    void matchesPlainMaxSimForShapesAroundTheTileAndBlockSizes() {
        int tileRows = PageTiles.TILE_ROWS;
        for (int dim : new int[] {1, 3, 16, 128}) {
            for (int rows : new int[] {1, tileRows - 1, tileRows, tileRows + 1, 2 * tileRows + 5}) {
                for (int queryRows : new int[] {1, 4, 5, 11, 20, 25}) {
                    assertKernelMatchesPlainMaxSim(rows, queryRows, dim);
                }
            }
        }
    }

    @Test
    void everyQueryLengthUpTo30IsExact() {
        // 1..30 covers every split into 5- and 4-row blocks and every padded count (1-3, 6, 7, 11).
        for (int queryRows = 1; queryRows <= 30; queryRows++) {
            assertKernelMatchesPlainMaxSim(2 * PageTiles.TILE_ROWS + 3, queryRows, 128);
            assertKernelMatchesPlainMaxSim(PageTiles.TILE_ROWS - 3, queryRows, 7);
        }
    }

    @Test
    void queryRowsArePaddedOnlyToTheNextSumOfFivesAndFours() {
        assertThat(IntStream.rangeClosed(1, 14).map(MaxSimKernel::paddedRows).toArray())
                .containsExactly(4, 4, 4, 4, 5, 8, 8, 8, 9, 10, 12, 12, 13, 14);
    }

    private void assertKernelMatchesPlainMaxSim(int rows, int queryRows, int dim) {
        MultiVector page = randomVectors(rnd, rows, dim);
        MultiVector query = randomVectors(rnd, queryRows, dim);
        float[] tiles = PageTiles.fromRows(page.data(), rows, dim);
        float score = new MaxSimKernel(query.data(), queryRows, dim).score(tiles);
        assertThat((double) score).as("dim %d rows %d query rows %d", dim, rows, queryRows)
                .isCloseTo(maxSim(query, page), within(1e-5 * queryRows));
        // The kernel a JVM without the Vector API uses, on the same layout.
        float scalar = new ScalarMaxSimKernel(query.data(), queryRows, dim).score(tiles);
        assertThat((double) scalar).as("scalar kernel: dim %d rows %d query rows %d", dim, rows, queryRows)
                .isCloseTo(maxSim(query, page), within(1e-5 * queryRows));
    }

    @Test
    void anAllNegativePageStillScoresItsTrueMaximum() {
        // The padding rows repeat a real row, so a page whose dots are all negative is not lifted to 0.
        float[] page = {-1, 0, -0.8f, 0.6f, -0.6f, -0.8f};
        float score = new MaxSimKernel(new float[] {1, 0}, 1, 2).score(PageTiles.fromRows(page, 3, 2));
        assertThat(score).isEqualTo(-0.6f);
    }

    @Test
    void tilesRoundTripToRows() {
        MultiVector v = randomVectors(rnd, 37, 12);
        assertThat(PageTiles.toRows(PageTiles.fromRows(v.data(), 37, 12), 37, 12)).containsExactly(v.data());
    }
}
