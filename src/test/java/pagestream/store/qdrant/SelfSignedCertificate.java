package pagestream.store.qdrant;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;

import javax.net.ssl.KeyManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate for {@code localhost}/{@code 127.0.0.1}, made offline with the JDK's own
 * {@code keytool} (the JDK has no public certificate-building API, and BouncyCastle's PKIX part is not on the
 * classpath). Gives the server's credentials (gRPC), the PKCS12 key store (Kafka) and the PEM a client trusts.
 */
public record SelfSignedCertificate(Path keyStore, Path certificatePem) {

    private static final String PASSWORD = "pagestream-test";

    /** The PKCS12 key store's password (also its key's). */
    public String keyStorePassword() {
        return PASSWORD;
    }

    public static SelfSignedCertificate create(Path dir) throws IOException, InterruptedException {
        Path keyStore = dir.resolve("server.p12");
        Path pem = dir.resolve("server.pem");
        keytool("-genkeypair", "-alias", "qdrant", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "qdrant", "-keystore", keyStore.toString(),
                "-storepass", PASSWORD, "-file", pem.toString());
        return new SelfSignedCertificate(keyStore, pem);
    }

    public ServerCredentials serverCredentials() throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        return TlsServerCredentials.newBuilder().keyManager(kmf.getKeyManagers()).build();
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new java.util.ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
    }
}
