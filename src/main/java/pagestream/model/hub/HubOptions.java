package pagestream.model.hub;

import org.jboss.logging.Logger;
import pagestream.PageStreamConfig;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * How models are fetched from a Hugging Face hub. {@link #fromEnvironment()} reads the same environment variables
 * as Python's {@code huggingface_hub}, so both share one cache and one login.
 *
 * @param endpoint the hub ({@code HF_ENDPOINT}, default {@code https://huggingface.co})
 * @param token    sent as {@code Authorization: Bearer} to the hub only, never to the CDN it redirects to, never logged
 * @param cacheDir the hub cache root holding {@code models--owner--name} folders
 * @param offline  use only what is in the cache ({@code HF_HUB_OFFLINE=1})
 * @param refresh  ask the hub for the revision's current commit even when a complete snapshot is cached
 * @param log      receives progress lines (file, percent, MB/s)
 */
public record HubOptions(URI endpoint, Optional<String> token, Path cacheDir, boolean offline, boolean refresh,
                         Consumer<String> log) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE_VALUES = Set.of("1", "on", "yes", "true");
    private static final Logger LOG = Logger.getLogger(ModelSource.class);

    public HubOptions {
        String text = endpoint.toString();
        if (text.endsWith("/")) {
            endpoint = URI.create(text.substring(0, text.length() - 1));
        }
        token = token.filter(t -> !t.isBlank()).map(String::strip);
    }

    public static HubOptions fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** {@code HF_ENDPOINT}, {@code HF_TOKEN} (or the token file {@code huggingface-cli login} writes),
     * {@code HF_HUB_CACHE} / {@code HF_HOME}, {@code HF_HUB_OFFLINE}. */
    public static HubOptions fromEnvironment(Map<String, String> env, Path userHome) {
        Path hfHome = nonBlank(env.get("HF_HOME")).map(Path::of)
                .orElseGet(() -> nonBlank(env.get("XDG_CACHE_HOME")).map(Path::of)
                        .orElse(userHome.resolve(".cache")).resolve("huggingface"));
        Path cache = nonBlank(env.get("HF_HUB_CACHE")).or(() -> nonBlank(env.get("HUGGINGFACE_HUB_CACHE")))
                .map(Path::of).orElse(hfHome.resolve("hub"));
        Optional<String> token = nonBlank(env.get("HF_TOKEN"))
                .or(() -> nonBlank(env.get("HUGGING_FACE_HUB_TOKEN")))
                .or(() -> readTokenFile(nonBlank(env.get("HF_TOKEN_PATH")).map(Path::of)
                        .orElse(hfHome.resolve("token"))));
        boolean offline = nonBlank(env.get("HF_HUB_OFFLINE"))
                .map(v -> TRUE_VALUES.contains(v.toLowerCase(Locale.ROOT))).orElse(false);
        URI endpoint = URI.create(nonBlank(env.get("HF_ENDPOINT")).orElse(DEFAULT_ENDPOINT));
        return new HubOptions(endpoint, token, cache, offline, false, LOG::info);
    }

    /** The environment's settings, overridden by {@code pagestream.hub.*}. */
    public static HubOptions from(PageStreamConfig.Hub config) {
        HubOptions env = fromEnvironment();
        return env.withCacheDir(config.cacheDir().orElse(env.cacheDir())).withOffline(env.offline() || config.offline());
    }

    public HubOptions withCacheDir(Path dir) {
        return new HubOptions(endpoint, token, dir, offline, refresh, log);
    }

    public HubOptions withOffline(boolean value) {
        return new HubOptions(endpoint, token, cacheDir, value, refresh, log);
    }

    public HubOptions withRefresh(boolean value) {
        return new HubOptions(endpoint, token, cacheDir, offline, value, log);
    }

    public HubOptions withLog(Consumer<String> value) {
        return new HubOptions(endpoint, token, cacheDir, offline, refresh, value);
    }

    /** Never prints the token itself. */
    @Override
    public String toString() {
        return "HubOptions[endpoint=" + endpoint + ", token=" + (token.isPresent() ? "<set>" : "<none>")
                + ", cacheDir=" + cacheDir + ", offline=" + offline + ", refresh=" + refresh + "]";
    }

    private static Optional<String> nonBlank(String value) {
        return Optional.ofNullable(value).filter(v -> !v.isBlank());
    }

    private static Optional<String> readTokenFile(Path file) {
        try {
            return Files.isRegularFile(file) ? nonBlank(Files.readString(file).strip()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
