package pagestream.model.hub;

import java.util.regex.Pattern;

/**
 * A Hugging Face model repository at a revision: {@code owner/name} or {@code owner/name@revision}
 * (branch, tag or 40-hex commit; {@code main} when absent).
 */
public record RepoId(String id, String revision) {

    public static final String DEFAULT_REVISION = "main";

    // The hub's own rule for repo name parts: letters, digits, '-', '_', '.', no leading/trailing '-' or '.'.
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,94}[A-Za-z0-9])?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    public RepoId {
        if (!looksLikeRepoId(id)) {
            throw new IllegalArgumentException("'" + id + "' is not a Hugging Face repo id (expected owner/name)");
        }
        if (revision == null || revision.isBlank()) {
            throw new IllegalArgumentException("empty revision in repo id '" + id + "@'");
        }
    }

    /** Parses {@code owner/name[@revision]}; throws {@link IllegalArgumentException} naming the bad text. */
    public static RepoId parse(String text) {
        int at = text.indexOf('@');
        return at < 0 ? new RepoId(text, DEFAULT_REVISION) : new RepoId(text.substring(0, at), text.substring(at + 1));
    }

    static boolean looksLikeRepoId(String text) {
        String[] parts = text.split("/", -1);
        return parts.length == 2 && PART.matcher(parts[0]).matches() && PART.matcher(parts[1]).matches()
                && !text.contains("..") && !text.contains("--");
    }

    /** True when the revision is already a commit hash: its snapshot can never change. */
    public boolean pinned() {
        return COMMIT.matcher(revision).matches();
    }

    /** The cache folder name {@code huggingface_hub} uses: {@code models--owner--name}. */
    public String cacheFolderName() {
        return "models--" + id.replace("/", "--");
    }

    @Override
    public String toString() {
        return DEFAULT_REVISION.equals(revision) ? id : id + "@" + revision;
    }
}
