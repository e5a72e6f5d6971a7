"""A process that used OpenCL forks a child that never touches it: the child exits as it does
without Weft (the agent must not query its parent's OpenCL objects in it)."""
import os

import numpy as np
import pyopencl as cl

ctx = cl.create_some_context(interactive=False)
queue = cl.CommandQueue(ctx)
a = np.arange(1 << 16, dtype=np.float32)
buf = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, a.nbytes)
cl.enqueue_copy(queue, buf, a, is_blocking=False)
pid = os.fork()
if pid == 0:
    print("child", flush=True)
    raise SystemExit(0)
_, status = os.waitpid(pid, 0)
queue.finish()
print("parent", os.waitstatus_to_exitcode(status))
