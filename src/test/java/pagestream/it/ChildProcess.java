package pagestream.it;

import pagestream.embed.BackgroundPriority;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A JVM started from the packaged app ({@code java -jar target/quarkus-app/quarkus-run.jar ...}) as a process of
 * its own. Its stdout and stderr go, line by line, to a log file and to this object, so a test can wait for a
 * line or kill the process the moment a line appears ({@link #killOn}: from the reading thread itself, so the
 * kill lands within the time of one pipe read of the line being written).
 */
final class ChildProcess implements AutoCloseable {

    static final Path APP_JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    private final String name;
    private final Process process;
    private final PrintWriter log;
    private final List<String> lines = new ArrayList<>();
    private final Thread reaperHook;
    private Trigger trigger;
    /** The process closed its output (it exited) and every line of it is in {@link #lines}. */
    private boolean outputEnded;

    private record Trigger(Predicate<String> line, long delayMs, CompletableFuture<String> killed) {
    }

    private ChildProcess(String name, Process process, Path logFile) throws IOException {
        this.name = name;
        this.process = process;
        this.log = new PrintWriter(Files.newBufferedWriter(logFile), true);
        // If the test JVM itself dies, no child may outlive it.
        this.reaperHook = new Thread(this::killNow, "reap-" + name);
        Runtime.getRuntime().addShutdownHook(reaperHook);
        Thread reader = new Thread(this::readOutput, "output-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code java <jvmArgs> -jar quarkus-run.jar <appArgs>} with the flags the images and the README use
     * ({@code --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED} and the thread-priority flags
     * of {@code BackgroundPriority}), its output appended to
     * {@code logFile}.
     */
    static ChildProcess startApp(String name, List<String> jvmArgs, List<String> appArgs, Map<String, String> env,
            Path logFile) throws IOException {
        List<String> flags = new ArrayList<>(List.of("--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED"));
        flags.addAll(List.of(BackgroundPriority.JVM_FLAGS.split(" ")));
        flags.addAll(jvmArgs);
        return startJar(name, flags, appArgs, env, logFile);
    }

    /** Starts {@code java <jvmArgs> -jar quarkus-run.jar <appArgs>}: exactly those JVM flags, no others. */
    static ChildProcess startJar(String name, List<String> jvmArgs, List<String> appArgs, Map<String, String> env,
            Path logFile) throws IOException {
        if (!Files.isRegularFile(APP_JAR)) {
            throw new IllegalStateException(APP_JAR.toAbsolutePath() + " is missing: integration tests run after "
                    + "`package` (./mvnw verify)");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(APP_JAR.toAbsolutePath().toString());
        command.addAll(appArgs);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        return new ChildProcess(name, builder.start(), logFile);
    }

    /** Waits for the process to exit by itself and returns its exit status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " did not exit within " + timeout);
        }
        return process.exitValue();
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for a line (already printed or to come) that matches, and returns it. */
    synchronized String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        while (true) {
            for (; seen < lines.size(); seen++) {
                if (match.test(lines.get(seen))) {
                    return lines.get(seen);
                }
            }
            long left = deadline - System.nanoTime();
            if (outputEnded && seen == lines.size()) {
                throw new AssertionError(name + " exited before printing the line awaited; see its log");
            }
            if (left <= 0) {
                throw new AssertionError(name + ": no matching line within " + timeout + "; see its log");
            }
            wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 200));
        }
    }

    /** Lines printed so far that match. */
    synchronized List<String> linesMatching(Predicate<String> match) {
        return lines.stream().filter(match).toList();
    }

    /**
     * SIGKILLs the process (and its descendants) {@code delayMs} after it prints a line that matches; with no delay
     * the moment it does, on the thread that reads the output. The future completes with that line once the
     * process has exited.
     */
    synchronized CompletableFuture<String> killOn(Predicate<String> line, long delayMs) {
        trigger = new Trigger(line, delayMs, new CompletableFuture<>());
        return trigger.killed();
    }

    /** SIGKILL now, descendants first: no shutdown hook runs, nothing is flushed or closed. */
    void kill() throws InterruptedException {
        killNow();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " survived SIGKILL for 30 s");
        }
    }

    /** SIGTERM (a clean shutdown), SIGKILL after {@code grace}; returns the exit code. */
    int stop(Duration grace) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        killNow();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
            Runtime.getRuntime().removeShutdownHook(reaperHook);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }

    private void killNow() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private void readOutput() {
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                Optional<Trigger> fired = fire(line);
                if (fired.isPresent() && fired.get().delayMs() == 0) {
                    killNow(); // before anything else: the kill must land while the line's work is in flight
                }
                log.println(line);
                synchronized (this) {
                    lines.add(line);
                    notifyAll();
                }
                if (fired.isPresent()) {
                    String firedLine = line;
                    Thread killer = new Thread(() -> killLater(fired.get(), firedLine), "kill-" + name);
                    killer.setDaemon(true);
                    killer.start();
                }
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            log.close();
            synchronized (this) {
                outputEnded = true;
                notifyAll();
            }
        }
    }

    private void killLater(Trigger fired, String line) {
        try {
            Thread.sleep(fired.delayMs());
            killNow();
            process.waitFor();
            fired.killed().complete(line);
        } catch (InterruptedException e) {
            fired.killed().completeExceptionally(e);
        }
    }

    private synchronized Optional<Trigger> fire(String line) {
        Optional<Trigger> fired = Optional.ofNullable(trigger).filter(t -> t.line().test(line));
        fired.ifPresent(t -> trigger = null);
        return fired;
    }
}
