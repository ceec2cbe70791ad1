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
    void aKeyIsTakenFromEitherHeaderAndMapsToItsTenantBinding() {
        assertThat(keys.required()).isTrue();
        assertThat(keys.authenticate(ADMIN, null)).contains(Caller.ANY_TENANT);
        assertThat(keys.authenticate(null, "Bearer " + ADMIN)).contains(Caller.ANY_TENANT);
        assertThat(keys.authenticate(null, "bearer  " + ACME + " ")).contains(Caller.boundTo("acme"));
        // Split at the last colon: tenants may contain colons, keys may not.
        assertThat(keys.authenticate("team-key-0123456789", null)).contains(Caller.boundTo("ns:team"));
    }

    @Test
    void missingWrongOrPartialKeysAreRefused() {
        for (String wrong : List.of(ADMIN + "x", ADMIN.substring(1), ADMIN.toUpperCase(), "acme:" + ACME, "")) {
            assertThat(keys.authenticate(wrong, null)).as(wrong).isEmpty();
        }
        assertThat(keys.authenticate(null, "Basic " + ADMIN)).isEmpty();
        assertThat(keys.authenticate(null, "Bearer ")).isEmpty();
        assertThat(keys.authenticate(null, null)).isEmpty();
        assertThat(ApiKeys.presented(null, null)).isFalse();
        assertThat(ApiKeys.presented("x", null)).isTrue();
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
