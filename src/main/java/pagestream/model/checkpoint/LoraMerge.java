package pagestream.model.checkpoint;

import java.util.stream.IntStream;

/** The fp32 arithmetic of merging a LoRA pair into its base weight. */
final class LoraMerge {

    private LoraMerge() {
    }

    /**
     * {@code w[out, in] += scale · (b[out, rank] · a[rank, in])}, all row-major, in the order PEFT merges
     * ({@code delta = (B @ A) * scaling; W += delta}). The inner loops run over contiguous rows (axpy loops the
     * JIT vectorises); rows are split over the cores.
     */
    static void addScaledProduct(float[] w, int outFeatures, int inFeatures, float[] b, float[] a, int rank,
            float scale) {
        IntStream.range(0, outFeatures).parallel().forEach(o -> {
            float[] delta = new float[inFeatures];
            for (int k = 0; k < rank; k++) {
                float bk = b[o * rank + k];
                int aRow = k * inFeatures;
                for (int i = 0; i < inFeatures; i++) {
                    delta[i] += bk * a[aRow + i];
                }
            }
            int wRow = o * inFeatures;
            for (int i = 0; i < inFeatures; i++) {
                w[wRow + i] += delta[i] * scale;
            }
        });
    }
}
