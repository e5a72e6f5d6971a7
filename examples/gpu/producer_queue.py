"""A producer thread feeding a GPU queue while the host waits, written for Weft's GPU view: the
producer makes batches on the CPU, uploads each and launches a kernel on it without waiting;
the main thread waits for the queue to drain (finish) and then reads every result back.

    weft run examples/gpu/producer_queue.py

shows the queue lane under the thread that made it, the producer's launches (arrows from its
lines, with the queueing gap in the hover), and the main thread's gpu_sync waits at finish and
at the copies back. Runs on any OpenCL device (PoCL on the CPU).
"""
import threading
import queue as host_queue

import numpy as np
import pyopencl as cl

BATCHES = 8
SIZE = 1 << 18

ctx = cl.create_some_context(interactive=False)
gpu = cl.CommandQueue(ctx)
program = cl.Program(ctx, """
__kernel void square(__global float *x) {
    int i = get_global_id(0);
    for (int k = 0; k < 64; k++) x[i] = x[i] * 0.5f + 1.0f;
}
""").build()
square = cl.Kernel(program, "square")
done = host_queue.Queue()


def produce() -> None:
    rng = np.random.default_rng(3)
    mf = cl.mem_flags
    for n in range(BATCHES):
        batch = rng.random(SIZE, dtype=np.float32)  # CPU work between launches
        buf = cl.Buffer(ctx, mf.READ_WRITE, batch.nbytes)
        cl.enqueue_copy(gpu, buf, batch, is_blocking=False)
        square(gpu, batch.shape, None, buf)
        done.put((n, buf, batch))
    done.put(None)


producer = threading.Thread(target=produce, name="producer")
producer.start()
buffers = []
while (item := done.get()) is not None:
    buffers.append(item)
producer.join()
gpu.finish()  # the host waits for the queue to drain
out = np.empty(SIZE, dtype=np.float32)
total = 0.0
for n, buf, batch in buffers:
    cl.enqueue_copy(gpu, out, buf)  # blocking copy back
    total += float(out[0])
print(f"{len(buffers)} batches, first values sum {total:.2f}")
