"""CuPy on a machine without a GPU: the hooked names keep their types and behaviour (the
kernel classes are still CuPy's, a NumPy array passes through asnumpy, a device call fails
with CuPy's own error)."""
import numpy as np
import cupy
import cupy.cuda

k = cupy.RawKernel(r'extern "C" __global__ void f(float* x) { x[threadIdx.x] = 1; }', "f")
e = cupy.ElementwiseKernel("float32 x", "float32 y", "y = x * 2", "double_it")
r = cupy.ReductionKernel("T x", "T y", "x", "a + b", "y = a", "0", "my_sum")
print(type(k).__name__, isinstance(k, cupy._core.raw.RawKernel), k.name, e.name, r.name)
print(type(cupy.cuda.Device(0)).__name__, cupy.cuda.Device(0).id)
print(cupy.asnumpy(np.arange(3)).tolist())
for call in (lambda: cupy.zeros(3), lambda: cupy.cuda.Device(0).synchronize(),
             lambda: cupy.cuda.runtime.deviceSynchronize(), lambda: cupy.asarray(np.arange(3))):
    try:
        call()
        print("ran")
    except Exception as ex:
        print(type(ex).__name__)
