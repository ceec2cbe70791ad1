package pagestream.embed;

import ai.djl.ndarray.types.DataType;

import java.util.Locale;

/**
 * The dtype of matmul weights and activations. {@code auto}: float32 on CPU (PyTorch's CPU float16 matmul runs at
 * ~1 GFLOP/s), float16 on CUDA (bf16 does not exist in DJL's PyTorch bindings). Norms, softmax and the residual
 * stream stay float32 in both.
 */
public enum ComputeDtype {
    AUTO, FLOAT32, FLOAT16;

    public static ComputeDtype parse(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        return switch (v) {
            case "AUTO" -> AUTO;
            case "FLOAT32", "FP32" -> FLOAT32;
            case "FLOAT16", "FP16" -> FLOAT16;
            default -> throw new IllegalArgumentException("dtype must be auto, fp32 or fp16, got '" + value + "'");
        };
    }

    public DataType resolve(ai.djl.Device device) {
        return switch (this) {
            case FLOAT32 -> DataType.FLOAT32;
            case FLOAT16 -> DataType.FLOAT16;
            case AUTO -> device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
        };
    }
}
