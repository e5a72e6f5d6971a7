"""Reductions in PyOpenCL, written for Weft's GPU view: a two-stage sum written by hand (each
work-group sums its part in local memory, the host adds the partial sums), then the same sum
with pyopencl's ReductionKernel (which needs Mako: `pip install mako`). Runs on any OpenCL
device (PoCL on the CPU).

    weft run examples/gpu/reduction.py

shows the hand-written kernel, the small copy of the partial sums (a host wait at its line),
and ReductionKernel's own two kernels.
"""
import numpy as np
import pyopencl as cl
import pyopencl.array as cla
from pyopencl.reduction import ReductionKernel

SIZE = 1 << 22
GROUP = 128

ctx = cl.create_some_context(interactive=False)
queue = cl.CommandQueue(ctx)
program = cl.Program(ctx, """
__kernel void partial_sums(__global const float *x, __global float *partial, __local float *scratch) {
    int lid = get_local_id(0);
    scratch[lid] = x[get_global_id(0)];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = get_local_size(0) / 2; step > 0; step /= 2) {
        if (lid < step) scratch[lid] += scratch[lid + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) partial[get_group_id(0)] = scratch[0];
}
""").build()
partial_sums = cl.Kernel(program, "partial_sums")

x = np.ones(SIZE, dtype=np.float32)
mf = cl.mem_flags
x_dev = cl.Buffer(ctx, mf.READ_ONLY, x.nbytes)
cl.enqueue_copy(queue, x_dev, x, is_blocking=False)
groups = SIZE // GROUP
partial_dev = cl.Buffer(ctx, mf.WRITE_ONLY, groups * 4)
partial_sums(queue, (SIZE,), (GROUP,), x_dev, partial_dev, cl.LocalMemory(GROUP * 4))
partial = np.empty(groups, dtype=np.float32)
cl.enqueue_copy(queue, partial, partial_dev)  # blocking: waits for the kernel
by_hand = float(partial.sum())

total = ReductionKernel(ctx, np.float32, neutral="0", reduce_expr="a+b", map_expr="x[i]",
                        arguments="__global const float *x", name="sum_all")
by_library = float(total(cla.to_device(queue, x)).get())
print(f"by hand {by_hand:.0f}, ReductionKernel {by_library:.0f}")
