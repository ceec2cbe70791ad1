package pagestream.model.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The Hugging Face hub's HTTP protocol, as {@code huggingface_hub}'s {@code file_download.py} speaks it:
 * <ul>
 *   <li>{@code GET /api/models/{repo}/revision/{rev}}: the commit a revision points to and the repo's files;</li>
 *   <li>{@code HEAD /{repo}/resolve/{commit}/{file}}: {@code X-Repo-Commit}, the file's etag ({@code X-Linked-Etag}
 *       for LFS files, which is their sha256, else {@code ETag}, the git blob sha1), its size ({@code X-Linked-Size}
 *       or {@code Content-Length}) and, for LFS files, a redirect to the CDN that serves the bytes;</li>
 *   <li>{@code GET} of that location, with {@code Range: bytes=n-} to resume a partial file.</li>
 * </ul>
 * Redirects are followed by hand so that the token goes to the hub's own origin only, never to a CDN.
 */
final class HfHubClient {

    /** What a revision resolves to on the hub. */
    record RepoRevision(String commit, List<String> files) {
    }

    /** One file of a commit: where to GET it, its etag (the blob name in the cache) and its size. */
    record FileMetadata(String commit, String etag, long size, URI location) {
    }

    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ATTEMPTS = 5;
    private static final int BUFFER_BYTES = 1 << 20;
    private static final String USER_AGENT = "pagestream/0.1; java/" + Runtime.version().feature();

    private final HubOptions options;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    HfHubClient(HubOptions options) {
        this.options = options;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(15))
                .build();
    }

    RepoRevision revision(RepoId repo) throws IOException {
        URI uri = URI.create(options.endpoint() + "/api/models/" + repo.id() + "/revision/" + encode(repo.revision()));
        HttpResponse<byte[]> response = send(request(uri).GET(), HttpResponse.BodyHandlers.ofByteArray(), true);
        if (response.statusCode() >= 500 || response.statusCode() == 429) {
            // The hub is down or busy, like a failed connection: a cached snapshot may still serve.
            throw new IOException("HTTP " + response.statusCode() + " from " + uri);
        }
        if (response.statusCode() != 200) {
            throw failure(response.statusCode(), response.headers(), repo, "revision " + repo.revision());
        }
        JsonNode body = json.readTree(response.body());
        String commit = body.path("sha").asText("");
        if (commit.isEmpty()) {
            throw new HubException("The hub at " + options.endpoint() + " answered for " + repo
                    + " without a commit hash ('sha'); is HF_ENDPOINT a Hugging Face hub?");
        }
        List<String> files = new ArrayList<>();
        body.path("siblings").forEach(s -> files.add(s.path("rfilename").asText()));
        return new RepoRevision(commit, files);
    }

    FileMetadata metadata(RepoId repo, String commit, String filename) throws IOException {
        URI uri = resolveUri(repo, commit, filename);
        HttpResponse<Void> response = send(request(uri).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Accept-Encoding", "identity"), HttpResponse.BodyHandlers.discarding(), true);
        int status = response.statusCode();
        HttpHeaders headers = response.headers();
        if (status >= 400) {
            throw failure(status, headers, repo, filename);
        }
        String fileCommit = headers.firstValue("X-Repo-Commit").orElseThrow(() -> new HubException(
                uri + " has no X-Repo-Commit header: HF_ENDPOINT " + options.endpoint() + " is not a Hugging Face hub"));
        String etag = headers.firstValue("X-Linked-Etag").or(() -> headers.firstValue("ETag"))
                .map(HfHubClient::normalizeEtag).filter(e -> !e.isEmpty())
                .orElseThrow(() -> new HubException(uri + " has no ETag: cannot name or verify " + filename));
        long size = headers.firstValue("X-Linked-Size").or(() -> headers.firstValue("Content-Length"))
                .map(Long::parseLong).orElse(-1L);
        // A 3xx here points to the CDN (the hub's own relative redirects were followed by send()).
        URI location = status >= 300 ? uri.resolve(headers.firstValue("Location").orElseThrow(
                () -> new HubException(uri + " redirected without a Location header"))) : uri;
        return new FileMetadata(fileCommit, etag, size, location);
    }

    /**
     * Fetches the file into {@code partial}, appending to what an earlier attempt left there, retrying a dropped
     * connection from where it stopped; returns the sha256 of the whole file.
     */
    String download(FileMetadata file, String filename, Path partial) throws IOException {
        long onDisk = Files.exists(partial) ? Files.size(partial) : 0;
        if (file.size() >= 0 && onDisk > file.size()) {
            Files.delete(partial);
            onDisk = 0;
        }
        DownloadProgress progress = new DownloadProgress(filename, file.size(), onDisk, options.log());
        ContentHash hash = new ContentHash();
        for (int attempt = 1; ; attempt++) {
            hash.syncWith(partial);
            onDisk = Files.exists(partial) ? Files.size(partial) : 0;
            if (file.size() >= 0 && onDisk == file.size()) {
                break;
            }
            try {
                transfer(file, filename, partial, onDisk, progress, hash);
                break;
            } catch (IOException e) {
                if (attempt == MAX_ATTEMPTS) {
                    long kept = Files.exists(partial) ? Files.size(partial) : 0;
                    throw new HubException("Download of " + filename + " failed after " + attempt + " attempts ("
                            + e.getMessage() + "); " + kept + " bytes are kept in " + partial
                            + " and the next run resumes from there", e);
                }
                options.log().accept("  " + filename + ": transfer interrupted (" + e.getMessage()
                        + "), resuming (attempt " + (attempt + 1) + " of " + MAX_ATTEMPTS + ")");
                sleep(250L << attempt);
            }
        }
        hash.syncWith(partial);
        progress.finished();
        return hash.hex();
    }

    private void transfer(FileMetadata file, String filename, Path partial, long offset, DownloadProgress progress,
                          ContentHash hash) throws IOException {
        HttpRequest.Builder get = request(file.location()).GET().header("Accept-Encoding", "identity");
        if (offset > 0) {
            get.header("Range", "bytes=" + offset + "-");
        }
        HttpResponse<InputStream> response = send(get, HttpResponse.BodyHandlers.ofInputStream(), false);
        int status = response.statusCode();
        boolean append = status == 206;
        if (status == 416) {
            // The range no longer fits the object: start over.
            response.body().close();
            Files.deleteIfExists(partial);
            throw new IOException("server refused to resume (416)");
        }
        if (status >= 500 || status == 429) {
            response.body().close();
            throw new IOException("HTTP " + status + " from " + file.location().getHost());
        }
        if (status != 200 && status != 206) {
            response.body().close();
            throw failure(status, response.headers(), null, filename);
        }
        if (!append) {
            progress.restart();
            hash.reset();
        }
        Files.createDirectories(partial.getParent());
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[BUFFER_BYTES];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                hash.update(buffer, 0, n);
                progress.advance(n);
            }
        }
        long written = Files.size(partial);
        if (file.size() >= 0 && written != file.size()) {
            throw new IOException("connection closed at " + written + " of " + file.size() + " bytes");
        }
    }

    /**
     * Sends a request, following redirects itself: the token travels only to the hub's origin, and on
     * metadata requests only relative (same-hub) redirects are followed, leaving the CDN location to the caller.
     */
    private <T> HttpResponse<T> send(HttpRequest.Builder builder, HttpResponse.BodyHandler<T> handler,
                                     boolean hubRedirectsOnly) throws IOException {
        HttpRequest request = authorize(builder).build();
        for (int hop = 0; ; hop++) {
            HttpResponse<T> response;
            try {
                response = http.send(request, handler);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while fetching " + request.uri(), e);
            }
            int status = response.statusCode();
            Optional<String> location = response.headers().firstValue("Location");
            if (status < 300 || status >= 400 || location.isEmpty() || hop == MAX_REDIRECTS) {
                return response;
            }
            URI next = request.uri().resolve(location.get());
            if (hubRedirectsOnly && !sameOrigin(next, options.endpoint())) {
                return response;
            }
            if (response.body() instanceof InputStream body) {
                body.close();
            }
            HttpRequest.Builder followed = HttpRequest.newBuilder(next).timeout(METADATA_TIMEOUT)
                    .method(request.method(), HttpRequest.BodyPublishers.noBody());
            request.headers().map().forEach((name, values) -> {
                if (!name.equalsIgnoreCase("Authorization")) {
                    values.forEach(v -> followed.header(name, v));
                }
            });
            request = authorize(followed).build();
        }
    }

    private HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(METADATA_TIMEOUT).header("User-Agent", USER_AGENT);
    }

    private HttpRequest.Builder authorize(HttpRequest.Builder builder) {
        HttpRequest probe = builder.copy().build();
        if (options.token().isPresent() && sameOrigin(probe.uri(), options.endpoint())
                && probe.headers().firstValue("Authorization").isEmpty()) {
            builder.header("Authorization", "Bearer " + options.token().get());
        }
        return builder;
    }

    private HubException failure(int status, HttpHeaders headers, RepoId repo, String what) {
        String code = headers.firstValue("X-Error-Code").orElse("");
        String detail = headers.firstValue("X-Error-Message").map(m -> " (hub says: " + m + ")").orElse("");
        if (repo == null) {
            return new HubException("Download of " + what + " failed: HTTP " + status + detail);
        }
        String name = repo.id();
        String page = options.endpoint() + "/" + repo.id();
        boolean hasToken = options.token().isPresent();
        if (code.equals("GatedRepo") || status == 403) {
            return new HubException(hasToken
                    ? name + " is a gated repository and the account of HF_TOKEN has no access: accept its conditions on "
                    + page + " with that account" + detail
                    : name + " is a gated repository: accept its conditions on " + page
                    + ", then set HF_TOKEN to a read token of that account" + detail);
        }
        if (code.equals("RevisionNotFound")) {
            return new HubException("Revision '" + repo.revision() + "' not found in " + name + detail);
        }
        if (code.equals("EntryNotFound")) {
            return new HubException("File " + what + " not found in " + name + " at " + repo.revision() + detail);
        }
        if (code.equals("RepoNotFound") || status == 404 || status == 401) {
            return new HubException("Model repository " + name + " not found on " + options.endpoint()
                    + (hasToken ? " (or the token in HF_TOKEN cannot read it)" : " (a private repository needs HF_TOKEN)")
                    + detail);
        }
        if (status == 429) {
            return new HubException("The hub rate-limited the download of " + what + " (HTTP 429); try again later"
                    + detail);
        }
        return new HubException("HTTP " + status + " from " + options.endpoint() + " for " + name + " (" + what + ")"
                + detail);
    }

    URI resolveUri(RepoId repo, String commit, String filename) {
        return URI.create(options.endpoint() + "/" + repo.id() + "/resolve/" + encode(commit) + "/"
                + encode(filename).replace("%2F", "/"));
    }

    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.replace("\"", "");
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
