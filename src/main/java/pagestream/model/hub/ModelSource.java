package pagestream.model.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Turns {@code pagestream.model} into a local checkpoint directory: an existing directory as is, otherwise a
 * Hugging Face repo id ({@code owner/name[@revision]}) fetched into the standard hub cache and returned as its
 * snapshot folder. A complete cached snapshot is used without asking the hub (unless {@link HubOptions#refresh()}),
 * so restarts and offline machines need no network. A LoRA adapter repo's base model is fetched the same way.
 */
public final class ModelSource {

    /** How to get a model, appended to every "not found" error. */
    public static final String HOW_TO_GET_A_MODEL = """
            Get a checkpoint with
              java -jar target/quarkus-app/quarkus-run.jar download --model vidore/colpali-v1.3-hf
            or set pagestream.model (env PAGESTREAM_MODEL) to a local checkpoint directory (config.json, \
            tokenizer.json, *.safetensors). Gated repositories also need HF_TOKEN.""";

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final HubOptions options;

    private ModelSource(HubOptions options) {
        this.options = options;
    }

    /** A local directory, or the cache snapshot of a hub repo (downloaded when missing). */
    public static Path resolve(String dirOrRepoId, HubOptions options) {
        return new ModelSource(options).resolve(dirOrRepoId, 0);
    }

    /**
     * The checkpoint directory of the base model a LoRA adapter directory applies to, or empty when {@code dir}
     * is not an adapter.
     */
    public static Optional<Path> adapterBase(Path dir, HubOptions options) {
        try {
            return CheckpointFiles.adapterBase(dir).map(base -> new ModelSource(options).resolve(base, 1));
        } catch (IOException e) {
            throw new HubException("Cannot read the adapter config in " + dir + ": " + e.getMessage(), e);
        }
    }

    private Path resolve(String dirOrRepoId, int depth) {
        String text = dirOrRepoId.strip();
        Optional<Path> local = asPath(text);
        if (local.isPresent() && Files.isDirectory(local.get())) {
            return local.get().toAbsolutePath().normalize();
        }
        int at = text.indexOf('@');
        if (!RepoId.looksLikeRepoId(at < 0 ? text : text.substring(0, at))) {
            throw new HubException("Model '" + text + "' not found: no such directory, and not a Hugging Face repo id"
                    + " (owner/name[@revision]).\n" + HOW_TO_GET_A_MODEL);
        }
        RepoId repo = RepoId.parse(text);
        Path snapshot;
        try {
            snapshot = snapshot(repo);
        } catch (IOException e) {
            throw new HubException("Cannot fetch " + repo + " into " + options.cacheDir() + ": " + e.getMessage(), e);
        }
        if (depth == 0) {
            adapterBase(snapshot, options);
        }
        return snapshot;
    }

    private Path snapshot(RepoId repo) throws IOException {
        HfCache cache = new HfCache(options.cacheDir(), repo);
        Optional<Path> cached = cache.commitFor(repo.revision()).map(cache::snapshot)
                .filter(CheckpointFiles::isComplete);
        if (options.offline()) {
            return cached.orElseThrow(() -> new HubException("Model " + repo + " is not in the Hugging Face cache "
                    + options.cacheDir() + " and offline mode is on (HF_HUB_OFFLINE); no download was tried.\n"
                    + HOW_TO_GET_A_MODEL));
        }
        if (cached.isPresent() && (!options.refresh() || repo.pinned())) {
            return cached.get();
        }
        HfHubClient hub = new HfHubClient(options);
        HfHubClient.RepoRevision revision;
        try {
            revision = hub.revision(repo);
        } catch (IOException e) {
            if (cached.isPresent()) {
                options.log().accept("Hub " + options.endpoint() + " unreachable (" + e.getMessage()
                        + "); using the cached snapshot of " + repo);
                return cached.get();
            }
            throw new HubException("Cannot reach the hub at " + options.endpoint() + " to download " + repo + ": "
                    + e + ". Check the network or HF_ENDPOINT.\n" + HOW_TO_GET_A_MODEL, e);
        }
        List<String> files = CheckpointFiles.inDownloadOrder(revision.files());
        if (files.stream().noneMatch(CheckpointFiles::isWeights)) {
            throw new HubException(repo + " has no safetensors weights (its files: " + revision.files()
                    + "); PageStream loads safetensors checkpoints such as vidore/colpali-v1.3-hf");
        }
        cache.writeRef(repo.revision(), revision.commit());
        Path snapshot = cache.snapshot(revision.commit());
        options.log().accept("Fetching " + repo + " (commit " + revision.commit() + ") into " + snapshot);
        for (String file : files) {
            if (!Files.exists(snapshot.resolve(file))) {
                HfHubClient.FileMetadata metadata = hub.metadata(repo, revision.commit(), file);
                fetchBlob(cache, hub, metadata, file);
                cache.link(revision.commit(), file, metadata.etag());
            }
        }
        if (!CheckpointFiles.isComplete(snapshot)) {
            throw new HubException(repo + " at " + revision.commit() + " is not a whole checkpoint: it needs "
                    + "config.json and every weight file its index names (downloaded: " + files + ")");
        }
        return snapshot;
    }

    /** Downloads one blob under a cross-process lock, verifies it, then moves it into {@code blobs/} atomically. */
    private void fetchBlob(HfCache cache, HfHubClient hub, HfHubClient.FileMetadata file, String filename)
            throws IOException {
        Path blob = cache.blob(file.etag());
        if (Files.exists(blob)) {
            return;
        }
        Path lockFile = cache.lockFile(file.etag());
        Files.createDirectories(lockFile.getParent());
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            if (Files.exists(blob)) {
                return; // another process finished it while we waited
            }
            Path partial = cache.incomplete(file.etag());
            checkDiskSpace(partial, file, filename);
            String sha256 = hub.download(file, filename, partial);
            verify(partial, file, filename, sha256);
            Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Fails before a multi-GB transfer that cannot fit, rather than after filling the disk. */
    private static void checkDiskSpace(Path partial, HfHubClient.FileMetadata file, String filename)
            throws IOException {
        Files.createDirectories(partial.getParent());
        long missing = file.size() - (Files.exists(partial) ? Files.size(partial) : 0);
        long free = Files.getFileStore(partial.getParent()).getUsableSpace();
        if (file.size() > 0 && missing > free) {
            throw new HubException("Not enough disk space for " + filename + " in " + partial.getParent() + ": "
                    + missing + " bytes needed, " + free + " free (set HF_HUB_CACHE to a larger disk)");
        }
    }

    /** Size always; content too when the etag is a sha256 (LFS files): a corrupt file never enters the cache. */
    private static void verify(Path partial, HfHubClient.FileMetadata file, String filename, String actual)
            throws IOException {
        long size = Files.size(partial);
        if (file.size() >= 0 && size != file.size()) {
            Files.delete(partial);
            throw new HubException("Size mismatch for " + filename + ": expected " + file.size() + " bytes, got "
                    + size + "; the download was deleted, run again");
        }
        if (SHA256.matcher(file.etag()).matches()) {
            if (!actual.equals(file.etag())) {
                Files.delete(partial);
                throw new HubException("Checksum mismatch for " + filename + ": expected sha256 " + file.etag()
                        + ", got " + actual + "; the corrupt download was deleted, run again");
            }
        }
    }

    private static Optional<Path> asPath(String text) {
        try {
            return Optional.of(Path.of(text.startsWith("~/") ? System.getProperty("user.home") + text.substring(1) : text));
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }
}
