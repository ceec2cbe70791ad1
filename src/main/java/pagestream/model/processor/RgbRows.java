package pagestream.model.processor;

/**
 * The rows of an 8-bit RGB image, handed out top to bottom, so that a resampler can read a decoder's rows as they
 * are produced instead of a whole decoded image ({@link BicubicResizer#resize(RgbRows, int, int)}).
 */
interface RgbRows {

    int width();

    int height();

    /**
     * Makes row {@code y} readable: its {@code width * 3} bytes lie in {@link #array()} from the returned offset
     * until the next call. Rows are asked for in increasing order (a source may skip ahead, never go back).
     */
    int row(int y);

    /** The array the last {@link #row} call left its row in. */
    byte[] array();

    /** The rows of a decoded image, read where they lie. */
    static RgbRows of(RgbImage image) {
        return new RgbRows() {
            @Override
            public int width() {
                return image.width();
            }

            @Override
            public int height() {
                return image.height();
            }

            @Override
            public int row(int y) {
                return y * image.width() * 3;
            }

            @Override
            public byte[] array() {
                return image.rgb();
            }
        };
    }
}
