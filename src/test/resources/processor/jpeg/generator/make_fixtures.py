#!/usr/bin/env python3
"""Writes the JPEG decode fixtures of src/test/resources/processor/jpeg and Pillow's convert("RGB") of each.

Documentation of how the fixtures were made; the tests never run Python. Run from this directory with Debian 12's
python3-pil (Pillow 9.4 on the system libjpeg-turbo 2.1.5, the JPEG library of the reference environment) after
`gcc -O2 -o /tmp/encode_jpeg encode_jpeg.c -ljpeg` (libjpeg62-turbo-dev), then copy the outputs up one level:

    python3 make_fixtures.py /tmp/encode_jpeg /usr/share/color/icc/ghostscript ..

For every fixture NAME.jpg it writes NAME.rgb.png = Image.open(NAME.jpg).convert("RGB") (lossless) and a line in
fixtures.json (mode, Adobe transform, progressive flag, EXIF orientation, ICC profile, sha256 of the decoded RGB).
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, features

W, H = 61, 45  # not a multiple of the 8/16-pixel MCU: partial blocks at the right and bottom edges


def pattern():
    """Smooth gradients, saturated corners (clamping in YCbCr->RGB), sharp edges and some noise."""
    y, x = np.mgrid[0:H, 0:W]
    rng = np.random.RandomState(20261127)
    r = (x * 255 // (W - 1))
    g = (y * 255 // (H - 1))
    b = ((x + y) * 7) % 256
    rgb = np.stack([r, g, b], axis=-1).astype(np.int32)
    rgb[(x // 8 + y // 8) % 2 == 0] = 255 - rgb[(x // 8 + y // 8) % 2 == 0]  # checkerboard edges
    rgb[:12, :12] = [255, 0, 0]
    rgb[:12, -12:] = [0, 0, 255]
    rgb[-12:, :12] = [0, 255, 0]
    rgb[-12:, -12:] = [255, 255, 0]
    rgb += rng.randint(-20, 21, size=rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def cmyk_pattern():
    y, x = np.mgrid[0:H, 0:W]
    rng = np.random.RandomState(7)
    cmyk = np.stack([x * 4, y * 5, (x * y) % 256, ((x + y) * 3) % 256], axis=-1).astype(np.int32)
    cmyk[:10, :10, 3] = 255  # full black
    cmyk[-10:, -10:] = 0     # paper white
    cmyk += rng.randint(-10, 11, size=cmyk.shape)
    return np.clip(cmyk, 0, 255).astype(np.uint8)


def pil_jpeg(image, **options):
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def libjpeg(encoder, samples, input_space, stored, sampling, restart_rows=0, progressive=0, quality=90):
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "in.raw")
        out = os.path.join(tmp, "out.jpg")
        with open(raw, "wb") as f:
            f.write(samples.tobytes())
        subprocess.run([encoder, raw, str(W), str(H), input_space, stored, str(quality), sampling,
                        str(restart_rows), str(progressive), out], check=True)
        with open(out, "rb") as f:
            return f.read()


def without_app0(jpeg):
    assert jpeg[2:4] == b"\xff\xe0"
    length = int.from_bytes(jpeg[4:6], "big")
    return jpeg[:2] + jpeg[4 + length:]


def main(encoder, icc_dir, out_dir):
    rgb = Image.fromarray(pattern(), "RGB")
    grey = rgb.convert("L")
    cmyk_samples = cmyk_pattern()
    cmyk = Image.frombytes("CMYK", (W, H), cmyk_samples.tobytes())
    inverted_cmyk = (255 - cmyk_samples)  # Adobe convention, as Photoshop (and Pillow) store CMYK
    a98 = open(os.path.join(icc_dir, "a98.icc"), "rb").read()
    ps_cmyk = open(os.path.join(icc_dir, "ps_cmyk.icc"), "rb").read()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display; Pillow's open/convert do not apply it

    fixtures = {
        "rgb_420.jpg": pil_jpeg(rgb, quality=90, subsampling=2),
        "rgb_422.jpg": pil_jpeg(rgb, quality=90, subsampling=1),
        "rgb_444.jpg": pil_jpeg(rgb, quality=90, subsampling=0),
        "rgb_progressive.jpg": pil_jpeg(rgb, quality=90, subsampling=2, progressive=True),
        "rgb_restart.jpg": libjpeg(encoder, pattern(), "rgb", "ycc", "2x2", restart_rows=1),
        "rgb_440.jpg": libjpeg(encoder, pattern(), "rgb", "ycc", "1x2"),
        "rgb_adobe_rgb_stored.jpg": libjpeg(encoder, pattern(), "rgb", "rgb", "1x1"),
        "rgb_no_jfif.jpg": without_app0(pil_jpeg(rgb, quality=90, subsampling=2)),
        "rgb_exif_rotated.jpg": pil_jpeg(rgb, quality=90, exif=exif.tobytes()),
        "rgb_icc_a98.jpg": pil_jpeg(rgb, quality=90, icc_profile=a98),
        "grey.jpg": pil_jpeg(grey, quality=90),
        "grey_progressive.jpg": pil_jpeg(grey, quality=90, progressive=True),
        "cmyk_adobe.jpg": pil_jpeg(cmyk, quality=90),
        "cmyk_adobe_icc.jpg": pil_jpeg(cmyk, quality=90, icc_profile=ps_cmyk),
        "ycck_adobe.jpg": libjpeg(encoder, inverted_cmyk, "cmyk", "ycck", "2x2"),
        "ycck_progressive.jpg": libjpeg(encoder, inverted_cmyk, "cmyk", "ycck", "2x2", progressive=1),
    }
    manifest = {
        "generator": "make_fixtures.py",
        "pillow_version": Image.__version__,
        "libjpeg_turbo": features.check_feature("libjpeg_turbo"),
        "jpeg_library_version": features.version("jpg"),
        "size": [W, H],
        "fixtures": {},
    }
    for name, data in fixtures.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        image = Image.open(io.BytesIO(data))
        converted = image.convert("RGB")
        expected = name[:-len(".jpg")] + ".rgb.png"
        converted.save(os.path.join(out_dir, expected), optimize=True)
        manifest["fixtures"][name] = {
            "expected": expected,
            "mode": image.mode,
            "adobe_transform": image.info.get("adobe_transform"),
            "progressive": bool(image.info.get("progressive")),
            "exif_orientation": image.getexif().get(0x0112),
            "icc_profile_bytes": len(image.info.get("icc_profile") or b""),
            "rgb_sha256": hashlib.sha256(converted.tobytes()).hexdigest(),
        }
    with open(os.path.join(out_dir, "fixtures.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
