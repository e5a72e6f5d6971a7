"""Numba CUDA kernels on the simulator (no GPU): transfers, launches of two kernels in a known
order (one with shared memory and syncthreads, whose simulated threads wait on each other),
a copy back and cuda.synchronize()."""
import os

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np  # noqa: E402
from numba import cuda, float32  # noqa: E402

N = 256
BLOCK = 64


@cuda.jit
def vadd(a, b, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = a[i] + b[i]


@cuda.jit
def block_sum(x, out):
    tile = cuda.shared.array(BLOCK, dtype=float32)
    t = cuda.threadIdx.x
    tile[t] = x[cuda.grid(1)]
    cuda.syncthreads()
    step = BLOCK // 2
    while step > 0:
        if t < step:
            tile[t] += tile[t + step]
        cuda.syncthreads()
        step //= 2
    if t == 0:
        out[cuda.blockIdx.x] = tile[0]


a = np.arange(N, dtype=np.float32)
b = np.ones(N, dtype=np.float32)
a_d = cuda.to_device(a)  # UPLOAD LINE
b_d = cuda.to_device(b)
c_d = cuda.device_array(N, dtype=np.float32)  # ALLOC LINE
sums_d = cuda.device_array(N // BLOCK, dtype=np.float32)
vadd[N // BLOCK, BLOCK](a_d, b_d, c_d)  # FIRST LAUNCH LINE
vadd[N // BLOCK, BLOCK](c_d, b_d, c_d)  # SECOND LAUNCH LINE
block_sum[N // BLOCK, BLOCK](c_d, sums_d)  # SUM LAUNCH LINE
vadd[(2, 2), (32, 2)](a_d, b_d, c_d)  # 2D LAUNCH LINE
cuda.synchronize()  # SYNC LINE
sums = sums_d.copy_to_host()  # COPY BACK LINE
print(float(sums.sum()), float(c_d.copy_to_host()[5]))
cuda.stream().synchronize()  # STREAM SYNC LINE
