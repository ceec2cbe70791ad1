package pagestream.kafka;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import pagestream.PageStreamConfig;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The embedded broker's client listener as SASL_SSL with SCRAM-SHA-512: the TLS key store the listener presents
 * and the one SCRAM user that exists on the cluster (the broker authenticates as that user too). {@link #toString()}
 * never shows the passwords.
 *
 * @param keyStore         the listener's key store (PKCS12 or JKS); for a self-signed certificate it is also the
 *                         trust store the broker's own clients use
 * @param keyStoreType     {@code PKCS12} or {@code JKS}
 * @param keyStorePassword the key store's (and its key's) password
 */
public record BrokerSecurity(Path keyStore, String keyStoreType, String keyStorePassword, String username,
                             String password) {

    public static final String MECHANISM = "SCRAM-SHA-512";

    public BrokerSecurity {
        Objects.requireNonNull(keyStore, "keyStore");
        Objects.requireNonNull(keyStoreType, "keyStoreType");
        Objects.requireNonNull(keyStorePassword, "keyStorePassword");
        if (username == null || username.isBlank() || password == null || password.isEmpty()) {
            throw new IllegalArgumentException("pagestream.embedded-kafka.sasl-ssl needs a username and a password");
        }
        // Kafka's format-time SCRAM argument is comma-separated and has no escape for a comma.
        if (username.contains(",") || password.contains(",")) {
            throw new IllegalArgumentException(
                    "pagestream.embedded-kafka.sasl-ssl: the username and password must not contain a comma");
        }
    }

    /** The user as {@code kafka-storage format --add-scram} takes it: {@code SCRAM-SHA-512=[name="u",password="p"]}. */
    String formatterScramArgument() {
        return MECHANISM + "=[name=\"" + username + "\",password=\"" + password + "\"]";
    }

    public static Optional<BrokerSecurity> from(PageStreamConfig.EmbeddedKafka config) {
        return config.saslSsl().map(s -> new BrokerSecurity(s.keyStore(), s.keyStoreType().orElse("PKCS12"), s.keyStorePassword(),
                s.username(), s.password()));
    }

    /**
     * What a client needs to reach the listener as this user: the same {@code security.protocol},
     * {@code sasl.*} and {@code ssl.truststore.*} settings a user puts under {@code kafka.*} / {@code kafka-streams.*}.
     */
    public Map<String, Object> clientProperties() {
        return Map.of(
                CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SecurityProtocol.SASL_SSL.name,
                SaslConfigs.SASL_MECHANISM, MECHANISM,
                SaslConfigs.SASL_JAAS_CONFIG, jaasConfig(username, password),
                SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, keyStore.toAbsolutePath().toString(),
                SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, keyStoreType,
                SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, keyStorePassword);
    }

    /** A {@code sasl.jaas.config} value for SCRAM, with the JAAS string quoting Kafka's parser expects. */
    public static String jaasConfig(String username, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + jaasQuote(username)
                + "\" password=\"" + jaasQuote(password) + "\";";
    }

    private static String jaasQuote(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    @Override
    public String toString() {
        return "BrokerSecurity[keyStore=" + keyStore + ", keyStoreType=" + keyStoreType + ", username=" + username
                + ", passwords=<hidden>]";
    }
}
