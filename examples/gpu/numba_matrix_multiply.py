"""Matrix multiply with Numba CUDA, written for Weft's GPU view: a naive kernel and a tiled
one (shared memory, syncthreads), on Numba's CUDA simulator without a GPU (this file sets
NUMBA_ENABLE_CUDASIM=1 unless the environment chose). The simulator runs one Python thread per
CUDA thread, and the tiled kernel's threads wait for each other at every syncthreads: Weft
shows none of them as lanes or waits, only each launch's bar on the stream.

    weft run examples/gpu/numba_matrix_multiply.py
"""
import os

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np  # noqa: E402
from numba import cuda, float32  # noqa: E402

N = 32
TILE = 8


@cuda.jit
def matmul_naive(a, b, c):
    row, col = cuda.grid(2)
    if row < c.shape[0] and col < c.shape[1]:
        acc = 0.0
        for k in range(a.shape[1]):
            acc += a[row, k] * b[k, col]
        c[row, col] = acc


@cuda.jit
def matmul_tiled(a, b, c):
    ta = cuda.shared.array((TILE, TILE), dtype=float32)
    tb = cuda.shared.array((TILE, TILE), dtype=float32)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    row, col = cuda.grid(2)
    acc = 0.0
    for t in range(a.shape[1] // TILE):
        ta[tx, ty] = a[row, t * TILE + ty]
        tb[tx, ty] = b[t * TILE + tx, col]
        cuda.syncthreads()
        for k in range(TILE):
            acc += ta[tx, k] * tb[k, ty]
        cuda.syncthreads()
    c[row, col] = acc


rng = np.random.default_rng(4)
a_host = rng.random((N, N), dtype=np.float32)
b_host = rng.random((N, N), dtype=np.float32)
a = cuda.to_device(a_host)
b = cuda.to_device(b_host)
c = cuda.device_array((N, N), dtype=np.float32)
grid = (N // TILE, N // TILE)
matmul_naive[grid, (TILE, TILE)](a, b, c)
naive = c.copy_to_host()
matmul_tiled[grid, (TILE, TILE)](a, b, c)
cuda.synchronize()
tiled = c.copy_to_host()
expected = a_host @ b_host
print(f"naive error {float(np.abs(naive - expected).max()):.4f}, tiled error {float(np.abs(tiled - expected).max()):.4f}")
