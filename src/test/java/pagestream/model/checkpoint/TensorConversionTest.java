package pagestream.model.checkpoint;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Bit-level checks of the dtype conversions against known values and the JDK's own float16 methods. */
class TensorConversionTest {

    @Test
    void bf16WidensToTheKnownFloat32Values() {
        short[] bits = {0x3f80, (short) 0xbf80, 0x4049, 0x0000, (short) 0x8000, 0x7f80, (short) 0xff80, 0x0001,
                0x7f7f, 0x3eaa};
        float[] expected = {1f, -1f, 3.140625f, 0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.intBitsToFloat(0x00010000), Float.intBitsToFloat(0x7f7f0000), 0.33203125f};
        ByteBuffer stored = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        stored.asShortBuffer().put(bits);

        float[] floats = new float[bits.length];
        TensorConversion.toFloats(stored, SafetensorsDtype.BF16, floats);
        ByteBuffer direct = ByteBuffer.allocateDirect(bits.length * 4).order(ByteOrder.nativeOrder());
        TensorConversion.toFloat32Bytes(stored, SafetensorsDtype.BF16, bits.length, direct);
        assertThat(direct.position()).isEqualTo(bits.length * 4);
        for (int i = 0; i < bits.length; i++) {
            assertThat(Float.floatToRawIntBits(floats[i])).as("element %d", i)
                    .isEqualTo(Float.floatToRawIntBits(expected[i]));
            assertThat(direct.getInt(i * 4)).isEqualTo(Float.floatToRawIntBits(expected[i]));
        }
        float[] nan = new float[1];
        TensorConversion.toFloats(ByteBuffer.wrap(new byte[] {(byte) 0xc0, 0x7f}), SafetensorsDtype.BF16, nan);
        assertThat(nan[0]).isNaN();
    }

    @Test
    void bulkBf16ConversionMatchesTheShiftOnEveryBitPattern() {
        int count = 1 << 16; // every bf16 bit pattern, spanning several conversion chunks with the tail below
        ByteBuffer stored = ByteBuffer.allocate((count + 3) * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count + 3; i++) {
            stored.putShort((short) i);
        }
        stored.flip();
        float[] floats = new float[count + 3];
        TensorConversion.toFloats(stored, SafetensorsDtype.BF16, floats);
        ByteBuffer direct = ByteBuffer.allocateDirect((count + 3) * 4).order(ByteOrder.nativeOrder());
        TensorConversion.toFloat32Bytes(stored, SafetensorsDtype.BF16, count + 3, direct);
        for (int i = 0; i < count + 3; i++) {
            int expected = (i & 0xffff) << 16;
            assertThat(Float.floatToRawIntBits(floats[i])).isEqualTo(expected);
            assertThat(direct.getInt(i * 4)).isEqualTo(expected);
        }
    }

    /** Large enough to be split over threads; buffers start mid-way so every slice offset is exercised. */
    @Test
    void parallelConversionOfALargeTensorMatchesElementByElement() {
        int count = (1 << 22) + 12_345;
        ByteBuffer stored = ByteBuffer.allocate(6 + count * 2).order(ByteOrder.LITTLE_ENDIAN);
        stored.position(6);
        for (int i = 0; i < count; i++) {
            stored.putShort(6 + i * 2, (short) (i * 0x9E37));
        }
        float[] floats = new float[count];
        TensorConversion.toFloats(stored, SafetensorsDtype.BF16, floats);
        ByteBuffer f32 = ByteBuffer.allocateDirect(8 + count * 4).order(ByteOrder.nativeOrder());
        f32.position(8);
        TensorConversion.toFloat32Bytes(stored, SafetensorsDtype.BF16, count, f32);
        ByteBuffer f16 = ByteBuffer.allocateDirect(2 + count * 2).order(ByteOrder.nativeOrder());
        f16.position(2);
        TensorConversion.toFloat16Bytes(stored, SafetensorsDtype.BF16, count, f16);
        assertThat(f32.position()).isEqualTo(8 + count * 4);
        assertThat(f16.position()).isEqualTo(2 + count * 2);
        int mismatches = 0;
        for (int i = 0; i < count; i++) {
            int expected = (stored.getShort(6 + i * 2) & 0xffff) << 16;
            mismatches += Float.floatToRawIntBits(floats[i]) == expected && f32.getInt(8 + i * 4) == expected
                    && f16.getShort(2 + i * 2) == TensorConversion.floatToHalf(Float.intBitsToFloat(expected)) ? 0 : 1;
        }
        assertThat(mismatches).isZero();
        assertThat(stored.position()).as("source position untouched").isEqualTo(6);
    }

    @Test
    void halfToFloatAgreesWithTheJdkOnAllHalves() throws Exception {
        Method jdk = jdkMethod("float16ToFloat", short.class);
        for (int h = 0; h < 1 << 16; h++) {
            float expected = (float) jdk.invoke(null, (short) h);
            float actual = TensorConversion.halfToFloat((short) h);
            boolean same = Float.isNaN(expected) ? Float.isNaN(actual)
                    : Float.floatToRawIntBits(actual) == Float.floatToRawIntBits(expected);
            if (!same) {
                assertThat(actual).as("half 0x%04x", h).isEqualTo(expected);
            }
        }
    }

    @Test
    void floatToHalfRoundsLikeTheJdk() throws Exception {
        Method jdk = jdkMethod("floatToFloat16", float.class);
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 400_000; i++) {
            // random bit patterns around the half range, plus exact ties and boundaries below
            int bits = i < 200_000 ? random.nextInt() : (random.nextInt(0x30000000, 0x48000000) & ~0xfff)
                    | (random.nextBoolean() ? 0x1000 : random.nextInt(0x2000));
            checkHalf(jdk, Float.intBitsToFloat(bits));
        }
        for (float f : new float[] {65504f, 65519.99f, 65520f, 0x1p-14f, 0x1p-24f, 0x1p-25f, 0x1.000002p-25f,
                0x1.8p-24f, -0f, Float.MIN_VALUE, Float.MAX_VALUE}) {
            checkHalf(jdk, f);
            checkHalf(jdk, -f);
        }
    }

    private static void checkHalf(Method jdk, float f) throws Exception {
        short expected = (short) jdk.invoke(null, f);
        short actual = TensorConversion.floatToHalf(f);
        boolean same = Float.isNaN(f) ? Float.isNaN(TensorConversion.halfToFloat(actual)) : actual == expected;
        if (!same) { // AssertJ per element would dominate the run time; build the message only on failure
            assertThat(actual).as("float %s (0x%08x)", f, Float.floatToRawIntBits(f)).isEqualTo(expected);
        }
    }

    @Test
    void f16StoredTensorsConvertToFloat32AndPassThroughToFloat16() {
        short[] halves = {0x3c00, (short) 0xc000, 0x0001, 0x7bff, 0x3555};
        ByteBuffer stored = ByteBuffer.allocate(halves.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        stored.asShortBuffer().put(halves);
        float[] floats = new float[halves.length];
        TensorConversion.toFloats(stored, SafetensorsDtype.F16, floats);
        assertThat(floats).containsExactly(1f, -2f, 0x1p-24f, 65504f, 0.33325195f);
        ByteBuffer out = ByteBuffer.allocateDirect(halves.length * 2).order(ByteOrder.nativeOrder());
        TensorConversion.toFloat16Bytes(stored, SafetensorsDtype.F16, halves.length, out);
        for (int i = 0; i < halves.length; i++) {
            assertThat(out.getShort(i * 2)).isEqualTo(halves[i]);
        }
    }

    /** The JDK's float16 methods exist from Java 20; the project compiles for 17, so reach them reflectively. */
    private static Method jdkMethod(String name, Class<?> parameter) {
        try {
            return Float.class.getMethod(name, parameter);
        } catch (NoSuchMethodException e) {
            assumeTrue(false, "JDK without Float." + name);
            throw new AssertionError(e);
        }
    }
}
