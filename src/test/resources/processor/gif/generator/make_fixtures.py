#!/usr/bin/env python3
"""Writes the GIF layout fixtures of src/test/resources/processor/gif and Pillow's convert("RGB") of each.

Documentation only; the tests never run Python. Run from this directory with Debian 12's python3-pil (Pillow 9.4;
GifImagePlugin's first-frame layout rules are the same in 11.1):  python3 make_fixtures.py ..

Each file is a Pillow-written 23x17 GIF whose logical screen and image descriptor are patched afterwards:
- offset_frame.gif: screen 40x30, frame at (5, 7): the rest of the screen is palette index 0;
- offset_frame_transparent.gif: the same with a transparent index (Pillow wrote 8): the rest is that index;
- frame_past_screen.gif: screen 20x10, frame at (4, 3): Pillow enlarges the image to 27x20.
"""
import io
import sys

import numpy as np
from PIL import Image


def patched(screen, offset, transparency=None):
    y, x = np.mgrid[0:17, 0:23]
    rgb = Image.fromarray(np.stack([x * 11, y * 15, (x * y) % 256], -1).astype(np.uint8), "RGB")
    image = rgb.convert("P", palette=Image.ADAPTIVE, colors=64)
    out = io.BytesIO()
    options = {"interlace": False}
    if transparency is not None:
        options["transparency"] = transparency
    image.save(out, "GIF", **options)
    gif = bytearray(out.getvalue())
    gif[6:8] = screen[0].to_bytes(2, "little")
    gif[8:10] = screen[1].to_bytes(2, "little")
    flags = gif[10]
    p = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    while gif[p] == 0x21:
        p += 2
        while gif[p]:
            p += gif[p] + 1
        p += 1
    assert gif[p] == 0x2C
    gif[p + 1:p + 3] = offset[0].to_bytes(2, "little")
    gif[p + 3:p + 5] = offset[1].to_bytes(2, "little")
    return bytes(gif)


def main(out_dir):
    fixtures = {
        "offset_frame.gif": patched((40, 30), (5, 7)),
        "offset_frame_transparent.gif": patched((40, 30), (5, 7), transparency=9),
        "frame_past_screen.gif": patched((20, 10), (4, 3)),
    }
    for name, data in fixtures.items():
        with open(f"{out_dir}/{name}", "wb") as f:
            f.write(data)
        image = Image.open(io.BytesIO(data))
        print(name, image.size, image.info.get("transparency"))
        image.convert("RGB").save(f"{out_dir}/{name}.rgb.png")


if __name__ == "__main__":
    main(sys.argv[1])
