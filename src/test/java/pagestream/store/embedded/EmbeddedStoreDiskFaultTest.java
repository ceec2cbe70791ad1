package pagestream.store.embedded;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.PageStreamConfig;
import pagestream.api.InProcessPipeline;
import pagestream.api.PipelineProbe;
import pagestream.api.StandaloneConfig;
import pagestream.api.health.VectorStoreHealthCheck;
import pagestream.embed.Device;
import pagestream.model.ColPaliModel;
import pagestream.model.ModelOptions;
import pagestream.store.PagePoint;
import pagestream.store.PointIds;
import pagestream.store.SearchFilter;
import pagestream.store.StoreException;
import pagestream.stream.PageBatchProcessor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static pagestream.api.PipelineProbe.await;

/**
 * The whole ingestion path on the embedded store while its disk fails with real kernel errors: a full file system
 * (a small tmpfs mounted on the store directory: ENOSPC; then grown, as when space is freed) and a read-only log
 * ({@code chattr +i}, which stops root too: EPERM; then cleared). Both need root (CI runs as root); where the
 * kernel refuses the set-up the test is skipped, saying why.
 */
class EmbeddedStoreDiskFaultTest {

    private static final String APP_ID = "pagestream-disk-fault-test";
    private static final int MAX_SIZE = 4;
    private static final int PARTITIONS = 3;
    private static final int BUFFER_BOUND = PARTITIONS * PageBatchProcessor.bufferBound(MAX_SIZE);
    private static final Duration FAULT = Duration.ofSeconds(12);

    private static ColPaliModel model;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void loadModel() {
        model = ColPaliModel.load(Path.of("src/test/resources/golden/tiny-a"),
                ModelOptions.defaults().withDevice(Device.CPU));
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @Test
    void aFullDiskHoldsIngestionAcknowledgesNothingAndEverythingIsStoredOnceSpaceIsFreed() throws Exception {
        Path storeDir = Files.createDirectories(dataDir.resolve("store"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", storeDir.toString()) == 0,
                "mounting a tmpfs needs root (CAP_SYS_ADMIN)");
        try {
            ingestThroughAFault(storeDir,
                    // Shrink the file system to what it uses: the next record does not fit.
                    () -> run("mount", "-o", "remount,size=" + usedKiB(storeDir) + "k", storeDir.toString()),
                    () -> run("mount", "-o", "remount,size=4m", storeDir.toString()),
                    "No space left on device");
        } finally {
            run("umount", "-l", storeDir.toString());
        }
    }

    @Test
    void aReadOnlyLogHoldsIngestionAcknowledgesNothingAndEverythingIsStoredOnceWritable() throws Exception {
        Path storeDir = Files.createDirectories(dataDir.resolve("store"));
        Path probe = Files.writeString(storeDir.resolve("probe"), "x");
        assumeTrue(run("chattr", "+i", probe.toString()) == 0, "chattr +i needs root and ext2/3/4, xfs or btrfs");
        run("chattr", "-i", probe.toString());
        Files.delete(probe);
        Path log = storeDir.resolve(StoreLog.FILE_NAME);
        try {
            ingestThroughAFault(storeDir,
                    () -> run("chattr", "+i", log.toString()),
                    () -> run("chattr", "-i", log.toString()),
                    "Operation not permitted");
        } finally {
            run("chattr", "-i", log.toString());
        }
    }

    /**
     * Stores some pages, breaks the disk, publishes more, checks for {@link #FAULT} that the store says why it
     * fails and acknowledges nothing, readiness is DOWN, nothing unstored is committed beyond the bounded buffer,
     * then repairs the disk and checks that every page is stored exactly once, durably.
     */
    private void ingestThroughAFault(Path storeDir, Fault breakDisk, Fault repairDisk, String error) throws Exception {
        PageStreamConfig config = StandaloneConfig.of(Map.of(
                "pagestream.data-dir", dataDir.toString(),
                "pagestream.embedded-kafka.port", "0",
                "pagestream.batch.max-size", Integer.toString(MAX_SIZE),
                "pagestream.batch.max-wait", "PT0.1S",
                "pagestream.batch.page-sub-batch", "2",
                "pagestream.limits.max-message-bytes", Integer.toString(8 << 20),
                "pagestream.topics.partitions", Integer.toString(PARTITIONS),
                "pagestream.retry.max-backoff", "PT2S"));
        List<String> before = docIds("early", 8);
        List<String> during = docIds("late", 60);
        byte[] png = Files.readAllBytes(Path.of("src/test/resources/golden/preprocess/page1_libtasn1_p3.png"));
        byte[] jpeg = Files.readAllBytes(Path.of("src/test/resources/golden/preprocess/page3_libtasn1_p5.jpg"));
        Path log = storeDir.resolve(StoreLog.FILE_NAME);
        // 8 KB of metadata per page: every log record needs new file system blocks, so none fits in the slack
        // of the last block once the disk is full.
        Map<String, String> metadata = Map.of("metadata", "{\"note\": \"" + "x".repeat(8192) + "\"}");
        try (InProcessPipeline pipeline = InProcessPipeline.start(config, model, APP_ID);
             PipelineProbe probe = new PipelineProbe(pipeline, APP_ID)) {
            VectorStoreHealthCheck readiness = new VectorStoreHealthCheck(pipeline.store());
            String pages = config.topics().pages();
            probe.publish(pages, before, metadata, png, jpeg);
            await("the first pages stored", Duration.ofSeconds(60),
                    () -> pipeline.store().count(SearchFilter.any()) == before.size());

            assertThat(breakDisk.apply()).as("breaking the disk").isZero();
            long faultStart = System.nanoTime();
            long logBytes = Files.size(log);
            probe.publish(pages, during, metadata, png, jpeg);
            await("readiness DOWN", Duration.ofSeconds(20),
                    () -> readiness.call().getStatus() == HealthCheckResponse.Status.DOWN);
            PagePoint stored = pipeline.store().get(PointIds.of(null, before.get(0), 1)).orElseThrow();
            assertThatThrownBy(() -> pipeline.store().upsert(List.of(stored)))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining(error)
                    .hasMessageContaining("nothing from this operation was acknowledged");
            while (System.nanoTime() - faultStart < FAULT.toNanos()) {
                long committed = probe.committed(pages);
                long buffered = probe.bufferedPages();
                assertThat(committed).as("committed offsets").isLessThanOrEqualTo(before.size() + buffered);
                assertThat(buffered).as("buffered pages").isLessThanOrEqualTo(BUFFER_BOUND);
                assertThat(pipeline.store().count(SearchFilter.any())).as("acknowledged pages").isEqualTo(before.size());
                // A retried append may be caught between its partial write and its rollback: the log must come
                // back to its acknowledged size, not stay longer.
                await("log bytes back to " + logBytes + " (failed appends rolled back)", Duration.ofSeconds(5),
                        () -> sizeOf(log) == logBytes);
                assertThat(readiness.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
                Thread.sleep(1_000);
            }
            assertThat(probe.endOffsets(pages) - probe.committed(pages)).as("input held back")
                    .isGreaterThanOrEqualTo(during.size() - BUFFER_BOUND);

            assertThat(repairDisk.apply()).as("repairing the disk").isZero();
            int all = before.size() + during.size();
            await("every page stored", Duration.ofSeconds(90), () -> pipeline.store().count(SearchFilter.any()) == all);
            await("input fully committed", Duration.ofSeconds(30), () -> lagOrMinusOne(probe, pages) == 0);
            assertThat(probe.endOffsets(config.topics().pagesDlq())).as("dead letters").isZero();
            await("readiness UP", Duration.ofSeconds(10),
                    () -> readiness.call().getStatus() == HealthCheckResponse.Status.UP);
        }
        try (EmbeddedMultiVectorStore reopened = EmbeddedMultiVectorStore.open(storeDir, 1)) {
            assertThat(reopened.count(SearchFilter.any())).as("pages on disk").isEqualTo(before.size() + during.size());
            for (String doc : Stream.concat(before.stream(), during.stream()).toList()) {
                assertThat(reopened.get(PointIds.of(null, doc, 1))).as(doc).isPresent();
            }
        }
    }

    @FunctionalInterface
    private interface Fault {
        int apply() throws Exception;
    }

    private static long lagOrMinusOne(PipelineProbe probe, String topic) {
        try {
            return probe.endOffsets(topic) - probe.committed(topic);
        } catch (Exception e) {
            return -1;
        }
    }

    private static List<String> docIds(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + "-" + i).toList();
    }

    /** Kilobytes the file system under {@code dir} uses, rounded up to its 4 KiB pages. */
    private static long usedKiB(Path dir) throws IOException {
        var store = Files.getFileStore(dir);
        long used = store.getTotalSpace() - store.getUnallocatedSpace();
        return Math.max(4, (used + 4095) / 4096 * 4);
    }

    private static int run(String... command) {
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            return -1; // the tool is not installed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
