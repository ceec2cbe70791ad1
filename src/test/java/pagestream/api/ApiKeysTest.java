package pagestream.api;

import org.junit.jupiter.api.Test;
import pagestream.stream.Caller;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiKeysTest {

    private static final String ADMIN = "admin-key-0123456789";
    private static final String ACME = "acme-key-0123456789";

    private final ApiKeys keys = ApiKeys.of(List.of(ADMIN), List.of("acme:" + ACME, "ns:team:" + "team-key-0123456789"));

    @Test
    void aKeyMapsToItsTenantBinding() {
        assertThat(keys.required()).isTrue();
        assertThat(keys.callerOf(ADMIN)).contains(Caller.ANY_TENANT);
        assertThat(keys.callerOf(ACME)).contains(Caller.boundTo("acme"));
        // Split at the last colon: tenants may contain colons, keys may not.
        assertThat(keys.callerOf("team-key-0123456789")).contains(Caller.boundTo("ns:team"));
    }

    @Test
    void wrongOrPartialKeysAreRefused() {
        for (String wrong : List.of(ADMIN + "x", ADMIN.substring(1), ADMIN.toUpperCase(), "acme:" + ACME, "")) {
            assertThat(keys.callerOf(wrong)).as(wrong).isEmpty();
        }
    }

    @Test
    void aBearerCredentialIsReadCaseInsensitivelyAndStripped() {
        assertThat(ApiKeys.bearer("Bearer " + ADMIN)).contains(ADMIN);
        assertThat(ApiKeys.bearer("bearer  " + ACME + " ")).contains(ACME);
        assertThat(ApiKeys.bearer("Basic " + ADMIN)).isEmpty();
        assertThat(ApiKeys.bearer("Bearer ")).isEmpty();
        assertThat(ApiKeys.bearer(null)).isEmpty();
    }

    @Test
    void badSettingsAreRefusedWithoutEchoingTheKey() {
        assertThatThrownBy(() -> ApiKeys.of(List.of("k3y!"), List.of())).hasMessageContaining("shorter than 16")
                .hasMessageNotContaining("k3y!");
        assertThatThrownBy(() -> ApiKeys.of(List.of(), List.of("no-tenant-separator-secret")))
                .hasMessageContaining("<tenant>:<key>").hasMessageNotContaining("no-tenant-separator-secret");
        assertThatThrownBy(() -> ApiKeys.of(List.of(), List.of(":leading-colon-secret-key")))
                .hasMessageNotContaining("leading-colon-secret-key");
        assertThat(ApiKeys.of(List.of(), List.of()).required()).isFalse();
        assertThat(keys.toString()).isEqualTo("ApiKeys[3 keys]");
    }
}
