package pagestream.model.processor;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;

import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;

/**
 * Image bytes (PNG, JPEG, TIFF, BMP, GIF first frame) to {@link RgbImage}, matching Pillow's
 * {@code Image.open(f).convert("RGB")} (see {@link RasterToRgb} for the conversion rules).
 *
 * <p>The format comes from the magic bytes. Before any pixel is decoded the declared width and height are read
 * from the header and checked against {@code maxPixels}, so a decompression bomb costs a header parse, not
 * memory. 8-bit non-interlaced PNGs (nearly every rendered page) take the direct {@link PngDecoder}; JPEGs are read
 * as libjpeg's raw samples (TwelveMonkeys' reader over the JDK's libjpeg) and converted by {@link JpegColour};
 * everything else goes through ImageIO (TwelveMonkeys' TIFF plugin, the JDK's PNG, BMP and GIF readers). Every
 * failure is an {@link ImageDecodeException} with a reason; nothing else escapes. Thread-safe: each call uses its
 * own reader.
 */
public final class ImageDecoder {

    /** Largest image whose RGB bytes fit one Java array. */
    private static final long ARRAY_PIXEL_LIMIT = (Integer.MAX_VALUE - 8) / 3;

    private final long maxPixels;

    /** @param maxPixels largest {@code width * height} accepted (the stream's decompression-bomb guard) */
    public ImageDecoder(long maxPixels) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        this.maxPixels = Math.min(maxPixels, ARRAY_PIXEL_LIMIT);
    }

    public long maxPixels() {
        return maxPixels;
    }

    public RgbImage decode(byte[] bytes) {
        ImageFormat format = imageFormat(bytes);
        PngDecoder.Header png = format == ImageFormat.PNG ? checkedPngHeader(bytes) : null;
        if (png != null && png.direct()) {
            return decodePng(bytes, () -> PngDecoder.decode(bytes, png));
        }
        return readWithImageIo(bytes, format);
    }

    /**
     * {@code decode(bytes)} at {@code width x height} ({@link BicubicResizer}), byte for byte; 8-bit PNGs (rendered
     * pages) go row by row from their inflated data into the resampler, with no full-size RGB image in between.
     */
    public RgbImage decodeResized(byte[] bytes, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("resize target must be positive, got " + width + "x" + height);
        }
        ImageFormat format = imageFormat(bytes);
        PngDecoder.Header png = format == ImageFormat.PNG ? checkedPngHeader(bytes) : null;
        if (png != null && png.direct()) {
            return decodePng(bytes, () -> PngDecoder.decodeResized(bytes, png, width, height));
        }
        return BicubicResizer.resize(readWithImageIo(bytes, format), width, height);
    }

    private static ImageFormat imageFormat(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new ImageDecodeException(ImageDecodeException.Reason.EMPTY, "no image bytes");
        }
        ImageFormat format = ImageFormat.sniff(bytes).orElseThrow(() -> new ImageDecodeException(
                ImageDecodeException.Reason.UNSUPPORTED_FORMAT,
                "not a PNG, JPEG, TIFF, BMP or GIF image (first bytes " + hexPrefix(bytes) + ")"));
        if (format == ImageFormat.PDF) {
            throw new ImageDecodeException(ImageDecodeException.Reason.UNSUPPORTED_FORMAT,
                    "a PDF is a document, not an image: render it with PdfRenderer");
        }
        return format;
    }

    /** The PNG's header, once its declared size is within the limit and its image data could hold it. */
    private PngDecoder.Header checkedPngHeader(byte[] bytes) {
        PngDecoder.Header header = PngDecoder.header(bytes);
        checkSize(ImageFormat.PNG, header.width(), header.height());
        PngDecoder.checkDataCoversImage(bytes, header);
        return header;
    }

    private static RgbImage decodePng(byte[] bytes, Supplier<RgbImage> decoder) {
        try {
            return decoder.get();
        } catch (ImageDecodeException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE,
                    "cannot decode PNG (" + bytes.length + " bytes): " + describe(e), e);
        }
    }

    private RgbImage readWithImageIo(byte[] bytes, ImageFormat format) {
        ImageReader reader = readerFor(format);
        byte[] input = format == ImageFormat.GIF ? GifFirstFrame.readable(bytes) : bytes;
        try (ImageInputStream stream = new ByteArrayImageInputStream(input)) {
            reader.setInput(stream, true, true);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            checkSize(format, width, height);
            GifBlocks.Layout gif = format == ImageFormat.GIF ? GifBlocks.layout(bytes).orElseThrow(
                    () -> new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE,
                            "GIF ends before its first image descriptor")) : null;
            if (gif != null) {
                checkSize(format, GifFirstFrame.canvasWidth(gif, width), GifFirstFrame.canvasHeight(gif, height));
            }
            JpegMarkers markers = format == ImageFormat.JPEG ? JpegMarkers.read(bytes) : null;
            if (markers != null && !markers.scanDataFollows()) {
                // libjpeg pads a JPEG cut inside its headers with grey and warns only of the missing EOI marker
                throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE,
                        "JPEG data is truncated: it ends before its first scan's image data");
            }
            AtomicReference<String> truncation = new AtomicReference<>();
            reader.addIIOReadWarningListener(truncationListener(truncation));
            RgbImage rgb;
            if (markers != null) {
                // libjpeg's raw samples, converted as Pillow has libjpeg convert them (no ICC profile applied)
                rgb = JpegColour.toRgb(reader.readRaster(0, null), JpegColour.Space.of(markers),
                        markers.verticallyHalved());
            } else if (gif != null) {
                rgb = GifFirstFrame.read(reader, gif, height, bytes.length);
            } else {
                rgb = RasterToRgb.convert(reader.read(0));
            }
            if (truncation.get() != null) {
                throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE,
                        format + " data is truncated: " + truncation.get());
            }
            return rgb;
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Decoders signal corrupt input with IIOException but also with runtime exceptions
            // (ArrayIndexOutOfBounds, IllegalArgumentException, ...): all of them mean "bad bytes".
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE,
                    "cannot decode " + format + " (" + bytes.length + " bytes): " + describe(e), e);
        } finally {
            reader.dispose();
        }
    }

    private void checkSize(ImageFormat format, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT_IMAGE,
                    format + " header declares an empty image " + width + "x" + height);
        }
        if ((long) width * height > maxPixels) {
            throw new ImageDecodeException(ImageDecodeException.Reason.TOO_MANY_PIXELS,
                    format + " declares " + width + "x" + height + " = " + ((long) width * height)
                            + " pixels, more than the limit of " + maxPixels);
        }
    }

    private static IIOReadWarningListener truncationListener(AtomicReference<String> truncation) {
        // libjpeg pads a truncated JPEG with grey and only warns; Pillow refuses such a file.
        return (source, warning) -> {
            if (warning != null && warning.toLowerCase(Locale.ROOT).contains("premature end")) {
                truncation.compareAndSet(null, warning);
            }
        };
    }

    private static ImageReader readerFor(ImageFormat format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
        if (!readers.hasNext()) {
            throw new ImageDecodeException(ImageDecodeException.Reason.UNSUPPORTED_FORMAT,
                    "no ImageIO reader for " + format + " on the class path");
        }
        return readers.next();
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        if (e instanceof IIOException && e.getCause() != null && e.getCause().getMessage() != null) {
            message = message + " (" + e.getCause().getMessage() + ")";
        }
        return message == null ? e.getClass().getSimpleName() : message;
    }

    private static String hexPrefix(byte[] bytes) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            hex.append(String.format("%02x", bytes[i] & 0xFF));
        }
        return hex.toString();
    }
}
