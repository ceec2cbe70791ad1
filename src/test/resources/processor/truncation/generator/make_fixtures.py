#!/usr/bin/env python3
"""Writes the truncation fixtures of src/test/resources/processor/truncation and what Pillow makes of every prefix.

Documentation of how the fixtures were made; the tests never run Python. Run from this directory with Debian 12's
python3-pil (Pillow 9.4) and ImageMagick 6 (for the RLE BMPs Pillow cannot write):

    python3 make_fixtures.py ..

For every fixture NAME it writes NAME.rgb.png = Image.open(NAME).convert("RGB") (lossless) and, in
truncation.json, the shortest prefix Pillow decodes: every shorter prefix raises (UnidentifiedImageError while
the header is incomplete, else OSError "image file is truncated"), every longer one gives the full image (checked
here for every length). "short_image_data.gif" has a terminated data chain that ends before the last row: Pillow
refuses it at every length.
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

W, H = 23, 17


def pattern():
    y, x = np.mgrid[0:H, 0:W]
    return Image.fromarray(np.stack([x * 11, y * 15, (x * y) % 256], -1).astype(np.uint8), "RGB")


def pil_bytes(image, fmt, **options):
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def magick_bmp(image, compression):
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "in.png")
        target = os.path.join(tmp, "out.bmp")
        image.save(source)
        subprocess.run(["convert", source, "-compress", compression, "bmp3:" + target], check=True)
        with open(target, "rb") as f:
            return f.read()


def first_sub_block_end(gif):
    """Position just after the first data sub-block of the first image."""
    flags = gif[10]
    p = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    while gif[p] == 0x21:
        p += 2
        while gif[p]:
            p += gif[p] + 1
        p += 1
    assert gif[p] == 0x2C
    local = gif[p + 9]
    p += 10 + (3 * (2 << (local & 7)) if local & 0x80 else 0) + 1
    return p + 1 + gif[p]


def outcome(data):
    try:
        return hashlib.sha256(Image.open(io.BytesIO(data)).convert("RGB").tobytes()).hexdigest()
    except Exception as e:  # noqa: BLE001 - every failure is the outcome we record
        return "error " + type(e).__name__


def main(out_dir):
    rgb = pattern()
    palette = rgb.convert("P", palette=Image.ADAPTIVE, colors=64)
    interlaced = pil_bytes(palette, "GIF")  # Pillow interlaces GIFs of 16 rows and more by default
    fixtures = {
        "interlaced.gif": interlaced,
        "non_interlaced.gif": pil_bytes(palette, "GIF", interlace=False),
        "rgb24.bmp": pil_bytes(rgb, "BMP"),
        "palette8.bmp": pil_bytes(palette, "BMP"),
        "rle8.bmp": magick_bmp(palette, "RLE"),
        "raw.tif": pil_bytes(rgb, "TIFF"),
        "lzw.tif": pil_bytes(rgb, "TIFF", compression="tiff_lzw"),
        "packbits.tif": pil_bytes(rgb, "TIFF", compression="packbits"),
        "deflate.tif": pil_bytes(rgb, "TIFF", compression="tiff_adobe_deflate"),
    }
    cut = first_sub_block_end(interlaced)
    short = interlaced[:cut] + b"\x00\x3b"
    manifest = {"pillow_version": Image.__version__, "size": [W, H], "fixtures": {}}
    for name, data in fixtures.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        full = outcome(data)
        assert not full.startswith("error"), name
        Image.open(io.BytesIO(data)).convert("RGB").save(os.path.join(out_dir, name + ".rgb.png"))
        outcomes = [outcome(data[:n]) for n in range(1, len(data) + 1)]
        complete = min(n for n in range(1, len(data) + 1) if outcomes[n - 1] == full)
        assert all(o.startswith("error") for o in outcomes[:complete - 1]), name
        assert all(o == full for o in outcomes[complete - 1:]), name
        manifest["fixtures"][name] = {"length": len(data), "shortest_decoded_prefix": complete}
    with open(os.path.join(out_dir, "short_image_data.gif"), "wb") as f:
        f.write(short)
    assert all(outcome(short[:n]).startswith("error") for n in range(1, len(short) + 1))
    manifest["short_image_data.gif"] = {"length": len(short), "pillow": "OSError at every length"}
    with open(os.path.join(out_dir, "truncation.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
