"""Vector add with Numba CUDA, written for Weft's GPU view. Without a GPU it runs on Numba's
CUDA simulator (this file sets NUMBA_ENABLE_CUDASIM=1 unless the environment chose): kernels
then run on the CPU inside the launching call, one Python thread per CUDA thread, which Weft
keeps off the thread lanes (they are the kernel's bar).

    weft run examples/gpu/numba_vector_add.py

shows the default stream as a lane with the uploads, three launches of `vector_add`, the
synchronize and the copy back (host waits at their lines).
"""
import os

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np  # noqa: E402
from numba import cuda  # noqa: E402

SIZE = 1024
THREADS = 128


@cuda.jit
def vector_add(a, b, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = a[i] + b[i]


a = cuda.to_device(np.arange(SIZE, dtype=np.float32))
b = cuda.to_device(np.ones(SIZE, dtype=np.float32))
out = cuda.device_array(SIZE, dtype=np.float32)
blocks = (SIZE + THREADS - 1) // THREADS
for _ in range(3):
    vector_add[blocks, THREADS](a, b, out)
cuda.synchronize()
result = out.copy_to_host()
print(f"sum {float(result.sum()):.0f}")
