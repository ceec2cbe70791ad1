package pagestream.api.cli;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.PdfRenderer;
import pagestream.model.processor.PixelValues;
import pagestream.model.processor.RgbImage;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntUnaryOperator;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;

/**
 * {@code bench-preprocess [--pdf FILE] [--pages 8] [--size 448] [--seconds 5]}: single-thread pages/s of the image
 * half of the processor (decode + convert + bicubic resize + normalise) on real PDF pages rendered at 150 dpi and
 * encoded in memory as PNG and JPEG (quality 85), printed next to baselines measured in the same run (ImageIO
 * decoding alone, libjpeg decoding a JPEG page without colour conversion, java.util.zip's zlib inflating the PNG's
 * image data alone, and a Java2D bicubic resize) and the Python reference figure.
 */
public final class BenchPreprocessCommand extends ArgumentCommand {

    static final String DEFAULT_PDF = "/usr/share/doc/libtasn1-doc/libtasn1.pdf";
    /** transformers' SiglipImageProcessor (PIL 11.1) on 150 dpi PNG pages, 1 thread (shared/bench/BASELINES.md). */
    static final double REFERENCE_PNG_LOW = 18.7;
    static final double REFERENCE_PNG_HIGH = 19.7;
    static final double REFERENCE_JPEG_LOW = 25.5;
    static final double REFERENCE_JPEG_HIGH = 26.9;

    public BenchPreprocessCommand() {
        super(Set.of("pdf", "pages", "size", "seconds", "save-pages"), Set.of());
    }

    @Override
    public String name() {
        return "bench-preprocess";
    }

    @Override
    public String usage() {
        return """
                [--pdf FILE] [--pages 8] [--size 448] [--seconds 5] [--save-pages DIR]
                Renders the PDF's first pages at 150 dpi (default %s, Debian package libtasn1-doc), encodes them \
                as PNG and JPEG in memory, then measures single-thread pages/s of decode + RGB + bicubic resize + \
                normalise against baselines measured in the same run. --save-pages writes the encoded pages \
                (page-N.png, page-N.jpg) for src/test/bench/preprocess_transformers.py to time the reference on.""".formatted(DEFAULT_PDF);
    }

    @Override
    int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        Path pdf = CliArgs.existingFile(args.value("pdf").orElse(DEFAULT_PDF), "PDF");
        int pageLimit = args.intValue("pages", 8, 1, 500);
        int size = args.intValue("size", 448, 1, 4096);
        long nanosPerRun = Duration.ofSeconds(args.intValue("seconds", 5, 1, 600)).toNanos();

        List<RgbImage> rendered = new ArrayList<>();
        new PdfRenderer(PdfRenderer.DEFAULT_DPI, 10_000, 100_000_000L, Duration.ofMinutes(10))
                .render(Files.readAllBytes(pdf), (index, count, page) -> {
                    if (index < pageLimit) {
                        rendered.add(page);
                    }
                });
        List<byte[]> png = new ArrayList<>();
        List<byte[]> jpeg = new ArrayList<>();
        for (RgbImage page : rendered) {
            png.add(encode(page, "png"));
            jpeg.add(encode(page, "jpeg"));
        }
        if (args.value("save-pages").isPresent()) {
            Path dir = Files.createDirectories(Path.of(args.value("save-pages").get()));
            for (int i = 0; i < png.size(); i++) {
                Files.write(dir.resolve("page-" + (i + 1) + ".png"), png.get(i));
                Files.write(dir.resolve("page-" + (i + 1) + ".jpg"), jpeg.get(i));
            }
            out.printf("wrote %d PNG and %d JPEG pages to %s%n", png.size(), jpeg.size(), dir);
        }
        RgbImage first = rendered.get(0);
        out.printf("bench-preprocess: %s, %d pages at 150 dpi (%dx%d), PNG %d KB/page, JPEG %d KB/page, -> [3,%d,%d], "
                        + "1 thread, Java %s%n", pdf.getFileName(), rendered.size(), first.width(), first.height(),
                average(png) / 1024, average(jpeg) / 1024, size, size, Runtime.version());

        ImageDecoder decoder = new ImageDecoder(100_000_000L);
        List<RgbImage> decoded = new ArrayList<>();
        for (byte[] bytes : png) {
            decoded.add(decoder.decode(bytes));
        }
        List<byte[]> imageData = new ArrayList<>();
        for (byte[] bytes : png) {
            imageData.add(idatStream(bytes));
        }
        int rawBytes = (first.width() * 3 + 1) * first.height(); // the ImageIO-written pages are 8-bit RGB
        List<RgbImage> decodedJpeg = new ArrayList<>();
        for (byte[] bytes : jpeg) {
            decodedJpeg.add(decoder.decode(bytes));
        }
        List<BufferedImage> awtPages = new ArrayList<>();
        for (byte[] bytes : png) {
            awtPages.add(ImageIO.read(new ByteArrayInputStream(bytes)));
        }

        List<Workload> workloads = List.of(
                new Workload(png.size(), i -> PixelValues.of(List.of(decoder.decodeResized(png.get(i), size, size)), size).length),
                new Workload(jpeg.size(), i -> PixelValues.of(List.of(decoder.decodeResized(jpeg.get(i), size, size)), size).length),
                new Workload(png.size(), i -> decoder.decode(png.get(i)).width()),
                new Workload(decoded.size(), i -> PixelValues.of(List.of(decoded.get(i)), size).length),
                new Workload(png.size(), i -> readQuietly(png.get(i)).getWidth()),
                new Workload(awtPages.size(), i -> java2dBicubic(awtPages.get(i), size).getWidth()),
                new Workload(imageData.size(), i -> zlibInflate(imageData.get(i), rawBytes)),
                new Workload(jpeg.size(), i -> decoder.decode(jpeg.get(i)).width()),
                new Workload(decodedJpeg.size(), i -> PixelValues.of(List.of(decodedJpeg.get(i)), size).length),
                new Workload(jpeg.size(), i -> libjpegRaster(jpeg.get(i))),
                new Workload(jpeg.size(), i -> readQuietly(jpeg.get(i)).getWidth()));
        // JIT-compile everything first, then measure in interleaved rounds and keep each workload's median,
        // so that neither warm-up nor a burst of load from other processes favours one of them.
        for (Workload workload : workloads) {
            pagesPerSecond(workload, nanosPerRun / 2);
        }
        int rounds = 3;
        Rate[][] rates = new Rate[workloads.size()][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int w = 0; w < workloads.size(); w++) {
                rates[w][round] = pagesPerSecond(workloads.get(w), nanosPerRun / rounds);
            }
        }
        Rate pipelinePng = median(rates[0]);
        Rate pipelineJpeg = median(rates[1]);
        Rate decodeOnly = median(rates[2]);
        Rate resizeNormalise = median(rates[3]);
        Rate imageIoRead = median(rates[4]);
        Rate java2dResize = median(rates[5]);
        Rate zlibInflate = median(rates[6]);
        Rate jpegDecode = median(rates[7]);
        Rate jpegResize = median(rates[8]);
        Rate libjpegAlone = median(rates[9]);
        Rate imageIoJpeg = median(rates[10]);

        out.println("  single thread, pages/s by thread CPU time (wall-clock in brackets; this machine is shared):");
        print(out, "PNG  pipeline (decode+RGB+resize+normalise)", pipelinePng);
        print(out, "JPEG pipeline (decode+RGB+resize+normalise)", pipelineJpeg);
        print(out, "  of which PNG decode + RGB", decodeOnly);
        print(out, "  of which resize + normalise", resizeNormalise);
        print(out, "baseline: ImageIO.read(PNG) alone", imageIoRead);
        print(out, "baseline: Java2D bicubic drawImage resize", java2dResize);
        print(out, "baseline: zlib inflate of the image data alone", zlibInflate);
        print(out, "  of which JPEG decode + RGB", jpegDecode);
        print(out, "  of which resize + normalise (JPEG pages)", jpegResize);
        print(out, "baseline: libjpeg alone (readRaster, no RGB)", libjpegAlone);
        print(out, "baseline: ImageIO.read(JPEG) alone", imageIoJpeg);
        out.printf("  => JPEG page: libjpeg %.1f ms + colour conversion into our RGB %.1f ms + resize/normalise %.1f ms;"
                        + " our JPEG decode is %.2fx ImageIO.read%n",
                libjpegAlone.cpuMillisPerPage(), jpegDecode.cpuMillisPerPage() - libjpegAlone.cpuMillisPerPage(),
                jpegResize.cpuMillisPerPage(), jpegDecode.cpu() / imageIoJpeg.cpu());
        out.printf("  => our PNG decode is %.2fx ImageIO.read and %.2fx a bare zlib inflate (java.util.zip) of its "
                        + "data; our exact resize+normalise is %.2fx Java2D's bicubic%n",
                decodeOnly.cpu() / imageIoRead.cpu(), decodeOnly.cpu() / zlibInflate.cpu(),
                resizeNormalise.cpu() / java2dResize.cpu());
        out.printf("  => full PNG pipeline is %.2fx a bare ImageIO.read of the same page%n",
                pipelinePng.cpu() / imageIoRead.cpu());
        out.printf("  reference transformers SiglipImageProcessor (PIL 11.1), 1 thread, idle machine: PNG %.1f-%.1f, "
                        + "JPEG %.1f-%.1f pages/s%n  => PNG %.2f-%.2fx, JPEG %.2f-%.2fx the reference (target >= 2x)%n",
                REFERENCE_PNG_LOW, REFERENCE_PNG_HIGH, REFERENCE_JPEG_LOW, REFERENCE_JPEG_HIGH,
                pipelinePng.cpu() / REFERENCE_PNG_HIGH, pipelinePng.cpu() / REFERENCE_PNG_LOW,
                pipelineJpeg.cpu() / REFERENCE_JPEG_HIGH, pipelineJpeg.cpu() / REFERENCE_JPEG_LOW);
        out.println("  the reference on this machine and these pages: --save-pages DIR, then "
                + "python src/test/bench/preprocess_transformers.py DIR");
        return 0;
    }

    /**
     * Pages per second of one thread, by thread CPU time (what one core delivers; immune to other processes on a
     * shared machine) and by wall-clock time.
     */
    record Rate(double cpu, double wall) {
        double cpuMillisPerPage() {
            return 1000 / cpu;
        }
    }

    record Workload(int pages, IntUnaryOperator work) {
    }

    private static Rate median(Rate[] rates) {
        Rate[] sorted = rates.clone();
        java.util.Arrays.sort(sorted, java.util.Comparator.comparingDouble(Rate::cpu));
        return sorted[sorted.length / 2];
    }

    /** Times whole passes over the workload's pages until {@code nanos} of wall-clock time have passed. */
    private static Rate pagesPerSecond(Workload workload, long nanos) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sink = 0;
        long start = System.nanoTime();
        long cpuStart = threads.getCurrentThreadCpuTime();
        long done = 0;
        do {
            for (int i = 0; i < workload.pages(); i++) {
                sink += workload.work().applyAsInt(i);
            }
            done += workload.pages();
        } while (System.nanoTime() - start < nanos);
        long cpu = threads.getCurrentThreadCpuTime() - cpuStart;
        long wall = System.nanoTime() - start;
        if (sink == 42) {
            System.out.print(""); // keeps the JIT from dropping the work
        }
        return new Rate(done * 1e9 / cpu, done * 1e9 / wall);
    }

    private static void print(PrintStream out, String what, Rate rate) {
        out.printf("  %-46s %7.1f pages/s  %6.1f ms/page  [%6.1f pages/s]%n", what, rate.cpu(), rate.cpuMillisPerPage(),
                rate.wall());
    }

    private static BufferedImage readQuietly(byte[] bytes) {
        try {
            return ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** libjpeg's decode into a raster without colour conversion: the floor under any ImageIO-based JPEG decode. */
    private static int libjpegRaster(byte[] jpeg) {
        ImageReader reader = ImageIO.getImageReadersByFormatName("jpeg").next();
        try (ImageInputStream input = new ByteArrayImageInputStream(jpeg)) {
            reader.setInput(input, true, true);
            return reader.readRaster(0, null).getWidth();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } finally {
            reader.dispose();
        }
    }

    private static BufferedImage java2dBicubic(BufferedImage page, int size) {
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.drawImage(page, 0, 0, size, size, null);
        g.dispose();
        return out;
    }

    /** The zlib stream of a PNG: its IDAT chunks' data, joined. */
    private static byte[] idatStream(byte[] png) {
        ByteBuffer in = ByteBuffer.wrap(png);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (int at = 8; at + 8 <= png.length; at += 12 + in.getInt(at)) {
            if (in.getInt(at + 4) == 0x49444154) { // IDAT
                data.write(png, at + 8, in.getInt(at));
            }
        }
        return data.toByteArray();
    }

    private static int zlibInflate(byte[] zlib, int rawBytes) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(zlib);
            return inflater.inflate(new byte[rawBytes]);
        } catch (DataFormatException e) {
            throw new IllegalStateException(e);
        } finally {
            inflater.end();
        }
    }

    private static long average(List<byte[]> files) {
        return files.stream().mapToLong(b -> b.length).sum() / files.size();
    }

    /** The page as an RGB BufferedImage over the same bytes, encoded with ImageIO (JPEG at quality 0.85). */
    static byte[] encode(RgbImage page, String format) throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        PixelInterleavedSampleModel layout = new PixelInterleavedSampleModel(DataBuffer.TYPE_BYTE, page.width(),
                page.height(), 3, page.width() * 3, new int[] {0, 1, 2});
        BufferedImage image = new BufferedImage(cm,
                Raster.createWritableRaster(layout, new DataBufferByte(page.rgb(), page.rgb().length), null),
                false, null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (format.equals("jpeg")) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(0.85f);
            }
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
