package pagestream.model.processor;

/** The block structure of a GIF up to its first image's data, read without decoding anything. */
final class GifBlocks {

    private static final int EXTENSION = 0x21;
    private static final int IMAGE_DESCRIPTOR = 0x2C;

    private GifBlocks() {
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
}
