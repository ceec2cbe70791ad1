package pagestream.model.nn;

import java.util.function.Supplier;

/**
 * The boundaries between layers, where a long forward pass lets more urgent work on the same device go first.
 *
 * <p>A forward pass knows nothing of urgency; whoever runs one installs a hook for its own thread with
 * {@link #during}, and the encoder and decoder loops call {@link #reached()} after every layer. The embedding
 * executor's page lane installs one that waits while a query is queued or running: a query then has the cores (or
 * the GPU's queue) to itself after at most one layer of page work, instead of sharing them with the rest of a page
 * call. Without a hook (every other caller) {@link #reached()} does nothing.
 *
 * <p>A thread-local rather than a parameter: the hook is about who runs the pass, not about the pass, and every
 * forward signature would otherwise carry it through four levels of modules that never look at it.
 */
public final class YieldPoint {

    private static final ThreadLocal<Runnable> HOOK = new ThreadLocal<>();

    private YieldPoint() {
    }

    /** Runs {@code forward} on this thread with {@code hook} called at each layer boundary it reaches. */
    public static <T> T during(Runnable hook, Supplier<T> forward) {
        Runnable outer = HOOK.get();
        HOOK.set(hook);
        try {
            return forward.get();
        } finally {
            if (outer == null) {
                HOOK.remove();
            } else {
                HOOK.set(outer);
            }
        }
    }

    /** A layer boundary: the current thread's hook, if any, may block here until more urgent work is done. */
    public static void reached() {
        Runnable hook = HOOK.get();
        if (hook != null) {
            hook.run();
        }
    }
}
