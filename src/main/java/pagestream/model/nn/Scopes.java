package pagestream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.function.UnaryOperator;

/**
 * Runs a block in its own {@link NDManager} so the block's temporaries are freed when it returns, not when the whole
 * batch ends: a Gemma-2B layer makes ~1 GB of temporaries for a few pages, 18 layers of them would not fit.
 */
public final class Scopes {

    private Scopes() {
    }

    /**
     * Applies {@code block} to {@code input} inside a child scope of the input's manager. DJL attaches an op's result
     * to the manager of its first operand, so temporarily attaching the input puts every temporary in the child
     * scope; the result is moved to the parent scope before the child is closed. The input stays open.
     */
    public static NDArray scoped(NDArray input, UnaryOperator<NDArray> block) {
        NDManager parent = input.getManager();
        try (NDManager scope = parent.newSubManager()) {
            input.tempAttach(scope);
            NDArray out = block.apply(input);
            if (out == input) {
                throw new IllegalStateException("a scoped block must return a new array");
            }
            out.attach(parent);
            return out;
        }
    }
}
