package pagestream.model.processor;

import java.util.Optional;

/** The block structure of a GIF up to its first image's data, read without decoding anything. */
final class GifBlocks {

    private static final int EXTENSION = 0x21;
    private static final int GRAPHIC_CONTROL = 0xF9;
    private static final int IMAGE_DESCRIPTOR = 0x2C;
    private static final int TRAILER = 0x3B;

    /**
     * Where the first frame lies on the logical screen.
     *
     * @param transparentIndex the first frame's transparent palette index (graphic control extension), -1 if none
     */
    record Layout(int screenWidth, int screenHeight, int left, int top, int transparentIndex) {
    }

    private GifBlocks() {
    }

    /** The first frame's layout; empty when the bytes end or break before its image descriptor is complete. */
    static Optional<Layout> layout(byte[] gif) {
        if (gif.length < 13) {
            return Optional.empty();
        }
        int transparentIndex = -1;
        int position = 13 + colourTableLength(gif[10]);
        // Pillow's walk: extensions are skipped block by block, any other byte but the trailer one by one
        while (position < gif.length && (gif[position] & 0xFF) != IMAGE_DESCRIPTOR) {
            int marker = gif[position] & 0xFF;
            if (marker == TRAILER) {
                return Optional.empty();
            }
            if (marker != EXTENSION || position + 1 >= gif.length) {
                position++;
                continue;
            }
            int label = gif[position + 1] & 0xFF;
            int data = position + 2;
            if (label == GRAPHIC_CONTROL && data + 4 < gif.length && (gif[data] & 0xFF) >= 4) {
                // the last one before the image wins, as in Pillow
                transparentIndex = (gif[data + 1] & 1) != 0 ? gif[data + 4] & 0xFF : -1;
            }
            position = skipSubBlocks(gif, data) + 1;
        }
        if (position + 9 >= gif.length) {
            return Optional.empty();
        }
        return Optional.of(new Layout(unsigned16(gif, 6), unsigned16(gif, 8), unsigned16(gif, position + 1),
                unsigned16(gif, position + 3), transparentIndex));
    }

    /**
     * True when the bytes end exactly after a data sub-block of the first image, with no block terminator: all the
     * image data a writer produced may be there (Pillow decodes it and needs nothing after its last pixel).
     */
    static boolean endsAfterFirstImageSubBlock(byte[] gif) {
        if (gif.length < 13) {
            return false;
        }
        int position = 13 + colourTableLength(gif[10]);
        while (position < gif.length && (gif[position] & 0xFF) == EXTENSION) {
            position = skipSubBlocks(gif, position + 2);
            if (position >= gif.length) {
                return false;
            }
            position++; // the extension's terminator
        }
        if (position >= gif.length || (gif[position] & 0xFF) != IMAGE_DESCRIPTOR || position + 10 > gif.length) {
            return false;
        }
        position += 10 + colourTableLength(gif[position + 9]);
        position++; // LZW minimum code size
        if (position >= gif.length) {
            return false;
        }
        return skipSubBlocks(gif, position) == gif.length;
    }

    /** The position of the terminating zero-length block, or the position past a chain cut short by the end. */
    private static int skipSubBlocks(byte[] gif, int position) {
        while (position < gif.length && gif[position] != 0) {
            position += 1 + (gif[position] & 0xFF);
        }
        return position;
    }

    private static int colourTableLength(byte packedFields) {
        return (packedFields & 0x80) != 0 ? 3 * (2 << (packedFields & 7)) : 0;
    }

    private static int unsigned16(byte[] bytes, int at) {
        return (bytes[at] & 0xFF) | (bytes[at + 1] & 0xFF) << 8;
    }
}
