"""Vector adds on an OpenCL queue (PoCL in the tests): N kernel launches, a finish, a blocking
copy back, an event wait and pyopencl.array arithmetic (an elementwise kernel)."""
import numpy as np
import pyopencl as cl
import pyopencl.array as cla

N = 8
ctx = cl.create_some_context(interactive=False)
queue = cl.CommandQueue(ctx)  # QUEUE LINE

prg = cl.Program(ctx, """
__kernel void vadd(__global const float *a, __global const float *b, __global float *c) {
    int i = get_global_id(0);
    c[i] = a[i] + b[i];
}""").build()
vadd = cl.Kernel(prg, "vadd")
a = np.arange(1 << 20, dtype=np.float32)
b = np.ones_like(a)
mf = cl.mem_flags
a_d = cl.Buffer(ctx, mf.READ_ONLY, a.nbytes)
b_d = cl.Buffer(ctx, mf.READ_ONLY, b.nbytes)
c_d = cl.Buffer(ctx, mf.WRITE_ONLY, a.nbytes)
cl.enqueue_copy(queue, a_d, a, is_blocking=False)  # UPLOAD LINE
cl.enqueue_copy(queue, b_d, b, is_blocking=False)
for _ in range(N):
    vadd(queue, a.shape, None, a_d, b_d, c_d)  # LAUNCH LINE
queue.finish()  # FINISH LINE
c = np.empty_like(a)
cl.enqueue_copy(queue, c, c_d)  # COPY BACK LINE
cl.enqueue_fill_buffer(queue, c_d, np.float32(0), 0, a.nbytes).wait()  # FILL LINE
x = cla.to_device(queue, a)
y = (x * 2 + 1).get()  # ARRAY LINE
h_d = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=b)  # HOST PTR LINE
print(float(c.sum()), float(y[:4].sum()))
