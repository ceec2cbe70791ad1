package pagestream.model.processor;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A direct decoder for the PNG layouts document pages use: 8-bit grey, grey+alpha, RGB, RGBA and palette images,
 * not interlaced. It inflates row by row (native zlib), undoes the row filters and writes RGB straight into the
 * output (Pillow's {@code convert("RGB")}: alpha dropped, palette expanded, grey replicated), avoiding ImageIO's
 * per-pixel raster copies, which cost more than the inflation itself. Other PNGs (16-bit, 1/2/4-bit, interlaced)
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

    /** The total length of the IDAT chunks present in the bytes. */
    private static long idatBytes(byte[] png) {
        long total = 0;
        int position = 8;
        while (position + 8 <= png.length) {
            long length = ByteBuffer.wrap(png, position, 4).getInt() & 0xFFFFFFFFL;
            int type = ByteBuffer.wrap(png, position + 4, 4).getInt();
            long start = position + 8L;
            if (type == IEND) {
                break;
            }
            if (type == IDAT) {
                total += Math.min(length, png.length - start);
            }
            long next = start + length + 4;
            if (next > png.length) {
                break;
            }
            position = (int) next;
        }
        return total;
    }

    /** Decodes a PNG whose header is {@link Header#direct()}. */
    static RgbImage decode(byte[] png, Header header) {
        int width = header.width();
        int height = header.height();
        int channels = header.channels();
        int stride = Math.multiplyExact(width, channels);
        byte[] palette = header.colourType() == 3 ? new byte[256 * 3] : null; // entries past PLTE stay black
        byte[] rgb = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        // each row: one filter-type byte, then the samples
        byte[] previous = new byte[stride + 1];
        byte[] current = new byte[stride + 1];
        Inflater inflater = new Inflater();
        try {
            ImageData data = new ImageData(png, inflater, palette);
            for (int row = 0; row < height; row++) {
                data.readRow(current, row, height);
                unfilter(current, previous, channels, row);
                writeRgb(current, rgb, row * width * 3, width, header.colourType(), palette);
                byte[] swap = previous;
                previous = current;
                current = swap;
            }
            return new RgbImage(width, height, rgb);
        } catch (DataFormatException e) {
            throw corrupt("PNG image data is not valid zlib data: " + e.getMessage());
        } finally {
            inflater.end();
        }
    }

    /** Undoes the PNG row filter of {@code row} (filter type in byte 0) using the already decoded previous row. */
    private static void unfilter(byte[] row, byte[] previous, int bpp, int rowIndex) {
        int n = row.length;
        switch (row[0]) {
            case 0 -> {
            }
            case 1 -> {
                for (int i = 1 + bpp; i < n; i++) {
                    row[i] += row[i - bpp];
                }
            }
            case 2 -> {
                for (int i = 1; i < n; i++) {
                    row[i] += previous[i];
                }
            }
            case 3 -> {
                for (int i = 1; i < n; i++) {
                    int left = i > bpp ? row[i - bpp] & 0xFF : 0;
                    row[i] += (byte) ((left + (previous[i] & 0xFF)) >>> 1);
                }
            }
            case 4 -> {
                for (int i = 1; i < n; i++) {
                    int a = i > bpp ? row[i - bpp] & 0xFF : 0;
                    int b = previous[i] & 0xFF;
                    int c = i > bpp ? previous[i - bpp] & 0xFF : 0;
                    int p = a + b - c;
                    int pa = Math.abs(p - a);
                    int pb = Math.abs(p - b);
                    int pc = Math.abs(p - c);
                    row[i] += (byte) (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
            }
            default -> throw corrupt("PNG row " + rowIndex + " has unknown filter type " + (row[0] & 0xFF));
        }
    }

    private static void writeRgb(byte[] row, byte[] rgb, int o, int width, int colourType, byte[] palette) {
        switch (colourType) {
            case 2 -> System.arraycopy(row, 1, rgb, o, width * 3);
            case 6 -> {
                for (int x = 0, i = 1; x < width; x++, i += 4) {
                    rgb[o++] = row[i];
                    rgb[o++] = row[i + 1];
                    rgb[o++] = row[i + 2];
                }
            }
            case 0, 4 -> {
                int step = colourType == 0 ? 1 : 2;
                for (int x = 0, i = 1; x < width; x++, i += step) {
                    byte v = row[i];
                    rgb[o++] = v;
                    rgb[o++] = v;
                    rgb[o++] = v;
                }
            }
            case 3 -> {
                for (int x = 0; x < width; x++) {
                    int p = (row[x + 1] & 0xFF) * 3;
                    rgb[o++] = palette[p];
                    rgb[o++] = palette[p + 1];
                    rgb[o++] = palette[p + 2];
                }
            }
            default -> throw new IllegalStateException("colour type " + colourType);
        }
    }

    /** The zlib stream spread over the IDAT chunks, fed to the inflater chunk by chunk. */
    private static final class ImageData {
        private final byte[] png;
        private final Inflater inflater;
        private final byte[] palette;
        private int position = 8 + 25; // after the signature and IHDR

        ImageData(byte[] png, Inflater inflater, byte[] palette) {
            this.png = png;
            this.inflater = inflater;
            this.palette = palette;
            if (!nextIdat()) {
                throw corrupt("PNG has no image data (IDAT)");
            }
        }

        void readRow(byte[] row, int rowIndex, int height) throws DataFormatException {
            int filled = 0;
            while (filled < row.length) {
                int n = inflater.inflate(row, filled, row.length - filled);
                filled += n;
                if (n == 0 && filled < row.length) {
                    if (inflater.finished() || inflater.needsDictionary() || (inflater.needsInput() && !nextIdat())) {
                        throw corrupt("PNG image data is truncated: it ends in row " + rowIndex + " of " + height);
                    }
                }
            }
        }

        /** Moves to the next IDAT chunk (reading PLTE on the way); false at IEND or the end of the bytes. */
        private boolean nextIdat() {
            while (position + 8 <= png.length) {
                int length = ByteBuffer.wrap(png, position, 8).getInt();
                int type = ByteBuffer.wrap(png, position + 4, 4).getInt();
                int start = position + 8;
                if (length < 0) {
                    throw corrupt("PNG chunk at byte " + position + " has a negative length");
                }
                int available = Math.min(length, png.length - start);
                position = start + length + 4; // data and CRC
                if (type == IEND) {
                    return false;
                }
                if (type == PLTE && palette != null) {
                    System.arraycopy(png, start, palette, 0, Math.min(available, palette.length));
                } else if (type == IDAT && available > 0) {
                    inflater.setInput(png, start, available);
                    return true;
                }
            }
            return false;
        }
    }

    private static ImageDecodeException corrupt(String message) {
        return new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE, message);
    }
}
