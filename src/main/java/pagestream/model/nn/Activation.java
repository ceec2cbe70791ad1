package pagestream.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * The activation functions of the configs this model accepts. Gemma and SigLIP both use the tanh approximation of
 * GELU; DJL's {@code Activation.gelu} is the exact erf form, so the tanh form is written out here.
 */
public enum Activation {
    GELU_TANH;

    // torch GeluKernel (approximate="tanh"): kBeta = sqrt(2) * (2/sqrt(pi)) * 0.5 = sqrt(2/pi), kKappa = 0.044715.
    private static final float K_BETA = (float) (Math.sqrt(2.0) * (2.0 / Math.sqrt(Math.PI)) * 0.5);
    private static final float K_KAPPA = 0.044715f;

    /**
     * Maps a transformers {@code hidden_act} name. {@code gelu_pytorch_tanh}, {@code gelu_new} and
     * {@code gelu_fast} are the same function (tanh approximation); anything else is refused.
     */
    public static Activation fromConfig(String name, JsonFields where) {
        return switch (name) {
            case "gelu_pytorch_tanh", "gelu_new", "gelu_fast" -> GELU_TANH;
            default -> throw where.error("hidden_act '" + name
                    + "' is not supported (ColPali's SigLIP and Gemma use gelu_pytorch_tanh)");
        };
    }

    /**
     * Returns the activation of {@code x} as a new array ({@code x} is left as it is), written as
     * {@code x · sigmoid(2·kBeta·(x + kKappa·x³))}: the same function as torch's
     * {@code 0.5·x·(1 + tanh(kBeta·(x + kKappa·x³)))} (since {@code 0.5·(1 + tanh(z)) = sigmoid(2z)}) in six passes
     * over the tensor instead of nine, each in place but the first and the sigmoid. It differs from the tanh form by
     * rounding only (≤ 1 ulp of the result on N(0, 3²) inputs; the parity tests compare with torch's own kernel).
     */
    public NDArray apply(NDArray x) {
        NDArray z = x.square().muli(2 * K_BETA * K_KAPPA).addi(2 * K_BETA).muli(x); // 2·kBeta·(x + kKappa·x³)
        NDArray gate = z.getNDArrayInternal().sigmoid();
        z.close();
        return gate.muli(x);
    }
}
