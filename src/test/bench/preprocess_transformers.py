#!/usr/bin/env python3
"""transformers baseline for bench-preprocess, on the same encoded pages, right after it on the same machine.

The reference processor as ColPaliProcessor.process_images runs it: PIL decodes the page, .convert("RGB"), then
SiglipImageProcessor resizes to 448x448 (PIL bicubic with antialiasing), rescales by 1/255 and normalises with mean
and std 0.5, channels first. One thread (PIL and numpy as used here are single-threaded). Prints pages/s of the whole
step for the PNG and the JPEG pages, and of PIL's decode alone.

    java ... -jar target/quarkus-app/quarkus-run.jar bench-preprocess --save-pages /tmp/pages
    python src/test/bench/preprocess_transformers.py /tmp/pages [--seconds 5]

Needs transformers, Pillow and numpy (e.g. a virtualenv outside the project; see README, Benchmarks).
"""
import argparse, io, pathlib, statistics, time

import PIL
import transformers
from PIL import Image
from transformers import SiglipImageProcessor

parser = argparse.ArgumentParser()
parser.add_argument("pages", help="directory written by bench-preprocess --save-pages")
parser.add_argument("--seconds", type=float, default=5.0, help="time spent on each measurement")
parser.add_argument("--size", type=int, default=448)
args = parser.parse_args()

processor = SiglipImageProcessor(size={"height": args.size, "width": args.size})  # resample BICUBIC, mean/std 0.5


def preprocess(data):
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return processor(images=[image], return_tensors="np", data_format="channels_first")["pixel_values"]


def decode(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pages_per_second(step, files):
    """Median over rounds of pages/s, each round one pass over all pages; rounds for about --seconds."""
    step(files[0])  # warm-up
    rates, deadline = [], time.perf_counter() + args.seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        t0 = time.perf_counter()
        for data in files:
            step(data)
        rates.append(len(files) / (time.perf_counter() - t0))
    return statistics.median(rates)


directory = pathlib.Path(args.pages)
for suffix, name in ((".png", "PNG"), (".jpg", "JPEG")):
    files = [p.read_bytes() for p in sorted(directory.glob("page-*" + suffix))]
    if not files:
        raise SystemExit(f"no page-*{suffix} in {directory}: run bench-preprocess --save-pages {directory} first")
    shape = preprocess(files[0]).shape
    print(f"transformers {transformers.__version__} SiglipImageProcessor, Pillow {PIL.__version__}: {name} "
          f"{len(files)} pages -> {list(shape[1:])}: {pages_per_second(preprocess, files):.1f} pages/s "
          f"(PIL decode alone {pages_per_second(decode, files):.1f} pages/s)")
