package pagestream.model.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * One repository's folder in the Hugging Face hub cache, laid out exactly as {@code huggingface_hub} lays it out,
 * so Python and PageStream share downloads:
 * <pre>
 * models--owner--name/
 *   blobs/&lt;etag&gt;                  file content, named by its sha256 (LFS) or git blob sha1
 *   refs/&lt;revision&gt;               the commit hash the branch or tag pointed to
 *   snapshots/&lt;commit&gt;/&lt;file&gt;      relative symlink to ../../blobs/&lt;etag&gt;
 * .locks/models--owner--name/&lt;etag&gt;.lock
 * </pre>
 * A snapshot entry appears only after its blob is complete and verified, so an entry that exists is whole.
 */
final class HfCache {

    private final Path root;
    private final RepoId repo;
    private final Path repoDir;

    HfCache(Path root, RepoId repo) {
        this.root = root;
        this.repo = repo;
        this.repoDir = root.resolve(repo.cacheFolderName());
    }

    Path repoDir() {
        return repoDir;
    }

    Path blob(String etag) {
        return repoDir.resolve("blobs").resolve(etag);
    }

    /** Partial download of a blob, resumed with an HTTP Range request. */
    Path incomplete(String etag) {
        return repoDir.resolve("blobs").resolve(etag + ".incomplete");
    }

    Path lockFile(String etag) {
        return root.resolve(".locks").resolve(repo.cacheFolderName()).resolve(etag + ".lock");
    }

    Path snapshot(String commit) {
        return repoDir.resolve("snapshots").resolve(commit);
    }

    /** The commit the revision resolved to when last seen online (the revision itself when it is a commit). */
    Optional<String> commitFor(String revision) throws IOException {
        if (repo.pinned()) {
            return Optional.of(revision);
        }
        Path ref = repoDir.resolve("refs").resolve(revision);
        return Files.isRegularFile(ref)
                ? Optional.of(Files.readString(ref, StandardCharsets.UTF_8).strip()).filter(s -> !s.isEmpty())
                : Optional.empty();
    }

    void writeRef(String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = repoDir.resolve("refs").resolve(revision);
        Files.createDirectories(ref.getParent());
        Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Points {@code snapshots/<commit>/<file>} at the blob with a relative symlink, replacing any old entry. */
    Path link(String commit, String filename, String etag) throws IOException {
        Path entry = snapshot(commit).resolve(filename);
        Files.createDirectories(entry.getParent());
        Path target = entry.getParent().relativize(blob(etag));
        Path tmp = entry.resolveSibling("." + entry.getFileName() + ".link");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, entry, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return entry;
    }
}
