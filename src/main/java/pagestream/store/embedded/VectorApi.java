package pagestream.store.embedded;

/**
 * Whether the JDK's Vector API ({@code jdk.incubator.vector}) is usable. It is an incubator module, so the JVM
 * resolves it only when started with {@code --add-modules=jdk.incubator.vector} (the images, {@code quarkus:dev}
 * and the tests pass it). Without it, a class that mentions a vector type fails to link with
 * {@code NoClassDefFoundError}: every class that does ({@link MaxSimKernel}, the bench's probes) is only reached
 * through a check of {@link #ENABLED}, so a plain {@code java -jar quarkus-run.jar} still runs the whole service,
 * on {@link ScalarMaxSimKernel}.
 */
public final class VectorApi {

    public static final boolean ENABLED = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** What to tell a user who started the JVM without the module. */
    public static final String HOW_TO_ENABLE = "start java with --add-modules=jdk.incubator.vector";

    private VectorApi() {
    }
}
