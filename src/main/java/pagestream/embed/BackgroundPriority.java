package pagestream.embed;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ingestion threads (the page lane of the {@link EmbeddingExecutor}, the stream threads that decode pages, the
 * upsert threads they start) run at background OS priority, so that on a CPU node saturated by ingestion a query's
 * threads get the cores the moment they need them: that is what keeps reply latency under load near idle latency.
 *
 * <p>Java thread priorities reach Linux only with {@code -XX:ThreadPriorityPolicy=1}; the JVM then maps
 * {@link Thread#MIN_PRIORITY} to nice 4 (a CPU weight 2.4× below a normal thread's), and
 * {@code -XX:JavaPriority1_To_OSPriority=19} makes it nice 19 (68× below). Lowering a thread's priority needs no
 * privilege; raising it back would, so nothing here ever does. Threads that a background thread starts inherit its
 * priority (Java and OS), which is what we want for ingestion helpers, and why shared pools that queries use are
 * started by other threads (see {@code EmbeddedMultiVectorStore}'s scan pool).
 *
 * <p>Without the flags the JVM ignores priorities: everything works, queries simply share the CPU evenly with
 * ingestion. The first thread that enters the background logs which case applies.
 */
public final class BackgroundPriority {

    /** The JVM options that make {@link #enter()} lower the OS priority (in the images and dev mode). */
    public static final String JVM_FLAGS = "-XX:ThreadPriorityPolicy=1 -XX:JavaPriority1_To_OSPriority=19";

    private static final Logger LOG = Logger.getLogger(BackgroundPriority.class);
    private static final AtomicBoolean REPORTED = new AtomicBoolean();

    private BackgroundPriority() {
    }

    /** Moves the calling thread (and the threads it starts from now on) to background priority. */
    public static void enter() {
        Thread.currentThread().setPriority(Thread.MIN_PRIORITY);
        if (REPORTED.compareAndSet(false, true)) {
            OptionalInt nice = currentNice();
            if (nice.isPresent() && nice.getAsInt() > 0) {
                LOG.infof("ingestion threads run at OS nice %d: queries get the CPU first", nice.getAsInt());
            } else if (nice.isPresent()) {
                LOG.warnf("ingestion threads run at the same OS priority as queries, so under full ingestion a query "
                        + "shares the CPU evenly with it; start the JVM with %s to give queries the CPU first", JVM_FLAGS);
            }
        }
    }

    /** The calling thread's nice value (Linux, {@code /proc/thread-self/stat}); empty elsewhere. */
    public static OptionalInt currentNice() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return OptionalInt.of(Integer.parseInt(fields[16])); // field 19 of proc(5): nice
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }
}
