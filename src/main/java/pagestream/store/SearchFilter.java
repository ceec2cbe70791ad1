package pagestream.store;

import java.util.Objects;

/**
 * Which pages a search or count may see. {@code null} fields match anything. A tenant filter matches only pages
 * of exactly that tenant (never pages without a tenant), and no method of this class removes or replaces it:
 * code that receives a tenant-scoped filter can only narrow it further.
 */
public record SearchFilter(String tenant, String docId) {

    private static final SearchFilter ANY = new SearchFilter(null, null);

    public static SearchFilter any() {
        return ANY;
    }

    public static SearchFilter tenant(String tenant) {
        return new SearchFilter(Objects.requireNonNull(tenant, "tenant"), null);
    }

    /** This filter restricted to one document; the tenant (if any) stays. */
    public SearchFilter withDocId(String docId) {
        return new SearchFilter(tenant, Objects.requireNonNull(docId, "docId"));
    }

    public boolean matches(String pageTenant, String pageDocId) {
        return (tenant == null || tenant.equals(pageTenant)) && (docId == null || docId.equals(pageDocId));
    }
}
