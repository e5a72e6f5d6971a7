"""Elementwise kernels in PyOpenCL, written for Weft's GPU view: a custom ElementwiseKernel
(a*x + y), pyopencl.array arithmetic (each operator is a generated kernel), a fill, and the
result read back. Runs on any OpenCL device (PoCL on the CPU).

    weft run examples/gpu/elementwise.py

shows one bar per generated kernel at the line that made it, the fill, and the copy back.
"""
import numpy as np
import pyopencl as cl
import pyopencl.array as cla
from pyopencl.elementwise import ElementwiseKernel

SIZE = 1 << 20

ctx = cl.create_some_context(interactive=False)
queue = cl.CommandQueue(ctx)
saxpy = ElementwiseKernel(ctx, "float a, __global const float *x, __global const float *y, __global float *out",
                          "out[i] = a * x[i] + y[i]", "saxpy")

x = cla.to_device(queue, np.arange(SIZE, dtype=np.float32))
y = cla.zeros(queue, SIZE, np.float32)
y.fill(1.0)
out = cla.empty_like(x)
saxpy(np.float32(2.0), x, y, out)
scaled = (out - y) / 2  # two generated kernels
print(f"first {out[:3].get().tolist()}, match {bool(np.allclose(scaled.get(), x.get()))}")
