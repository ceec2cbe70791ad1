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
     * Returns the activation of {@code x} as a new array ({@code x} is left as it is), in the operation order of
     * torch's kernel: {@code 0.5 * x * (1 + tanh(kBeta * (x + kKappa * x*x*x)))}; in-place steps keep it to two
     * temporaries.
     */
    public NDArray apply(NDArray x) {
        NDArray inner = x.square().muli(x).muli(K_KAPPA).addi(x).muli(K_BETA); // kBeta * (x + kKappa * x³)
        NDArray t = inner.tanh();
        inner.close();
        return t.addi(1f).muli(x).muli(0.5f);
    }
}
