/*
 * Writes raw interleaved 8-bit samples as a JPEG through libjpeg(-turbo) with settings Pillow's encoder does not
 * expose: a YCCK (Adobe transform 2) colour space, 4:4:0 sampling, restart markers.
 *
 *   encode_jpeg IN.raw WIDTH HEIGHT INPUT(rgb|gray|cmyk) STORED(ycc|rgb|gray|cmyk|ycck) QUALITY
 *               HxV(luma sampling, e.g. 2x2) RESTART_ROWS(0 = none) PROGRESSIVE(0|1) OUT.jpg
 *
 * CMYK input is taken as Adobe-inverted samples (what Photoshop and Pillow write); libjpeg adds the Adobe APP14
 * marker for CMYK and YCCK itself. Build: gcc -O2 -o encode_jpeg encode_jpeg.c -ljpeg
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

static J_COLOR_SPACE space(const char *name) {
    if (!strcmp(name, "rgb")) return JCS_RGB;
    if (!strcmp(name, "gray")) return JCS_GRAYSCALE;
    if (!strcmp(name, "cmyk")) return JCS_CMYK;
    if (!strcmp(name, "ycc")) return JCS_YCbCr;
    if (!strcmp(name, "ycck")) return JCS_YCCK;
    fprintf(stderr, "unknown colour space %s\n", name);
    exit(2);
}

int main(int argc, char **argv) {
    if (argc != 11) {
        fprintf(stderr, "usage: encode_jpeg IN.raw W H INPUT STORED QUALITY HxV RESTART_ROWS PROGRESSIVE OUT.jpg\n");
        return 2;
    }
    int width = atoi(argv[2]), height = atoi(argv[3]);
    J_COLOR_SPACE input = space(argv[4]);
    int components = input == JCS_GRAYSCALE ? 1 : input == JCS_CMYK ? 4 : 3;
    size_t size = (size_t) width * height * components;
    unsigned char *pixels = malloc(size);
    FILE *in = fopen(argv[1], "rb");
    if (!in || fread(pixels, 1, size, in) != size) {
        fprintf(stderr, "cannot read %zu bytes from %s\n", size, argv[1]);
        return 1;
    }
    fclose(in);
    int h = 1, v = 1;
    sscanf(argv[7], "%dx%d", &h, &v);

    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    FILE *out = fopen(argv[10], "wb");
    jpeg_stdio_dest(&cinfo, out);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = components;
    cinfo.in_color_space = input;
    jpeg_set_defaults(&cinfo);
    jpeg_set_colorspace(&cinfo, space(argv[5]));
    jpeg_set_quality(&cinfo, atoi(argv[6]), TRUE);
    cinfo.comp_info[0].h_samp_factor = h;
    cinfo.comp_info[0].v_samp_factor = v;
    for (int c = 1; c < cinfo.num_components; c++) {
        cinfo.comp_info[c].h_samp_factor = 1;
        cinfo.comp_info[c].v_samp_factor = 1;
    }
    if (cinfo.num_components == 4) { /* K at full resolution, like Photoshop */
        cinfo.comp_info[3].h_samp_factor = h;
        cinfo.comp_info[3].v_samp_factor = v;
    }
    cinfo.restart_in_rows = atoi(argv[8]);
    if (atoi(argv[9])) {
        jpeg_simple_progression(&cinfo);
    }
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = pixels + (size_t) cinfo.next_scanline * width * components;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    fclose(out);
    jpeg_destroy_compress(&cinfo);
    free(pixels);
    return 0;
}
