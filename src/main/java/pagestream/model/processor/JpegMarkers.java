package pagestream.model.processor;

/**
 * The JPEG marker segments before the first scan that decide how libjpeg (and so Pillow) reads the samples: the
 * frame's component count and ids, a JFIF APP0 and an Adobe APP14 with its transform, read as libjpeg's jdmarker.c
 * reads them (a JFIF or Adobe segment counts only when at least 14 or 12 bytes long; the last Adobe segment wins).
 *
 * @param components     components in the frame (0 when no SOF came before the first SOS or the end)
 * @param componentIds   their ids, in frame order
 * @param sampling       their sampling factors, in frame order: horizontal in the high nibble, vertical in the low
 * @param jfif           a JFIF APP0 segment was seen
 * @param adobeTransform the Adobe APP14 transform flag, -1 without an Adobe segment
 * @param scanDataFollows bytes follow the first SOS header (false: the file ends inside its headers)
 */
record JpegMarkers(int components, int[] componentIds, int[] sampling, boolean jfif, int adobeTransform,
        boolean scanDataFollows) {

    private static final int SOS = 0xDA;
    private static final int APP0 = 0xE0;
    private static final int APP14 = 0xEE;

    /** Walks the segments from SOI to the first SOS. Never throws; what it cannot parse it leaves to the decoder. */
    static JpegMarkers read(byte[] jpeg) {
        int components = 0;
        int[] ids = new int[0];
        int[] sampling = new int[0];
        boolean jfif = false;
        int adobeTransform = -1;
        int position = 2; // after SOI
        while (position < jpeg.length) {
            if ((jpeg[position] & 0xFF) != 0xFF) {
                position++; // bytes where a marker must be: libjpeg skips them with a warning, and so do we
                continue;
            }
            while (position < jpeg.length && (jpeg[position] & 0xFF) == 0xFF) {
                position++; // fill bytes
            }
            if (position >= jpeg.length) {
                break;
            }
            int marker = jpeg[position++] & 0xFF;
            if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD8) {
                continue; // TEM, RSTn, SOI: no length
            }
            if (position + 2 > jpeg.length) {
                break;
            }
            int length = ((jpeg[position] & 0xFF) << 8) | (jpeg[position + 1] & 0xFF);
            int data = position + 2;
            int dataLength = Math.min(length - 2, jpeg.length - data);
            if (isStartOfFrame(marker) && dataLength >= 6) {
                components = jpeg[data + 5] & 0xFF;
                ids = new int[components];
                sampling = new int[components];
                for (int c = 0; c < components && data + 7 + 3 * c < jpeg.length; c++) {
                    ids[c] = jpeg[data + 6 + 3 * c] & 0xFF;
                    sampling[c] = jpeg[data + 7 + 3 * c] & 0xFF;
                }
            } else if (marker == APP0 && dataLength >= 14 && startsWith(jpeg, data, "JFIF\0")) {
                jfif = true;
            } else if (marker == APP14 && dataLength >= 12 && startsWith(jpeg, data, "Adobe")) {
                adobeTransform = jpeg[data + 11] & 0xFF;
            }
            position += length;
            if (marker == SOS) { // its header ends here, the scan's data must follow
                return new JpegMarkers(components, ids, sampling, jfif, adobeTransform, position < jpeg.length);
            }
        }
        return new JpegMarkers(components, ids, sampling, jfif, adobeTransform, false);
    }

    /**
     * The components libjpeg-turbo upsamples vertically by interpolation where the JDK's libjpeg 6b repeats rows:
     * full horizontal resolution, half the vertical (4:4:0 chroma; h1v2_fancy_upsample exists in turbo only).
     */
    boolean[] verticallyHalved() {
        int maxH = 0;
        int maxV = 0;
        for (int factors : sampling) {
            maxH = Math.max(maxH, factors >> 4);
            maxV = Math.max(maxV, factors & 0xF);
        }
        boolean[] halved = new boolean[sampling.length];
        for (int c = 0; c < sampling.length; c++) {
            halved[c] = (sampling[c] >> 4) == maxH && 2 * (sampling[c] & 0xF) == maxV;
        }
        return halved;
    }

    /** SOF0-3, 5-7, 9-11, 13-15 (C4 is DHT, C8 reserved, CC is DAC). */
    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static boolean startsWith(byte[] bytes, int at, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (bytes[at + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
