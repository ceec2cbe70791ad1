package pagestream.store.embedded;

import pagestream.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

/**
 * The embedded store's append-only log, the only thing on disk. Layout:
 * <pre>
 *   header : "PSMVLOG1" (8 bytes), int version = 1, int dim, int crc32c(previous 16 bytes)
 *   record : int payloadLength, int crc32c(payload), payload ({@link LogCodec})       — repeated
 * </pre>
 * All little-endian. {@link #append} returns after {@code FileChannel.force}, so an acknowledged record survives
 * a crash or power loss. A crash can leave a torn last record (short, or with a bad CRC, or zero-filled); opening
 * truncates it, since it was never acknowledged. A bad record with valid data after it is real corruption:
 * opening refuses, rather than silently dropping acknowledged writes.
 */
final class StoreLog implements AutoCloseable {

    static final String FILE_NAME = "store.log";
    static final int MAX_RECORD_BYTES = 1 << 30;
    private static final byte[] MAGIC = "PSMVLOG1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    static final int HEADER_BYTES = 20;
    private static final int FRAME_BYTES = 8;

    private final Path file;
    private final int dim;
    private volatile FileChannel channel;
    private volatile long size;
    /** Set when a failed append could not be rolled back: no write is safe until the roll-back succeeds. */
    private volatile String brokenBecause;
    /** Why the last append failed (disk full, read-only, I/O error); {@code null} once one succeeds. */
    private volatile String failingAppends;

    private StoreLog(Path file, int dim, FileChannel channel, long size) {
        this.file = file;
        this.dim = dim;
        this.channel = channel;
        this.size = size;
    }

    /** The dimension recorded in an existing log's header, or -1 if there is no log yet. */
    static int existingDim(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return -1;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch);
        } catch (IOException e) {
            throw ioFailure("cannot read", file, e);
        }
    }

    /** Creates a log with an empty body for vectors of {@code dim}, durably (file and directory entry). */
    static StoreLog create(Path dir, int dim) {
        Path file = dir.resolve(FILE_NAME);
        Path tmp = dir.resolve(FILE_NAME + ".new");
        try {
            writeFresh(tmp, dim, List.of());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(dir);
            return open(dir, record -> { });
        } catch (IOException e) {
            throw ioFailure("cannot create", file, e);
        }
    }

    /** Opens an existing log, feeding every intact record's payload to {@code replay} in order. */
    static StoreLog open(Path dir, Consumer<ByteBuffer> replay) {
        return open(dir, replay, UnaryOperator.identity());
    }

    /** {@code wrap} lets tests put a channel that fails like a full disk between the log and the file. */
    static StoreLog open(Path dir, Consumer<ByteBuffer> replay, UnaryOperator<FileChannel> wrap) {
        Path file = dir.resolve(FILE_NAME);
        FileChannel ch = null;
        try {
            ch = wrap.apply(FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE));
            int dim = readHeader(file, ch);
            long end = replayRecords(file, ch, replay);
            if (end < ch.size()) {
                ch.truncate(end);
                ch.force(true);
            }
            return new StoreLog(file, dim, ch, end);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            if (e instanceof StoreException se) {
                throw se;
            }
            if (e instanceof IOException io) {
                throw ioFailure("cannot open", file, io);
            }
            throw (RuntimeException) e;
        }
    }

    int dim() {
        return dim;
    }

    long size() {
        return size;
    }

    Path file() {
        return file;
    }

    /** False from a failed append until one succeeds: readiness reports a full or read-only disk. */
    boolean isWritable() {
        return brokenBecause == null && failingAppends == null && channel.isOpen();
    }

    /**
     * Appends one record and forces it to disk. On failure the file is rolled back to its previous end; if even that
     * fails, writes are refused until a later call manages the roll-back (the disk became writable again).
     */
    void append(ByteBuffer payload) {
        long before = size;
        if (brokenBecause != null && !rolledBack(before)) {
            throw new StoreException("store log " + file + " refuses writes: a failed write could not be rolled back ("
                    + brokenBecause + ") and still cannot; nothing from this operation was acknowledged");
        }
        ByteBuffer record = frame(payload);
        try {
            channel.position(before);
            while (record.hasRemaining()) {
                channel.write(record);
            }
            channel.force(false);
            size = before + record.limit();
            failingAppends = null;
        } catch (IOException e) {
            failingAppends = e.getMessage();
            if (!rolledBack(before)) {
                brokenBecause = e.getMessage();
            }
            throw ioFailure("cannot append to", file, e);
        }
    }

    /**
     * Rewrites the log holding only {@code livePayloads} (crash-safe: a new file, forced, atomically renamed over
     * the old one, directory forced), then appends continue on the new file.
     */
    void rewrite(Iterable<ByteBuffer> livePayloads) {
        Path tmp = file.resolveSibling(FILE_NAME + ".compact");
        try {
            long newSize = writeFresh(tmp, dim, livePayloads);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(file.getParent());
            FileChannel fresh = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            closeQuietly(channel);
            channel = fresh;
            size = newSize;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the old log is intact; a leftover temp file is replaced by the next compaction
            }
            throw ioFailure("cannot compact", file, e);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    /** Cuts the file back to {@code end} (dropping a partly written record); false if the disk refuses. */
    private boolean rolledBack(long end) {
        try {
            channel.truncate(end);
            channel.force(true);
            brokenBecause = null;
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static long writeFresh(Path target, int dim, Iterable<ByteBuffer> payloads) throws IOException {
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            header.put(MAGIC).putInt(VERSION).putInt(dim);
            header.putInt(crc(header.array(), 0, 16)).flip();
            writeFully(ch, header);
            for (ByteBuffer payload : payloads) {
                writeFully(ch, frame(payload.duplicate()));
            }
            ch.force(true);
            return ch.size();
        }
    }

    private static int readHeader(Path file, FileChannel ch) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (readFully(ch, header, 0) < HEADER_BYTES) {
            throw new StoreException(file + " is not a PageStream store log: shorter than its header");
        }
        byte[] magic = new byte[MAGIC.length];
        header.flip().get(magic);
        int version = header.getInt();
        int dim = header.getInt();
        int storedCrc = header.getInt();
        if (!java.util.Arrays.equals(magic, MAGIC) || storedCrc != crc(header.array(), 0, 16)) {
            throw new StoreException(file + " is not a PageStream store log (bad magic or header CRC)");
        }
        if (version != VERSION) {
            throw new StoreException(file + " has log version " + version + ", this build reads " + VERSION);
        }
        return dim;
    }

    /** Replays intact records and returns the offset where the intact log ends. */
    private static long replayRecords(Path file, FileChannel ch, Consumer<ByteBuffer> replay) throws IOException {
        long fileSize = ch.size();
        long pos = HEADER_BYTES;
        ByteBuffer frame = ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (pos < fileSize) {
            frame.clear();
            if (readFully(ch, frame, pos) < FRAME_BYTES) {
                return tornTail(file, ch, pos, "a partial record header", false);
            }
            int length = frame.getInt(0);
            int storedCrc = frame.getInt(4);
            if (length <= 0 || length > MAX_RECORD_BYTES) {
                return tornTail(file, ch, pos, "a record of impossible length " + length, true);
            }
            if (pos + FRAME_BYTES + length > fileSize) {
                return tornTail(file, ch, pos, "a record cut off at the end of the file", false);
            }
            ByteBuffer payload = ByteBuffer.allocate(length);
            readFully(ch, payload, pos + FRAME_BYTES);
            if (crc(payload.array(), 0, length) != storedCrc) {
                if (pos + FRAME_BYTES + length == fileSize) {
                    return tornTail(file, ch, pos, "a last record with a bad CRC", false);
                }
                throw new StoreException("store log " + file + " is corrupt: the record at offset " + pos
                        + " fails its CRC but " + (fileSize - pos - FRAME_BYTES - length)
                        + " bytes follow it; refusing to open (restore the file or move it away)");
            }
            replay.accept(payload.rewind());
            pos += FRAME_BYTES + length;
        }
        return pos;
    }

    /**
     * A bad record at {@code pos} is a torn write from a crash only if nothing meaningful follows it: it is the
     * last thing in the file, or ({@code requireZerosAfter}) everything from it on is zeros (a file system that
     * extended the file before the data landed).
     */
    private static long tornTail(Path file, FileChannel ch, long pos, String what, boolean requireZerosAfter)
            throws IOException {
        long fileSize = ch.size();
        ByteBuffer rest = ByteBuffer.allocate((int) Math.min(fileSize - pos, 1 << 20));
        long at = pos;
        if (requireZerosAfter) {
            while (at < fileSize) {
                rest.clear();
                int n = readFully(ch, rest, at);
                for (int i = 0; i < n; i++) {
                    if (rest.get(i) != 0) {
                        throw new StoreException("store log " + file + " is corrupt: " + what + " at offset " + pos
                                + " with non-zero data after it; refusing to open (restore the file or move it away)");
                    }
                }
                at += n;
            }
        }
        System.getLogger(StoreLog.class.getName()).log(System.Logger.Level.WARNING,
                "store log {0}: dropping {1} bytes of {2} at offset {3} (an unacknowledged write cut by a crash)",
                file, fileSize - pos, what, pos);
        return pos;
    }

    private static ByteBuffer frame(ByteBuffer payload) {
        int length = payload.remaining();
        ByteBuffer record = ByteBuffer.allocate(FRAME_BYTES + length).order(ByteOrder.LITTLE_ENDIAN);
        byte[] bytes = new byte[length];
        payload.get(bytes);
        record.putInt(length).putInt(crc(bytes, 0, length)).put(bytes);
        return record.flip();
    }

    private static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    private static int readFully(FileChannel ch, ByteBuffer buffer, long position) throws IOException {
        int total = 0;
        while (buffer.hasRemaining()) {
            int n = ch.read(buffer, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    static StoreException ioFailure(String action, Path file, IOException e) {
        String reason = e instanceof AccessDeniedException ? "permission denied (read-only directory or file?)"
                : e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason()
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return new StoreException("embedded store " + action + " " + file + ": " + reason
                + "; nothing from this operation was acknowledged", e);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a channel we are abandoning: nothing left to protect
            }
        }
    }
}
