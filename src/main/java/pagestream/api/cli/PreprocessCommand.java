package pagestream.api.cli;

import pagestream.model.checkpoint.SafetensorsWriter;
import pagestream.model.processor.ImageDecodeException;
import pagestream.model.processor.ImageDecoder;
import pagestream.model.processor.PixelValues;
import pagestream.model.processor.RgbImage;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code preprocess --size 448 --output OUT.safetensors IMAGE...}: the model's image preprocessing alone
 * (decode as Pillow does, bicubic resize, normalise), written as {@code pixel_values [N, 3, S, S]} float32, to
 * compare with the Python reference or feed {@code embed-tensors}.
 */
public final class PreprocessCommand extends ArgumentCommand {

    /** The service's default decompression-bomb guard ({@code pagestream.limits.max-image-pixels}). */
    static final long MAX_IMAGE_PIXELS = 89_478_485L;

    public PreprocessCommand() {
        super(Set.of("size", "output"), Set.of());
    }

    @Override
    public String name() {
        return "preprocess";
    }

    @Override
    public String usage() {
        return """
                [--size 448] --output OUT.safetensors IMAGE...
                Decodes each image (PNG, JPEG, TIFF, BMP, GIF) as Pillow's convert("RGB") does, resizes it
                bicubically to SIZE x SIZE and normalises it as ColPali's processor does.
                Writes pixel_values [N, 3, SIZE, SIZE] float32.""";
    }

    @Override
    int run(CliArgs args, PrintStream out, PrintStream err) throws UsageException, IOException {
        int size = args.intValue("size", 448, 1, 4096);
        Path output = CliArgs.outputFile(args.required("output"));
        if (args.positionals().isEmpty()) {
            throw new UsageException("no images given");
        }
        List<Path> files = new ArrayList<>();
        for (String name : args.positionals()) {
            files.add(CliArgs.existingFile(name, "image"));
        }
        ImageDecoder decoder = new ImageDecoder(MAX_IMAGE_PIXELS);
        List<RgbImage> images = new ArrayList<>();
        for (Path file : files) {
            images.add(decode(decoder, file, size));
        }
        float[] pixels = PixelValues.of(images, size);
        new SafetensorsWriter()
                .metadata("format", "pt")
                .addFloat32("pixel_values", new long[]{images.size(), 3, size, size}, pixels)
                .write(output);
        out.printf("wrote pixel_values [%d, 3, %d, %d] to %s%n", images.size(), size, size, output);
        return 0;
    }

    /** The image at {@code size x size}, decoded and resized as the reference processor does. */
    static RgbImage decode(ImageDecoder decoder, Path file, int size) throws IOException {
        try {
            return decoder.decodeResized(Files.readAllBytes(file), size, size);
        } catch (ImageDecodeException e) {
            throw new IllegalArgumentException("cannot read image " + file + ": " + e.getMessage(), e);
        }
    }
}
