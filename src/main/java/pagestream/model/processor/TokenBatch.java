package pagestream.model.processor;

/**
 * A padded batch of token ids as the model takes it: {@code inputIds} and {@code attentionMask} are
 * {@code [batch, length]} row-major; padding positions hold the checkpoint's {@code <pad>} id and mask 0.
 */
public record TokenBatch(int batch, int length, long[] inputIds, long[] attentionMask) {

    public TokenBatch {
        if (inputIds.length != (long) batch * length || attentionMask.length != inputIds.length) {
            throw new IllegalArgumentException("token batch " + batch + "x" + length + " does not match its arrays");
        }
    }
}
