package pagestream.store.embedded;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.model.MultiVector;
import pagestream.store.MultiVectorStore;
import pagestream.store.MultiVectorStoreContract;
import pagestream.store.PagePoint;
import pagestream.store.SearchFilter;
import pagestream.store.StoreException;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static pagestream.store.StoreFixtures.page;
import static pagestream.store.StoreFixtures.randomVectors;

class EmbeddedMultiVectorStoreTest extends MultiVectorStoreContract {

    @TempDir
    Path tmp;

    private Path dir() {
        return tmp.resolve("store");
    }

    @Override
    protected MultiVectorStore newStore() {
        return EmbeddedMultiVectorStore.open(dir(), 2);
    }

    private Path logFile() {
        return dir().resolve(StoreLog.FILE_NAME);
    }

    private EmbeddedMultiVectorStore reopen() {
        store.close();
        store = EmbeddedMultiVectorStore.open(dir(), 2);
        return (EmbeddedMultiVectorStore) store;
    }

    @Test
    void everythingSurvivesCloseAndReopen() {
        List<PagePoint> points = corpus();
        store.upsert(points);
        store.deleteDocument("doc-1");
        MultiVector query = randomVectors(rnd, 5, DIM);
        var before = store.search(query, 50, SearchFilter.any());

        reopen();
        store.ensureCollection(DIM);

        assertThat(store.count(SearchFilter.any())).isEqualTo(points.size() - 5);
        assertThat(store.search(query, 50, SearchFilter.any())).isEqualTo(before);
        assertThat(store.get(points.get(0).id()).orElseThrow().vectors().data()).containsExactly(points.get(0).vectors().data());
    }

    @Test
    void aTornLastRecordIsDroppedAndTheLogStaysUsable() throws IOException {
        List<PagePoint> points = corpus();
        store.upsert(points.subList(0, 10));
        store.upsert(points.subList(10, 20));
        store.close();
        long intact = Files.size(logFile());
        // A crash while appending a third record: its header and a part of its payload reached the disk.
        byte[] partial = new byte[300];
        partial[0] = (byte) 0xE8; // little-endian length 1000, more than what follows
        partial[1] = 0x03;
        Files.write(logFile(), partial, StandardOpenOption.APPEND);

        reopen();

        assertThat(store.count(SearchFilter.any())).isEqualTo(20);
        assertThat(Files.size(logFile())).isEqualTo(intact);
        store.upsert(points.subList(20, 30));
        reopen();
        assertThat(store.count(SearchFilter.any())).isEqualTo(30);
    }

    @Test
    void aLastRecordWithABadCrcIsDropped() throws IOException {
        List<PagePoint> points = corpus();
        store.upsert(points.subList(0, 10));
        store.upsert(points.subList(10, 12));
        store.close();
        flipByte(Files.size(logFile()) - 7); // inside the last record's vectors

        reopen();

        assertThat(store.count(SearchFilter.any())).isEqualTo(10);
    }

    @Test
    void aZeroFilledTailIsDropped() throws IOException {
        store.upsert(corpus().subList(0, 4));
        store.close();
        Files.write(logFile(), new byte[4096], StandardOpenOption.APPEND);

        reopen();

        assertThat(store.count(SearchFilter.any())).isEqualTo(4);
    }

    @Test
    void corruptionBeforeTheTailRefusesToOpenInsteadOfLosingData() throws IOException {
        store.upsert(corpus().subList(0, 4));
        store.upsert(corpus().subList(4, 8));
        store.close();
        flipByte(StoreLog.HEADER_BYTES + 100); // inside the first record, a valid one follows

        assertThatThrownBy(() -> EmbeddedMultiVectorStore.open(dir(), 2))
                .isInstanceOf(StoreException.class).hasMessageContaining("corrupt").hasMessageContaining("offset 20");
        store = null;
        // and the lock was released: after moving the bad log away the directory opens again
        Files.move(logFile(), tmp.resolve("bad.log"));
        store = EmbeddedMultiVectorStore.open(dir(), 2);
    }

    @Test
    void compactionKeepsOnlyLivePagesAndTheirContent() {
        List<PagePoint> points = corpus();
        for (int i = 0; i < 5; i++) {
            store.upsert(points);
        }
        store.deleteDocument("doc-0");
        EmbeddedMultiVectorStore embedded = (EmbeddedMultiVectorStore) store;
        long before = embedded.logBytes();
        MultiVector query = randomVectors(rnd, 5, DIM);
        var hits = store.search(query, 40, SearchFilter.any());

        embedded.compact();

        assertThat(embedded.logBytes()).isLessThan(before / 5);
        assertThat(reopen().search(query, 40, SearchFilter.any())).isEqualTo(hits);
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused() {
        assertThatThrownBy(() -> EmbeddedMultiVectorStore.open(dir(), 1))
                .isInstanceOf(StoreException.class).hasMessageContaining("already open");
    }

    @Test
    void upsertBeforeEnsureCollectionIsAClearError() {
        store.close();
        Path other = tmp.resolve("fresh");
        store = EmbeddedMultiVectorStore.open(other, 1);
        assertThatThrownBy(() -> store.upsert(corpus().subList(0, 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ensureCollection");
    }

    @Test
    void anUnwritableLogIsAClearErrorAtOpen() throws IOException {
        store.close();
        Path other = tmp.resolve("blocked");
        Files.createDirectories(other.resolve(StoreLog.FILE_NAME)); // the log path is taken by a directory
        Files.write(other.resolve("x"), new byte[0]);
        assertThatThrownBy(() -> {
            try (var s = EmbeddedMultiVectorStore.open(other, 1)) {
                s.ensureCollection(DIM);
            }
        }).isInstanceOf(StoreException.class).hasMessageContaining(other.resolve(StoreLog.FILE_NAME).toString());
        store = null;
    }

    @Test
    void aReadOnlyDirectoryIsAClearError() throws IOException {
        store.close();
        store = null;
        Path readOnly = Files.createDirectories(tmp.resolve("ro"));
        assumeTrue(readOnly.toFile().setWritable(false, false));
        try {
            // root ignores permissions: then this check says nothing, so skip it there.
            assumeTrue(!Files.isWritable(readOnly), "running as root: permissions are not enforced");
            assertThatThrownBy(() -> EmbeddedMultiVectorStore.open(readOnly.resolve("store"), 1))
                    .isInstanceOf(StoreException.class).hasMessageContaining("permission denied");
        } finally {
            readOnly.toFile().setWritable(true, false);
        }
    }

    @Test
    void aFullDiskFailsTheWriteAndAcknowledgesNothing() throws IOException {
        Path devFull = Path.of("/dev/full");
        assumeTrue(Files.exists(devFull), "needs /dev/full (Linux)");
        store.close();
        Path other = Files.createDirectories(tmp.resolve("full"));
        // Every write to /dev/full fails with ENOSPC, exactly like a full file system.
        Files.createSymbolicLink(other.resolve(StoreLog.FILE_NAME + ".new"), devFull);
        store = EmbeddedMultiVectorStore.open(other, 1);

        assertThatThrownBy(() -> store.ensureCollection(DIM))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("No space left on device")
                .hasMessageContaining("nothing from this operation was acknowledged");
        assertThat(other.resolve(StoreLog.FILE_NAME)).doesNotExist();
        assertThatThrownBy(() -> store.upsert(List.of(page(rnd, null, "d", 0, 3, DIM))))
                .isInstanceOf(IllegalStateException.class);
    }

    private void flipByte(long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(logFile().toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x5A);
        }
    }
}
