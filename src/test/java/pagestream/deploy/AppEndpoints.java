package pagestream.deploy;

/**
 * The app's HTTP paths as Quarkus builds them: the non-application root (reflected default of
 * {@code quarkus.http.non-application-root-path}) plus SmallRye Health's and Micrometer's paths. Those two are
 * build-time settings whose config classes live in Quarkus' deployment modules (not on the test class path), so
 * their documented defaults stand here, overridden by the app's application.properties like at build time.
 */
final class AppEndpoints {

    private AppEndpoints() {}

    /** {@code kind}: live, ready or started. */
    static String health(String kind) {
        String sub = switch (kind) {
            case "live" -> builtIn("quarkus.smallrye-health.liveness-path", "live");
            case "ready" -> builtIn("quarkus.smallrye-health.readiness-path", "ready");
            case "started" -> builtIn("quarkus.smallrye-health.startup-path", "started");
            default -> throw new IllegalArgumentException(kind);
        };
        String root = join(nonApplicationRoot(), builtIn("quarkus.smallrye-health.root-path", "health"));
        return join(root, sub);
    }

    static String metrics() {
        return join(nonApplicationRoot(), builtIn("quarkus.micrometer.export.prometheus.path", "metrics"));
    }

    static String nonApplicationRoot() {
        return join("/", AppConfig.defaultOf("quarkus.http.non-application-root-path"));
    }

    private static String builtIn(String property, String quarkusDefault) {
        return AppConfig.BUILT_IN.getProperty(property, quarkusDefault);
    }

    /** Quarkus resolves a relative path against its parent and keeps an absolute one. */
    private static String join(String parent, String path) {
        if (path.startsWith("/")) {
            return path;
        }
        return (parent.endsWith("/") ? parent : parent + "/") + path;
    }
}
