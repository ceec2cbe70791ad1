package pagestream.api.cli;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * bench-maxsim's baselines that use the Vector API, apart from the command itself: the CLI instantiates every
 * command to list them, and a command class that mentions a vector type would fail to load in a JVM started
 * without {@code --add-modules=jdk.incubator.vector}, taking every other command with it.
 */
final class SimdProbes {

    private SimdProbes() {
    }

    /** 8 independent FMA chains, registers only: the machine's FMA peak. */
    static float fmaChains(int iterations) {
        var s = FloatVector.SPECIES_PREFERRED;
        FloatVector x = FloatVector.broadcast(s, 0.999f), y = FloatVector.broadcast(s, 1e-4f);
        FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int i = 0; i < iterations; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).reduceLanes(VectorOperators.ADD);
    }

    /** SIMD sum of the array: reads it once at the fastest a scan of these bytes can go. */
    static float sum(float[] a) {
        var s = FloatVector.SPECIES_PREFERRED;
        FloatVector acc0 = FloatVector.zero(s), acc1 = FloatVector.zero(s);
        int i = 0;
        for (; i + 2 * s.length() <= a.length; i += 2 * s.length()) {
            acc0 = acc0.add(FloatVector.fromArray(s, a, i));
            acc1 = acc1.add(FloatVector.fromArray(s, a, i + s.length()));
        }
        float total = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < a.length; i++) {
            total += a[i];
        }
        return total;
    }
}
