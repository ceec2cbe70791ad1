#!/usr/bin/env python3
"""transformers baseline for bench-model, to run right after it on the same machine (same load, same CPU).

The reference implementation, as users run it today: transformers' ColPaliForRetrieval in eager attention, CPU
fp32, random weights of the MEDIUM configuration (src/main/resources/bench/medium-config.json), the same inputs bench-model times:
a batch of 4 pages (1024 image tokens + <bos> + 5 prompt tokens = 1030 per page) and a batch of 8 queries of 25
tokens. Prints pages/s, queries/s and, for scale, torch's fp32 matmul GFLOP/s on the decoder's largest shape.

Needs torch, transformers and numpy (e.g. a virtualenv outside the project; see README, Benchmarks):
    python src/test/bench/forward_transformers.py [--weights DIR] [--pages 4] [--queries 8] [--repeat 3] [--threads 2]
"""
import argparse, json, pathlib, time

import torch
import transformers
from transformers import ColPaliConfig, ColPaliForRetrieval

ROOT = pathlib.Path(__file__).resolve().parents[3]
PROMPT_TAIL = 6  # <bos> + "Describe the image." + "\n", as BenchModelCommand.PROMPT_TAIL

parser = argparse.ArgumentParser()
parser.add_argument("--weights", help="checkpoint directory written by bench-model --save-weights")
parser.add_argument("--config", default=str(ROOT / "src" / "main" / "resources" / "bench" / "medium-config.json"))
parser.add_argument("--pages", type=int, default=4)
parser.add_argument("--queries", type=int, default=8)
parser.add_argument("--query-length", type=int, default=25)
parser.add_argument("--repeat", type=int, default=3)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(2026)

if args.weights:
    model = ColPaliForRetrieval.from_pretrained(args.weights, dtype=torch.float32, attn_implementation="eager")
    config = model.config
else:
    config = ColPaliConfig.from_dict(json.loads(pathlib.Path(args.config).read_text()))
    config.vlm_config._attn_implementation = "eager"
    config.vlm_config.text_config._attn_implementation = "eager"
    config.vlm_config.vision_config._attn_implementation = "eager"
    model = ColPaliForRetrieval(config)
model = model.eval().float()
print(f"attention: {model.config.vlm_config.text_config._attn_implementation} (text), "
      f"{model.config.vlm_config.vision_config._attn_implementation} (vision); weights: {args.weights or 'random init'}")
vlm = config.vlm_config
n = vlm.text_config.num_image_tokens
size = vlm.vision_config.image_size
length = n + PROMPT_TAIL


def median_seconds(step, runs, warmup):
    times = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


ids = torch.randint(3, 203, (args.pages, length))
ids[:, :n] = vlm.image_token_index
ids[:, n] = 2
pixels = torch.rand(args.pages, 3, size, size) * 2 - 1
mask = torch.ones_like(ids)
qids = torch.randint(3, 203, (args.queries, args.query_length))
qids[:, 0] = 2
qmask = torch.ones_like(qids)

# The matmul the forward pass can approach: the decoder's fused gate/up projection of a page batch.
h, inter = vlm.text_config.hidden_size, vlm.text_config.intermediate_size
a, b = torch.rand(args.pages * length, h), torch.rand(h, 2 * inter)
matmul = 2.0 * a.shape[0] * h * 2 * inter / median_seconds(lambda: a @ b, 5, 2) / 1e9

with torch.inference_mode():
    page_s = median_seconds(lambda: model(input_ids=ids, pixel_values=pixels, attention_mask=mask), args.repeat, 1)
    query_s = median_seconds(lambda: model(input_ids=qids, attention_mask=qmask), max(args.repeat, 10), 2)

print(f"transformers {transformers.__version__} eager, torch {torch.__version__}, {torch.get_num_threads()} threads")
print(f"baseline torch fp32 matmul [{a.shape[0]} x {h}] x [{h} x {2 * inter}]: {matmul:.1f} GFLOP/s")
print(f"pages: batch {args.pages}, {page_s:.3f} s/batch, {args.pages / page_s:.2f} pages/s")
print(f"queries: batch {args.queries} x {args.query_length} tokens, {query_s:.4f} s/batch, "
      f"{args.queries / query_s:.1f} queries/s")
