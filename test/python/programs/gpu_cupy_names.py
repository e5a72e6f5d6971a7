"""Prints whether CuPy's hooked names are the agent's (run under Weft: False, then the module)."""
import cupy
import cupy.cuda

print(cupy.RawKernel is cupy._core.raw.RawKernel, cupy.asnumpy.__module__, cupy.cuda.runtime.deviceSynchronize.__module__)
