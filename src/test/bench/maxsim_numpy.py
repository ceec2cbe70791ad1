#!/usr/bin/env python3
"""numpy baseline for bench-maxsim, run right after it so both see the same machine load.
Same shapes (2,000 pages of 1030x128 fp32, normalised; one 20x128 query), exact MaxSim per page via one
BLAS matmul over all pages ([P*R,128] @ [128,20]) then max over R and sum over the query rows."""
import sys, time
import numpy as np

pages, rows, dim, qrows = 2000, 1030, 128, 20
rng = np.random.default_rng(2026)
D = rng.random((pages, rows, dim), dtype=np.float32) - 0.5
D /= np.linalg.norm(D, axis=2, keepdims=True)
q = rng.random((qrows, dim), dtype=np.float32) - 0.5
q /= np.linalg.norm(q, axis=1, keepdims=True)
flat = D.reshape(pages * rows, dim)

def maxsim():
    return (flat @ q.T).reshape(pages, rows, qrows).max(axis=1).sum(axis=1)

maxsim()
times = []
for _ in range(7):
    t0 = time.perf_counter(); maxsim(); times.append(time.perf_counter() - t0)
times.sort()
t0 = time.perf_counter(); D.sum(); read = time.perf_counter() - t0
print(f"numpy {np.__version__}: {pages / times[3]:,.0f} pages/s (median of 7); sum() read {D.nbytes / read / 1e9:.1f} GB/s")
