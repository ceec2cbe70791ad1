package pagestream.model.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * A Hugging Face hub on 127.0.0.1 speaking the endpoints and headers {@code huggingface_hub} relies on: the revision
 * API, {@code resolve} with {@code X-Repo-Commit} / {@code ETag} / {@code X-Linked-Etag} / {@code X-Linked-Size},
 * LFS files redirected to a second server (the "CDN", another origin) that honours {@code Range}, gated repos
 * answering 401 {@code GatedRepo} without the token, unknown repos 401 {@code RepoNotFound}, a renamed repo
 * answering with a relative redirect. Every request is recorded.
 */
public final class FakeHub implements AutoCloseable {

    public static final String TOKEN = "hf_fake_secret_token";

    public record Request(String server, String method, String path, String authorization, String range) {
    }

    public static final class Repo {
        final String id;
        final String commit;
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final Set<String> lfs = ConcurrentHashMap.newKeySet();
        public boolean gated;
        public boolean corruptCdn;

        Repo(String id, String commit) {
            this.id = id;
            this.commit = commit;
        }

        public Repo file(String name, byte[] content, boolean isLfs) {
            files.put(name, content);
            if (isLfs) {
                lfs.add(name);
            }
            return this;
        }
    }

    private final HttpServer hub;
    private final HttpServer cdn;
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private volatile long cutNextTransferAfter = -1;

    public FakeHub() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", this::handleHub);
        cdn.createContext("/", this::handleCdn);
        hub.start();
        cdn.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    public Repo add(String id, String commit) {
        Repo repo = new Repo(id, commit);
        repos.put(id, repo);
        return repo;
    }

    /** A repo with the tiny-a checkpoint files from the test fixtures, plus files PageStream must skip. */
    public Repo addTinyA(String id, String commit) throws IOException {
        Path dir = Path.of("src/test/resources/golden/tiny-a");
        Repo repo = add(id, commit);
        for (String name : List.of("config.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json")) {
            repo.file(name, Files.readAllBytes(dir.resolve(name)), false);
        }
        repo.file("model.safetensors", Files.readAllBytes(dir.resolve("model.safetensors")), true);
        repo.file("README.md", "# tiny-a\n".getBytes(StandardCharsets.UTF_8), false);
        repo.file("pytorch_model.bin", new byte[]{1, 2, 3}, true);
        repo.file("onnx/model.safetensors", new byte[]{4, 5, 6}, true);
        return repo;
    }

    public void rename(String oldId, String newId) {
        renamed.put(oldId, newId);
    }

    /** The next CDN transfer sends its full Content-Length but drops the connection after this many bytes. */
    public void cutNextTransferAfter(long bytes) {
        cutNextTransferAfter = bytes;
    }

    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    public List<Request> requests(String server) {
        return requests().stream().filter(r -> r.server().equals(server)).collect(Collectors.toList());
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }

    private void record(String server, HttpExchange exchange) {
        requests.add(new Request(server, exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                exchange.getRequestHeaders().getFirst("Authorization"), exchange.getRequestHeaders().getFirst("Range")));
    }

    private void handleHub(HttpExchange exchange) throws IOException {
        record("hub", exchange);
        try {
            String path = exchange.getRequestURI().getPath();
            for (Map.Entry<String, String> move : renamed.entrySet()) {
                if (path.startsWith("/" + move.getKey() + "/") || path.startsWith("/api/models/" + move.getKey() + "/")) {
                    exchange.getResponseHeaders().set("Location", path.replace(move.getKey(), move.getValue()));
                    exchange.sendResponseHeaders(307, -1);
                    return;
                }
            }
            if (path.startsWith("/api/models/")) {
                revisionApi(exchange, path.substring("/api/models/".length()));
            } else {
                resolve(exchange, path.substring(1));
            }
        } finally {
            exchange.close();
        }
    }

    // /api/models/{owner}/{name}/revision/{rev}
    private void revisionApi(HttpExchange exchange, String rest) throws IOException {
        String[] parts = rest.split("/", 4);
        Repo repo = repos.get(parts[0] + "/" + parts[1]);
        if (repo == null) {
            error(exchange, 401, "RepoNotFound", "Repository not found");
            return;
        }
        if (!parts[3].equals("main") && !parts[3].equals(repo.commit)) {
            error(exchange, 404, "RevisionNotFound", "Invalid rev id: " + parts[3]);
            return;
        }
        String siblings = repo.files.keySet().stream().map(f -> "{\"rfilename\":\"" + f + "\"}")
                .collect(Collectors.joining(","));
        byte[] body = ("{\"id\":\"" + repo.id + "\",\"sha\":\"" + repo.commit + "\",\"gated\":" + repo.gated
                + ",\"siblings\":[" + siblings + "]}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
    }

    // /{owner}/{name}/resolve/{rev}/{file}
    private void resolve(HttpExchange exchange, String rest) throws IOException {
        String[] parts = rest.split("/", 5);
        Repo repo = parts.length == 5 && parts[2].equals("resolve") ? repos.get(parts[0] + "/" + parts[1]) : null;
        if (repo == null) {
            error(exchange, 401, "RepoNotFound", "Repository not found");
            return;
        }
        if (repo.gated && !("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            error(exchange, 401, "GatedRepo", "Access to model " + repo.id + " is restricted.");
            return;
        }
        byte[] content = repo.files.get(parts[4]);
        exchange.getResponseHeaders().set("X-Repo-Commit", repo.commit);
        if (content == null) {
            error(exchange, 404, "EntryNotFound", "Entry not found");
            return;
        }
        if (repo.lfs.contains(parts[4])) {
            String sha = sha256(content);
            exchange.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
            exchange.getResponseHeaders().set("X-Linked-Size", Long.toString(content.length));
            exchange.getResponseHeaders().set("ETag", "\"pointer-etag\"");
            exchange.getResponseHeaders().set("Location",
                    "http://127.0.0.1:" + cdn.getAddress().getPort() + "/repos/" + repo.id + "/" + sha + "?sig=abc");
            exchange.sendResponseHeaders(302, -1);
            return;
        }
        exchange.getResponseHeaders().set("ETag", "\"" + sha256(content).substring(0, 40) + "\"");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().set("Content-Length", Long.toString(content.length));
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        exchange.sendResponseHeaders(200, content.length);
        exchange.getResponseBody().write(content);
    }

    // /repos/{owner}/{name}/{sha256}
    private void handleCdn(HttpExchange exchange) throws IOException {
        record("cdn", exchange);
        try {
            String[] parts = exchange.getRequestURI().getPath().split("/");
            Repo repo = repos.get(parts[2] + "/" + parts[3]);
            byte[] content = repo == null ? null : repo.files.values().stream()
                    .filter(c -> sha256(c).equals(parts[4])).findFirst().orElse(null);
            if (content == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (repo.corruptCdn) {
                content = content.clone();
                content[content.length / 2] ^= 0x5a;
            }
            long from = 0;
            String range = exchange.getRequestHeaders().getFirst("Range");
            if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
                from = Long.parseLong(range.substring(6, range.length() - 1));
                if (from >= content.length) {
                    exchange.sendResponseHeaders(416, -1);
                    return;
                }
                exchange.getResponseHeaders().set("Content-Range",
                        "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
            }
            int length = content.length - (int) from;
            exchange.sendResponseHeaders(from > 0 ? 206 : 200, length);
            long cut = cutNextTransferAfter;
            cutNextTransferAfter = -1;
            OutputStream out = exchange.getResponseBody();
            if (cut >= 0 && cut < length) {
                out.write(content, (int) from, (int) cut);
                out.flush();
                // Closing a fixed-length exchange early makes the server drop the connection mid-body.
                return;
            }
            out.write(content, (int) from, length);
        } finally {
            exchange.close();
        }
    }

    private static void error(HttpExchange exchange, int status, String code, String message) throws IOException {
        exchange.getResponseHeaders().set("X-Error-Code", code);
        exchange.getResponseHeaders().set("X-Error-Message", message);
        exchange.sendResponseHeaders(status, -1);
    }

    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
