package pagestream.model.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.stream.IntStream;

/**
 * Bulk conversion of stored little-endian tensor bytes to float32 / float16.
 *
 * <p>DJL's PyTorch binding has no bfloat16 (creating one aborts the JVM), so BF16 checkpoints are widened here.
 * The loops work on primitive chunks pulled from buffer views with one bulk {@code get} each: a real checkpoint
 * is ~3 G elements, so per-element buffer calls or boxing would dominate loading time.
 */
final class TensorConversion {

    /** Elements per bulk step: large enough to amortise the bulk calls, small enough to stay in L2. */
    private static final int CHUNK = 1 << 15;

    /** Tensors below 2 × this many elements are converted on the calling thread. */
    private static final int PARALLEL_MIN_ELEMENTS = 1 << 21;

    private static final boolean NATIVE_LE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private TensorConversion() {
    }

    /** Converts {@code dst.length} elements of {@code src} (little-endian, read from its position) to float32. */
    static void toFloats(ByteBuffer src, SafetensorsDtype dtype, float[] dst) {
        int size = dtype.byteSize();
        forEachRange(dst.length, (from, n) -> floatsRange(slice(src, from * size, n * size), dtype, dst, from, n));
    }

    /** Converts I64/I32 elements of {@code src} (little-endian) to longs. */
    static void toLongs(ByteBuffer src, SafetensorsDtype dtype, long[] dst) {
        ByteBuffer le = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case I64 -> le.asLongBuffer().get(dst);
            case I32 -> {
                IntBuffer in = le.asIntBuffer();
                for (int i = 0; i < dst.length; i++) {
                    dst[i] = in.get(i);
                }
            }
            default -> throw new IllegalArgumentException("not an integer dtype: " + dtype);
        }
    }

    /**
     * Writes {@code count} elements of {@code src} as float32 into {@code dst} (native order, from its position,
     * which advances), the layout a native tensor is created from.
     */
    static void toFloat32Bytes(ByteBuffer src, SafetensorsDtype dtype, long count, ByteBuffer dst) {
        int n = Math.toIntExact(count);
        int size = dtype.byteSize();
        forEachRange(n, (from, len) -> float32Range(slice(src, from * size, len * size), dtype, len,
                slice(dst, from * 4, len * 4)));
        dst.position(dst.position() + n * 4);
    }

    /**
     * Writes {@code count} elements of {@code src} as IEEE float16 (round to nearest even) into {@code dst} (native
     * order, from its position, which advances).
     */
    static void toFloat16Bytes(ByteBuffer src, SafetensorsDtype dtype, long count, ByteBuffer dst) {
        int n = Math.toIntExact(count);
        int size = dtype.byteSize();
        forEachRange(n, (from, len) -> float16Range(slice(src, from * size, len * size), dtype, len,
                slice(dst, from * 2, len * 2)));
        dst.position(dst.position() + n * 2);
    }

    /** Writes float32 values as float32 or float16 (native order) into {@code dst}, whose position advances. */
    static void write(float[] values, ByteBuffer dst, boolean float16) {
        ByteBuffer out = dst.duplicate().order(ByteOrder.nativeOrder());
        if (float16) {
            ShortBuffer halves = out.asShortBuffer();
            short[] chunk = new short[Math.min(CHUNK, values.length)];
            for (int done = 0; done < values.length; ) {
                int n = Math.min(chunk.length, values.length - done);
                for (int j = 0; j < n; j++) {
                    chunk[j] = floatToHalf(values[done + j]);
                }
                halves.put(chunk, 0, n);
                done += n;
            }
            dst.position(dst.position() + values.length * 2);
        } else {
            out.asFloatBuffer().put(values);
            dst.position(dst.position() + values.length * 4);
        }
    }

    private interface Range {
        void convert(int from, int length);
    }

    /**
     * Runs {@code range} over [0, count), split over the cores for large tensors: one thread converts a few GB/s,
     * well below the memory bandwidth of a server, and a real checkpoint is ~6 GB.
     */
    private static void forEachRange(int count, Range range) {
        int parts = Math.min(Runtime.getRuntime().availableProcessors(), count / PARALLEL_MIN_ELEMENTS);
        if (parts <= 1) {
            range.convert(0, count);
            return;
        }
        IntStream.range(0, parts).parallel().forEach(p -> {
            int from = (int) ((long) count * p / parts);
            int to = (int) ((long) count * (p + 1) / parts);
            range.convert(from, to - from);
        });
    }

    /** Bytes [position + from, position + from + length) of {@code buffer} as a little-endian buffer of its own. */
    private static ByteBuffer slice(ByteBuffer buffer, int from, int length) {
        ByteBuffer view = buffer.duplicate();
        int start = buffer.position() + from;
        view.limit(start + length).position(start);
        return view.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void floatsRange(ByteBuffer in, SafetensorsDtype dtype, float[] dst, int offset, int count) {
        switch (dtype) {
            case F32 -> in.asFloatBuffer().get(dst, offset, count);
            case BF16, F16 -> {
                ShortBuffer halves = in.asShortBuffer();
                short[] chunk = new short[Math.min(CHUNK, count)];
                boolean bf16 = dtype == SafetensorsDtype.BF16;
                for (int done = 0; done < count; ) {
                    int n = Math.min(chunk.length, count - done);
                    halves.get(chunk, 0, n);
                    int base = offset + done;
                    if (bf16) {
                        for (int j = 0; j < n; j++) {
                            dst[base + j] = Float.intBitsToFloat(chunk[j] << 16); // bf16 = upper half of fp32
                        }
                    } else {
                        for (int j = 0; j < n; j++) {
                            dst[base + j] = halfToFloat(chunk[j]);
                        }
                    }
                    done += n;
                }
            }
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
    }

    private static void float32Range(ByteBuffer in, SafetensorsDtype dtype, int count, ByteBuffer out) {
        if (dtype == SafetensorsDtype.F32) {
            if (NATIVE_LE) {
                out.put(in); // same bytes: one memcpy
            } else {
                out.order(ByteOrder.nativeOrder()).asFloatBuffer().put(in.asFloatBuffer());
            }
            return;
        }
        ShortBuffer halves = in.asShortBuffer();
        IntBuffer bitsOut = out.order(ByteOrder.nativeOrder()).asIntBuffer();
        int chunkLength = Math.min(CHUNK, count);
        short[] chunk = new short[chunkLength];
        int[] bits = new int[chunkLength];
        boolean bf16 = dtype == SafetensorsDtype.BF16;
        for (int done = 0; done < count; ) {
            int n = Math.min(chunkLength, count - done);
            halves.get(chunk, 0, n);
            if (bf16) {
                for (int j = 0; j < n; j++) {
                    bits[j] = chunk[j] << 16;
                }
            } else {
                for (int j = 0; j < n; j++) {
                    bits[j] = Float.floatToRawIntBits(halfToFloat(chunk[j]));
                }
            }
            bitsOut.put(bits, 0, n);
            done += n;
        }
    }

    private static void float16Range(ByteBuffer in, SafetensorsDtype dtype, int count, ByteBuffer out) {
        if (dtype == SafetensorsDtype.F16) {
            if (NATIVE_LE) {
                out.put(in);
            } else {
                out.order(ByteOrder.nativeOrder()).asShortBuffer().put(in.asShortBuffer());
            }
            return;
        }
        ShortBuffer halvesOut = out.order(ByteOrder.nativeOrder()).asShortBuffer();
        int chunkLength = Math.min(CHUNK, count);
        float[] floats = new float[chunkLength];
        short[] halves = new short[chunkLength];
        FloatBuffer f32 = dtype == SafetensorsDtype.F32 ? in.asFloatBuffer() : null;
        ShortBuffer bf16 = dtype == SafetensorsDtype.BF16 ? in.asShortBuffer() : null;
        for (int done = 0; done < count; ) {
            int n = Math.min(chunkLength, count - done);
            if (f32 != null) {
                f32.get(floats, 0, n);
            } else {
                bf16.get(halves, 0, n);
                for (int j = 0; j < n; j++) {
                    floats[j] = Float.intBitsToFloat(halves[j] << 16);
                }
            }
            for (int j = 0; j < n; j++) {
                halves[j] = floatToHalf(floats[j]);
            }
            halvesOut.put(halves, 0, n);
            done += n;
        }
    }

    /** IEEE binary16 bits to float (exact: every half is a float). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13)); // inf / NaN, payload kept
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // zero or subnormal: mantissa × 2^-24, exact in float
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13)); // rebias 15 → 127
    }

    /** Float to IEEE binary16 bits, rounding to nearest even like a float16 cast in PyTorch. */
    static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) { // inf or NaN (NaN stays NaN: quiet bit set)
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0));
        }
        if (abs >= 0x477ff000) { // >= 65520 rounds past the largest half (65504)
            return (short) (sign | 0x7c00);
        }
        if (abs >= 0x38800000) { // normal half range (>= 2^-14)
            int rounded = abs + 0xfff + ((abs >>> 13) & 1);
            return (short) (sign | ((rounded - 0x38000000) >>> 13));
        }
        if (abs < 0x33000000) { // < 2^-25: rounds to zero (2^-25 itself is a tie, handled below)
            return (short) sign;
        }
        int exponent = abs >>> 23;
        int mantissa = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - exponent; // subnormal half = mantissa × 2^(exponent-126) in units of 2^-24
        int result = mantissa >>> shift;
        int remainder = mantissa & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (remainder > halfway || (remainder == halfway && (result & 1) != 0)) {
            result++;
        }
        return (short) (sign | result);
    }
}
