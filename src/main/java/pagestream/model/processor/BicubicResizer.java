package pagestream.model.processor;

import java.util.Arrays;

/**
 * PIL's {@code Image.resize((w, h), Image.BICUBIC)} on 8-bit RGB, reproduced to the exact uint8 result.
 *
 * <p>The algorithm is Pillow's antialiasing separable resampler (src/libImaging/Resample.c): a Keys cubic with
 * a = -0.5 and support 2, widened by the downscale factor; per output sample the taps are normalised to sum 1
 * in double precision, then rounded to fixed point with 22 fraction bits. A horizontal pass over only the rows
 * the vertical pass will read writes a clipped uint8 intermediate, then a vertical pass produces the output (here
 * row by row, the horizontal pass running just ahead of the vertical one).
 * Both the intermediate clipping and the rounding constant matter for bit-exactness, so they are kept as
 * Pillow has them. A pass is skipped when its axis keeps its size, as in Pillow.
 *
 * <p>Speed comes from integer taps computed once per axis and from exact shortcuts for document pages, which are
 * mostly background: when every tap of an output sample reads the same colour, {@code sum(v * w) == v * sum(w)}
 * in integer arithmetic, so one multiply replaces the tap loop with identical bytes.
 */
public final class BicubicResizer {

    /** 8 bits of result, 2 bits of head-room for negative lobes and overshoot, the rest fraction. */
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    private static final double CUBIC_A = -0.5;
    private static final double CUBIC_SUPPORT = 2.0;

    private BicubicResizer() {
    }

    /**
     * Resizes {@code image} to {@code width x height}; aspect ratio is not preserved (the reference does not). An
     * image already that size is returned as it is (Pillow returns a copy; no caller writes to the pixels).
     */
    public static RgbImage resize(RgbImage image, int width, int height) {
        if (image.width() == width && image.height() == height) {
            return image;
        }
        return resize(RgbRows.of(image), width, height);
    }

    /**
     * Resizes the image whose rows {@code source} hands out, reading each source row once, top to bottom. The
     * horizontal pass resamples a source row as soon as the vertical pass needs it, into a ring of as many rows
     * as one vertical window spans, and each output row is formed once its window is complete: the same
     * arithmetic as two whole-image passes, with no full-size intermediate.
     */
    static RgbImage resize(RgbRows source, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("resize target must be positive, got " + width + "x" + height);
        }
        int stride = width * 3;
        byte[] out = new byte[Math.multiplyExact(height, stride)];
        HorizontalPass horizontal = new HorizontalPass(source, width);
        if (height == source.height()) {
            for (int y = 0; y < height; y++) {
                horizontal.row(y, out, y * stride);
            }
            return new RgbImage(width, height, out);
        }
        Taps vertical = Taps.of(source.height(), height);
        int window = vertical.ksize; // no output row reads more source rows than this
        byte[] ring = new byte[window * stride]; // source row r's resampled bytes in slot r % window
        int[] acc = new int[stride];
        int[] weightSum = vertical.weightSums();
        int next = vertical.first[0]; // the next source row to resample
        for (int yy = 0; yy < height; yy++) {
            int end = vertical.first[yy] + vertical.count[yy];
            for (; next < end; next++) {
                horizontal.row(next, ring, (next % window) * stride);
            }
            verticalRow(ring, window, stride, vertical, yy, weightSum[yy], acc, out, yy * stride);
        }
        return new RgbImage(width, height, out);
    }

    /** Pillow's horizontal pass, one source row at a time (a plain copy when the width is kept). */
    private static final class HorizontalPass {

        private final RgbRows source;
        private final int inWidth;
        private final int outStride;
        private final Taps taps; // null: the width is kept, Pillow skips this pass
        private final int[] weightSum;
        private final int[] runEnd;
        private final byte[] lastBlank; // the output of the latest blank row
        private int lastBlankColour = -1; // its colour, 0xRRGGBB

        HorizontalPass(RgbRows source, int width) {
            this.source = source;
            this.inWidth = source.width();
            this.outStride = width * 3;
            this.taps = width == inWidth ? null : Taps.of(inWidth, width);
            this.weightSum = taps == null ? null : taps.weightSums();
            this.runEnd = new int[inWidth];
            this.lastBlank = new byte[outStride];
        }

        /** Resamples source row {@code y} into {@code out[o, o + outStride)}. */
        void row(int y, byte[] out, int o) {
            int rowStart = source.row(y);
            byte[] in = source.array();
            if (taps == null) {
                System.arraycopy(in, rowStart, out, o, outStride);
                return;
            }
            int rowEnd = rowStart + inWidth * 3;
            if (Arrays.mismatch(in, rowStart, rowEnd - 3, in, rowStart + 3, rowEnd) < 0) {
                // A blank row (one colour throughout, found by a vectorised compare): its output depends on the
                // colour alone, so a blank row of the same colour is copied; most rows of a page are such rows.
                int colour = (in[rowStart] & 0xFF) << 16 | (in[rowStart + 1] & 0xFF) << 8 | (in[rowStart + 2] & 0xFF);
                if (colour == lastBlankColour) {
                    System.arraycopy(lastBlank, 0, out, o, outStride);
                    return;
                }
                Arrays.fill(runEnd, inWidth);
                resample(in, rowStart, out, o);
                System.arraycopy(out, o, lastBlank, 0, outStride);
                lastBlankColour = colour;
                return;
            }
            findRuns(in, rowStart, inWidth, runEnd);
            resample(in, rowStart, out, o);
        }

        private void resample(byte[] in, int rowStart, byte[] out, int o) {
            int ksize = taps.ksize;
            int[] first = taps.first;
            int[] count = taps.count;
            int[] weights = taps.weights;
            for (int x = 0; x < first.length; x++) {
                int p = rowStart + first[x] * 3;
                if (runEnd[first[x]] >= first[x] + count[x]) {
                    // Every tap reads the same colour (page background, mostly): sum(v * w) == v * sum(w)
                    // exactly in integers, so this shortcut gives the same bytes as the loop below.
                    int w = weightSum[x];
                    out[o++] = clip8(HALF + (in[p] & 0xFF) * w);
                    out[o++] = clip8(HALF + (in[p + 1] & 0xFF) * w);
                    out[o++] = clip8(HALF + (in[p + 2] & 0xFF) * w);
                    continue;
                }
                int k = x * ksize;
                int end = k + count[x];
                int r = HALF;
                int g = HALF;
                int b = HALF;
                for (; k < end; k++, p += 3) {
                    int w = weights[k];
                    r += (in[p] & 0xFF) * w;
                    g += (in[p + 1] & 0xFF) * w;
                    b += (in[p + 2] & 0xFF) * w;
                }
                out[o++] = clip8(r);
                out[o++] = clip8(g);
                out[o++] = clip8(b);
            }
        }
    }

    /** {@code runEnd[i]}: one past the last pixel of the run of identical colours that contains pixel {@code i}. */
    private static void findRuns(byte[] in, int rowStart, int width, int[] runEnd) {
        int end = width;
        runEnd[width - 1] = end;
        for (int i = width - 2, p = rowStart + i * 3; i >= 0; i--, p -= 3) {
            if (in[p] != in[p + 3] || in[p + 1] != in[p + 4] || in[p + 2] != in[p + 5]) {
                end = i + 1;
            }
            runEnd[i] = end;
        }
    }

    /** Output row {@code yy} of Pillow's vertical pass, from the resampled source rows in {@code ring}. */
    private static void verticalRow(byte[] ring, int window, int stride, Taps taps, int yy, int weightSum, int[] acc,
                                    byte[] out, int o) {
        int k = yy * taps.ksize;
        int first = taps.first[yy];
        int count = taps.count[yy];
        int row = (first % window) * stride;
        if (identicalRows(ring, window, stride, first, count)) {
            // All taps read the same row (blank margins): v * sum(w) equals the tap sum exactly.
            for (int i = 0; i < stride; i++) {
                out[o + i] = clip8(HALF + (ring[row + i] & 0xFF) * weightSum);
            }
            return;
        }
        Arrays.fill(acc, HALF);
        int t = 0;
        // Two taps per sweep halves the loads and stores of the accumulator row.
        for (; t + 1 < count; t += 2) {
            int w0 = taps.weights[k + t];
            int w1 = taps.weights[k + t + 1];
            int row0 = ((first + t) % window) * stride;
            int row1 = ((first + t + 1) % window) * stride;
            for (int i = 0; i < stride; i++) {
                acc[i] += (ring[row0 + i] & 0xFF) * w0 + (ring[row1 + i] & 0xFF) * w1;
            }
        }
        if (t < count) {
            int w = taps.weights[k + t];
            int row0 = ((first + t) % window) * stride;
            for (int i = 0; i < stride; i++) {
                acc[i] += (ring[row0 + i] & 0xFF) * w;
            }
        }
        for (int i = 0; i < stride; i++) {
            out[o + i] = clip8(acc[i]);
        }
    }

    private static boolean identicalRows(byte[] ring, int window, int stride, int first, int count) {
        int row = (first % window) * stride;
        for (int t = 1; t < count; t++) {
            int other = ((first + t) % window) * stride;
            if (Arrays.mismatch(ring, row, row + stride, ring, other, other + stride) >= 0) {
                return false;
            }
        }
        return true;
    }

    /** Drops the fraction bits and saturates to 0..255 (Pillow's clip8 lookup does the same). */
    private static byte clip8(int fixedPoint) {
        int v = fixedPoint >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    private static double cubic(double x) {
        x = Math.abs(x);
        if (x < 1.0) {
            return ((CUBIC_A + 2.0) * x - (CUBIC_A + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * CUBIC_A;
        }
        return 0.0;
    }

    /**
     * Fixed-point filter taps for one axis: output sample {@code i} reads input samples
     * {@code first[i] .. first[i] + count[i] - 1} with weights {@code weights[i * ksize + t]}.
     */
    record Taps(int ksize, int[] first, int[] count, int[] weights) {

        /** Per output sample, the sum of its fixed-point weights. */
        int[] weightSums() {
            int[] sums = new int[first.length];
            for (int i = 0; i < sums.length; i++) {
                for (int t = 0; t < count[i]; t++) {
                    sums[i] += weights[i * ksize + t];
                }
            }
            return sums;
        }

        static Taps of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = CUBIC_SUPPORT * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] first = new int[outSize];
            int[] count = new int[outSize];
            int[] weights = new int[outSize * ksize];
            double[] k = new double[ksize];
            double invFilterScale = 1.0 / filterScale;
            for (int i = 0; i < outSize; i++) {
                double center = (i + 0.5) * scale;
                // (int) truncates toward zero exactly like Pillow's C cast; the clamps follow it.
                int min = Math.max((int) (center - support + 0.5), 0);
                int n = Math.min((int) (center + support + 0.5), inSize) - min;
                double sum = 0.0;
                for (int t = 0; t < n; t++) {
                    k[t] = cubic((t + min - center + 0.5) * invFilterScale);
                    sum += k[t];
                }
                for (int t = 0; t < n; t++) {
                    double w = sum != 0.0 ? k[t] / sum : k[t];
                    weights[i * ksize + t] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS)
                            : 0.5 + w * (1 << PRECISION_BITS));
                }
                first[i] = min;
                count[i] = n;
            }
            return new Taps(ksize, first, count, weights);
        }
    }
}
