package pagestream.store.embedded;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreLogTest {

    @TempDir
    Path dir;

    @Test
    void aWriteThatRunsOutOfSpaceIsRolledBackAndNothingOfItIsReplayed() throws IOException {
        StoreLog.create(dir, 4).close();
        DiskWithQuota disk = new DiskWithQuota();
        try (StoreLog log = StoreLog.open(dir, payload -> { }, channel -> disk.wrap(channel))) {
            log.append(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            long acknowledged = log.size();

            disk.bytesLeft = 600; // the next record (1,000 bytes + frame) fits only partly
            assertThatThrownBy(() -> log.append(ByteBuffer.wrap(new byte[1000])))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("No space left on device")
                    .hasMessageContaining("nothing from this operation was acknowledged");
            assertThat(Files.size(dir.resolve(StoreLog.FILE_NAME))).isEqualTo(acknowledged);
            assertThat(log.isWritable()).as("readiness while the disk is full").isFalse();

            disk.bytesLeft = Long.MAX_VALUE; // space freed: the log carries on from its clean end
            log.append(ByteBuffer.wrap(new byte[] {7}));
            assertThat(log.isWritable()).isTrue();
        }
        List<byte[]> replayed = new ArrayList<>();
        StoreLog.open(dir, payload -> {
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            replayed.add(bytes);
        }).close();
        assertThat(replayed).containsExactly(new byte[] {1, 2, 3}, new byte[] {7});
    }

    @Test
    void aDifferentFileIsNotTakenForALog() throws IOException {
        Files.write(dir.resolve(StoreLog.FILE_NAME), "not a log at all, but long enough".getBytes());
        assertThatThrownBy(() -> StoreLog.open(dir, payload -> { }))
                .isInstanceOf(StoreException.class).hasMessageContaining("not a PageStream store log");
    }

    /** Writes through to the real file until the quota is spent, then fails the way a full disk does. */
    private static final class DiskWithQuota {
        long bytesLeft = Long.MAX_VALUE;

        FileChannel wrap(FileChannel real) {
            return new FileChannel() {
                @Override
                public int write(ByteBuffer src) throws IOException {
                    if (bytesLeft <= 0) {
                        throw new IOException("No space left on device");
                    }
                    ByteBuffer part = src.slice();
                    part.limit((int) Math.min(part.remaining(), bytesLeft));
                    int n = real.write(part);
                    src.position(src.position() + n);
                    bytesLeft -= n;
                    return n;
                }

                @Override
                public int read(ByteBuffer dst) throws IOException {
                    return real.read(dst);
                }

                @Override
                public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
                    return real.read(dsts, offset, length);
                }

                @Override
                public long write(ByteBuffer[] srcs, int offset, int length) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public long position() throws IOException {
                    return real.position();
                }

                @Override
                public FileChannel position(long newPosition) throws IOException {
                    real.position(newPosition);
                    return this;
                }

                @Override
                public long size() throws IOException {
                    return real.size();
                }

                @Override
                public FileChannel truncate(long size) throws IOException {
                    real.truncate(size);
                    return this;
                }

                @Override
                public void force(boolean metaData) throws IOException {
                    real.force(metaData);
                }

                @Override
                public long transferTo(long position, long count, WritableByteChannel target) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public long transferFrom(ReadableByteChannel src, long position, long count) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    return real.read(dst, position);
                }

                @Override
                public int write(ByteBuffer src, long position) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public MappedByteBuffer map(MapMode mode, long position, long size) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public FileLock lock(long position, long size, boolean shared) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public FileLock tryLock(long position, long size, boolean shared) {
                    throw new UnsupportedOperationException();
                }

                @Override
                protected void implCloseChannel() throws IOException {
                    real.close();
                }
            };
        }
    }
}
