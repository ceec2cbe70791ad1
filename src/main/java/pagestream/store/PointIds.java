package pagestream.store;

import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.UUID;

/**
 * Deterministic point ids, so re-ingesting a page replaces it instead of duplicating it: UUID version 5
 * (RFC 9562 §5.5, SHA-1 name-based). Names are unambiguous for any strings, NULs included:
 * <ul>
 *   <li>without tenant: namespace {@link #PAGE_NAMESPACE}, name {@code docId + "\0" + page} (page is decimal
 *       digits, so the last NUL splits it);</li>
 *   <li>with tenant: namespace {@link #TENANT_PAGE_NAMESPACE}, name {@code tenant.length() + ":" + tenant + "\0"
 *       + docId + "\0" + page} (length-prefixed tenant), so equal doc ids of two tenants never collide.</li>
 * </ul>
 * Names are UTF-8 encoded. Python: {@code uuid.uuid5(uuid.UUID("51d15b6b-..."), "report.pdf\x003")}.
 */
public final class PointIds {

    public static final UUID PAGE_NAMESPACE = UUID.fromString("51d15b6b-1c6e-4fbd-af9c-ca86919d36ba");
    public static final UUID TENANT_PAGE_NAMESPACE = UUID.fromString("9b7f2c4e-8d1a-4e3b-a6f5-2c0d7e9b1a43");

    private PointIds() {
    }

    public static UUID of(String docId, int page) {
        Objects.requireNonNull(docId, "docId");
        return uuid5(PAGE_NAMESPACE, docId + '\0' + page);
    }

    /** {@code tenant == null} gives {@link #of(String, int)}. */
    public static UUID of(String tenant, String docId, int page) {
        if (tenant == null) {
            return of(docId, page);
        }
        Objects.requireNonNull(docId, "docId");
        return uuid5(TENANT_PAGE_NAMESPACE, tenant.length() + ":" + tenant + '\0' + docId + '\0' + page);
    }

    static UUID uuid5(UUID namespace, String name) {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
        sha1.update(ByteBuffer.allocate(16)
                .putLong(namespace.getMostSignificantBits())
                .putLong(namespace.getLeastSignificantBits())
                .array());
        byte[] hash = sha1.digest(name.getBytes(StandardCharsets.UTF_8));
        hash[6] = (byte) ((hash[6] & 0x0f) | 0x50); // version 5
        hash[8] = (byte) ((hash[8] & 0x3f) | 0x80); // RFC 4122/9562 variant
        ByteBuffer bytes = ByteBuffer.wrap(hash, 0, 16);
        return new UUID(bytes.getLong(), bytes.getLong());
    }
}
