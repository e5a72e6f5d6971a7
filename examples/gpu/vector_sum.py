"""A PyOpenCL vector sum, written for Weft's GPU view: a hand-written kernel launched a few
times, then the same sum with pyopencl.array (elementwise kernels), with the
copies to and from the device between them. Runs on any OpenCL device; on a machine without
a GPU, `pip install pyopencl pocl-binary-distribution numpy` gives PoCL on the CPU.

    weft run examples/gpu/vector_sum.py

shows the queue as a lane under MainThread with one bar per kernel and copy, arrows from the
launching lines, and the host's waits (finish, the blocking copy back) as gpu_sync.
"""
import numpy as np
import pyopencl as cl
import pyopencl.array as cla

SIZE = 1 << 22
ROUNDS = 10

ctx = cl.create_some_context(interactive=False)
queue = cl.CommandQueue(ctx)
program = cl.Program(ctx, """
__kernel void add(__global const float *a, __global const float *b, __global float *out) {
    int i = get_global_id(0);
    out[i] = a[i] + b[i];
}
""").build()
add = cl.Kernel(program, "add")

a = np.random.default_rng(1).random(SIZE, dtype=np.float32)
b = np.ones_like(a)
mf = cl.mem_flags
a_dev = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=a)
b_dev = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=b)
out_dev = cl.Buffer(ctx, mf.WRITE_ONLY, a.nbytes)

for _ in range(ROUNDS):
    add(queue, a.shape, None, a_dev, b_dev, out_dev)
queue.finish()

out = np.empty_like(a)
cl.enqueue_copy(queue, out, out_dev)  # blocking: the host waits for the copy back

x = cla.to_device(queue, a)
y = cla.to_device(queue, b)
total = (x * 2 + y).get().sum()  # elementwise kernels, then a blocking copy back
print(f"kernel sum {out.sum():.1f}, array sum {float(total):.1f}")
