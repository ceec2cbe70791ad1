package pagestream.api;

import io.quarkus.oidc.TenantIdentityProvider;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import pagestream.PageStreamConfig;

import java.time.Clock;
import java.util.Optional;

/**
 * The {@link CallerAuthenticator} of {@code POST /search} and of Kafka queries. Quarkus OIDC is only looked up when
 * {@code pagestream.api.oidc.enabled}: otherwise its default tenant stays disabled and nothing of it runs.
 */
@Singleton
public class SecurityComponents {

    @Produces
    @Singleton
    CallerAuthenticator callerAuthenticator(PageStreamConfig config, Instance<TenantIdentityProvider> oidc,
            @ConfigProperty(name = "quarkus.oidc.auth-server-url") Optional<String> authServerUrl) {
        PageStreamConfig.Api.Oidc settings = config.api().oidc();
        Optional<BearerTokenVerifier> tokens = Optional.empty();
        if (settings.enabled()) {
            if (authServerUrl.isEmpty()) {
                throw new IllegalArgumentException("pagestream.api.oidc.enabled=true needs "
                        + "quarkus.oidc.auth-server-url (the OIDC provider's issuer URL, e.g. https://keycloak.example/realms/pagestream)");
            }
            tokens = Optional.of(new OidcTokenVerifier(oidc.get(), settings.tenantClaim()));
        }
        return new CallerAuthenticator(ApiKeys.from(config.api()), tokens, settings.verifyTimeout(),
                settings.cacheSize(), Clock.systemUTC());
    }
}
