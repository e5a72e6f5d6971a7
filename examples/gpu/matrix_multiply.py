"""Matrix multiply in PyOpenCL, written for Weft's GPU view: a naive kernel and a tiled one
(local memory, barriers) over the same matrices, each launched a few times, checked against
NumPy. Runs on any OpenCL device (PoCL on the CPU: `pip install pyopencl
pocl-binary-distribution numpy`).

    weft run examples/gpu/matrix_multiply.py

shows the two kernels side by side on the queue lane (the tiled one is the shorter bar on a
real GPU), the uploads before them and the blocking copy back after.
"""
import numpy as np
import pyopencl as cl

N = 128
TILE = 16
ROUNDS = 3

SOURCE = """
__kernel void matmul_naive(const int n, __global const float *a, __global const float *b, __global float *c) {
    int row = get_global_id(1), col = get_global_id(0);
    float acc = 0.0f;
    for (int k = 0; k < n; k++) acc += a[row * n + k] * b[k * n + col];
    c[row * n + col] = acc;
}

#define TILE %d
__kernel void matmul_tiled(const int n, __global const float *a, __global const float *b, __global float *c) {
    __local float ta[TILE][TILE], tb[TILE][TILE];
    int lr = get_local_id(1), lc = get_local_id(0);
    int row = get_global_id(1), col = get_global_id(0);
    float acc = 0.0f;
    for (int t = 0; t < n / TILE; t++) {
        ta[lr][lc] = a[row * n + t * TILE + lc];
        tb[lr][lc] = b[(t * TILE + lr) * n + col];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TILE; k++) acc += ta[lr][k] * tb[k][lc];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    c[row * n + col] = acc;
}
""" % TILE

ctx = cl.create_some_context(interactive=False)
queue = cl.CommandQueue(ctx)
program = cl.Program(ctx, SOURCE).build()
naive = cl.Kernel(program, "matmul_naive")
tiled = cl.Kernel(program, "matmul_tiled")

rng = np.random.default_rng(2)
a = rng.random((N, N), dtype=np.float32)
b = rng.random((N, N), dtype=np.float32)
mf = cl.mem_flags
a_dev = cl.Buffer(ctx, mf.READ_ONLY, a.nbytes)
b_dev = cl.Buffer(ctx, mf.READ_ONLY, b.nbytes)
c_dev = cl.Buffer(ctx, mf.WRITE_ONLY, a.nbytes)
cl.enqueue_copy(queue, a_dev, a, is_blocking=False)
cl.enqueue_copy(queue, b_dev, b, is_blocking=False)

for _ in range(ROUNDS):
    naive(queue, (N, N), None, np.int32(N), a_dev, b_dev, c_dev)
for _ in range(ROUNDS):
    tiled(queue, (N, N), (TILE, TILE), np.int32(N), a_dev, b_dev, c_dev)

c = np.empty_like(a)
cl.enqueue_copy(queue, c, c_dev)  # blocking: waits for all six kernels
print(f"max error {float(np.abs(c - a @ b).max()):.4f}")
