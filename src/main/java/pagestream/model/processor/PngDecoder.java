package pagestream.model.processor;

import java.lang.ref.SoftReference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A direct decoder for the PNG layouts document pages use: 8-bit grey, grey+alpha, RGB, RGBA and palette images,
 * not interlaced. It inflates the image data in one go ({@link Inflate}, several times faster than zlib on
 * rendered pages), undoes the row filters in place and converts each row to RGB (Pillow's {@code convert("RGB")}:
 * alpha dropped, palette expanded, grey replicated) as it is read, avoiding ImageIO's per-pixel raster copies;
 * {@link #decodeResized} hands the rows straight to the resampler. Other PNGs (16-bit, 1/2/4-bit, interlaced)
 * are left to ImageIO.
 */
final class PngDecoder {

    private static final long SIGNATURE = 0x89504E470D0A1A0AL;
    private static final int IHDR = 0x49484452;
    private static final int PLTE = 0x504C5445;
    private static final int IDAT = 0x49444154;
    private static final int IEND = 0x49454E44;

    /** The IHDR fields. */
    record Header(int width, int height, int bitDepth, int colourType, int interlace) {

        /** Layouts this decoder handles; the rest go to ImageIO. */
        boolean direct() {
            return bitDepth == 8 && interlace == 0 && channels() > 0;
        }

        int channels() {
            return switch (colourType) {
                case 0, 3 -> 1;
                case 4 -> 2;
                case 2 -> 3;
                case 6 -> 4;
                default -> 0;
            };
        }
    }

    private PngDecoder() {
    }

    /** The header of a PNG, read without touching the image data. */
    static Header header(byte[] png) {
        ByteBuffer in = ByteBuffer.wrap(png);
        if (png.length < 29 || in.getLong(0) != SIGNATURE || in.getInt(12) != IHDR || in.getInt(8) != 13) {
            throw corrupt("PNG has no valid IHDR chunk");
        }
        return new Header(in.getInt(16), in.getInt(20), png[24] & 0xFF, png[25] & 0xFF, png[28] & 0xFF);
    }

    /** Deflate's largest expansion: a 258-byte match costs at least 2 bits, so 1 byte inflates to at most 1032. */
    private static final long MAX_INFLATE_RATIO = 1032;

    /**
     * Refuses a PNG whose image data is too short to hold its declared pixels, before anything is allocated: a
     * 100-byte file declaring 9000 x 9000 would otherwise cost a 243 MB raster before failing in row 0.
     */
    static void checkDataCoversImage(byte[] png, Header header) {
        if (header.channels() == 0) {
            return; // an invalid colour type: the decoder reports it
        }
        long rowBytes = ((long) header.width() * header.channels() * header.bitDepth() + 7) / 8;
        long needed = rowBytes * header.height();
        long compressed = idatBytes(png);
        if (needed > compressed * MAX_INFLATE_RATIO) {
            throw corrupt("PNG image data is truncated: " + compressed + " compressed bytes cannot hold the "
                    + needed + " bytes of a " + header.width() + "x" + header.height() + " image");
        }
    }

    /**
     * A chunk: its type, where its data starts, its declared length (unsigned, so a length past 2 GiB shows) and
     * how much of that data the bytes hold.
     */
    private record Chunk(int type, int start, long length, int available) {
    }

    /**
     * The chunks after the signature up to IEND (excluded), read with 64-bit arithmetic: a chunk whose declared
     * length runs past the end of the bytes is the last one listed, with what is there of its data.
     */
    private static List<Chunk> chunks(byte[] png) {
        List<Chunk> chunks = new ArrayList<>();
        long position = 8;
        while (position + 8 <= png.length) {
            ByteBuffer header = ByteBuffer.wrap(png, (int) position, 8);
            long length = header.getInt() & 0xFFFFFFFFL;
            int type = header.getInt();
            int start = (int) position + 8;
            if (type == IEND) {
                break;
            }
            chunks.add(new Chunk(type, start, length, (int) Math.min(length, png.length - start)));
            position = start + length + 4; // data and CRC
        }
        return chunks;
    }

    /** The total length of the IDAT chunks present in the bytes. */
    private static long idatBytes(byte[] png) {
        return chunks(png).stream().filter(c -> c.type() == IDAT).mapToLong(Chunk::available).sum();
    }

    /** Decodes a PNG whose header is {@link Header#direct()}. */
    static RgbImage decode(byte[] png, Header header) {
        Rows rows = Rows.inflate(png, header);
        int rowBytes = header.width() * 3;
        byte[] rgb = new byte[Math.multiplyExact(rowBytes, header.height())];
        for (int y = 0; y < header.height(); y++) {
            System.arraycopy(rows.array(), rows.row(y), rgb, y * rowBytes, rowBytes);
        }
        return new RgbImage(header.width(), header.height(), rgb);
    }

    /**
     * Decodes a PNG whose header is {@link Header#direct()} and resizes it to {@code width x height}: the bytes of
     * {@code BicubicResizer.resize(decode(png, header), width, height)}, without the full-size RGB image (each row
     * is unfiltered and converted as the resampler reads it) and, for pages up to {@link #KEPT_BUFFER_BYTES},
     * without allocating the inflated image data either.
     */
    static RgbImage decodeResized(byte[] png, Header header, int width, int height) {
        Rows rows = Rows.inflate(png, header);
        RgbImage resized = BicubicResizer.resize(rows, width, height);
        rows.unfilterRest(); // a bad filter byte in a row the resampler skipped still refuses the file, as Pillow does
        return resized;
    }

    /**
     * The inflated image data of pages up to this size (a 150 dpi Letter page in RGB: 6.3 MB) is decoded into a
     * buffer each thread keeps for its next page, softly held so that memory pressure can take it back. Without
     * it every page cost a fresh array of that size, which G1 places as a humongous object.
     */
    static final int KEPT_BUFFER_BYTES = 16 << 20;

    private static final ThreadLocal<SoftReference<byte[]>> KEPT_BUFFER = new ThreadLocal<>();

    /** A buffer of at least {@code size} bytes whose content is undefined. */
    private static byte[] inflateBuffer(int size) {
        if (size > KEPT_BUFFER_BYTES) {
            return new byte[size];
        }
        SoftReference<byte[]> kept = KEPT_BUFFER.get();
        byte[] buffer = kept == null ? null : kept.get();
        if (buffer == null || buffer.length < size) {
            buffer = new byte[size];
            KEPT_BUFFER.set(new SoftReference<>(buffer));
        }
        return buffer;
    }

    /**
     * A direct PNG's rows after the whole image data is inflated (every row: its filter-type byte, then its
     * samples): rows are unfiltered in place in order, and converted to RGB (Pillow's {@code convert("RGB")}:
     * alpha dropped, palette expanded, grey replicated) when asked for. RGB rows are read where they lie.
     */
    private static final class Rows implements RgbRows {

        private final Header header;
        private final byte[] raw;
        private final int stride; // samples per row, the filter byte excluded
        private final byte[] palette;
        private final byte[] rgbRow; // null for RGB images
        private final byte[] zeros; // the row above the first one
        private int unfiltered; // rows [0, unfiltered) are unfiltered

        private Rows(Header header, byte[] raw, int stride, byte[] palette) {
            this.header = header;
            this.raw = raw;
            this.stride = stride;
            this.palette = palette;
            this.rgbRow = header.colourType() == 2 ? null : new byte[header.width() * 3];
            this.zeros = new byte[stride + 1];
        }

        static Rows inflate(byte[] png, Header header) {
            int stride = Math.multiplyExact(header.width(), header.channels());
            byte[] palette = header.colourType() == 3 ? new byte[256 * 3] : null; // entries past PLTE stay black
            ImageData zlib = imageData(png, palette);
            int size = Math.multiplyExact(stride + 1, header.height());
            byte[] raw = inflateBuffer(size);
            try {
                Inflate.zlib(zlib.bytes(), zlib.offset(), zlib.length(), raw, size);
            } catch (Inflate.Corrupt e) {
                throw corrupt("PNG image data is not valid zlib data: " + e.getMessage());
            } catch (Inflate.Truncated e) {
                throw corrupt("PNG image data is truncated: the zlib stream ends before the last of "
                        + header.height() + " rows");
            }
            return new Rows(header, raw, stride, palette);
        }

        @Override
        public int width() {
            return header.width();
        }

        @Override
        public int height() {
            return header.height();
        }

        @Override
        public int row(int y) {
            if (y < unfiltered - 1) {
                throw new IllegalStateException("PNG rows are read top to bottom: row " + y + " after "
                        + (unfiltered - 1));
            }
            unfilterTo(y + 1);
            int at = y * (stride + 1);
            if (rgbRow == null) {
                return at + 1;
            }
            writeRgb(raw, at, rgbRow, 0, header.width(), header.colourType(), palette);
            return 0;
        }

        @Override
        public byte[] array() {
            return rgbRow == null ? raw : rgbRow;
        }

        void unfilterRest() {
            unfilterTo(header.height());
        }

        private void unfilterTo(int end) {
            for (; unfiltered < end; unfiltered++) {
                int at = unfiltered * (stride + 1);
                unfilter(raw, at, unfiltered == 0 ? zeros : raw, unfiltered == 0 ? 0 : at - stride - 1, stride + 1,
                        header.channels(), unfiltered);
            }
        }
    }

    /** A zlib stream inside {@code bytes}. */
    private record ImageData(byte[] bytes, int offset, int length) {
    }

    /**
     * The zlib stream: the one IDAT chunk's data where it lies (encoders mostly write one), or the chunks' data
     * joined into one array, reading PLTE into {@code palette} on the way.
     */
    private static ImageData imageData(byte[] png, byte[] palette) {
        List<ImageData> idat = new ArrayList<>(1);
        for (Chunk chunk : chunks(png)) {
            if (chunk.length() > Integer.MAX_VALUE) {
                throw corrupt("PNG chunk at byte " + (chunk.start() - 8) + " has a negative length");
            }
            if (chunk.type() == PLTE && palette != null) {
                System.arraycopy(png, chunk.start(), palette, 0, Math.min(chunk.available(), palette.length));
            } else if (chunk.type() == IDAT) {
                idat.add(new ImageData(png, chunk.start(), chunk.available()));
            }
        }
        if (idat.isEmpty()) {
            throw corrupt("PNG has no image data (IDAT)");
        }
        if (idat.size() == 1) {
            return idat.get(0);
        }
        byte[] joined = new byte[idat.stream().mapToInt(ImageData::length).sum()];
        int at = 0;
        for (ImageData chunk : idat) {
            System.arraycopy(png, chunk.offset(), joined, at, chunk.length());
            at += chunk.length();
        }
        return new ImageData(joined, 0, joined.length);
    }

    /**
     * Undoes the PNG row filter of the row at {@code raw[at]} (filter type first, {@code n - 1} samples) in place,
     * using the already decoded previous row at {@code previous[prev]}.
     */
    private static void unfilter(byte[] raw, int at, byte[] previous, int prev, int n, int bpp, int rowIndex) {
        switch (raw[at]) {
            case 0 -> {
            }
            case 1 -> {
                for (int i = at + 1 + bpp; i < at + n; i++) {
                    raw[i] += raw[i - bpp];
                }
            }
            case 2 -> {
                for (int i = 1; i < n; i++) {
                    raw[at + i] += previous[prev + i];
                }
            }
            case 3 -> {
                for (int i = 1; i < n; i++) {
                    int left = i > bpp ? raw[at + i - bpp] & 0xFF : 0;
                    raw[at + i] += (byte) ((left + (previous[prev + i] & 0xFF)) >>> 1);
                }
            }
            case 4 -> {
                for (int i = 1; i < n; i++) {
                    int a = i > bpp ? raw[at + i - bpp] & 0xFF : 0;
                    int b = previous[prev + i] & 0xFF;
                    int c = i > bpp ? previous[prev + i - bpp] & 0xFF : 0;
                    int p = a + b - c;
                    int pa = Math.abs(p - a);
                    int pb = Math.abs(p - b);
                    int pc = Math.abs(p - c);
                    raw[at + i] += (byte) (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
            }
            default -> throw corrupt("PNG row " + rowIndex + " has unknown filter type " + (raw[at] & 0xFF));
        }
    }

    /** Converts the unfiltered row at {@code raw[at]} (after its filter byte) to RGB at {@code rgb[o]}. */
    private static void writeRgb(byte[] raw, int at, byte[] rgb, int o, int width, int colourType, byte[] palette) {
        int i = at + 1;
        switch (colourType) {
            case 2 -> System.arraycopy(raw, i, rgb, o, width * 3);
            case 6 -> {
                for (int x = 0; x < width; x++, i += 4) {
                    rgb[o++] = raw[i];
                    rgb[o++] = raw[i + 1];
                    rgb[o++] = raw[i + 2];
                }
            }
            case 0, 4 -> {
                int step = colourType == 0 ? 1 : 2;
                for (int x = 0; x < width; x++, i += step) {
                    byte v = raw[i];
                    rgb[o++] = v;
                    rgb[o++] = v;
                    rgb[o++] = v;
                }
            }
            case 3 -> {
                for (int x = 0; x < width; x++, i++) {
                    int p = (raw[i] & 0xFF) * 3;
                    rgb[o++] = palette[p];
                    rgb[o++] = palette[p + 1];
                    rgb[o++] = palette[p + 2];
                }
            }
            default -> throw new IllegalStateException("colour type " + colourType);
        }
    }

    private static ImageDecodeException corrupt(String message) {
        return new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE, message);
    }
}
