"""Numba's CUDA target (not the simulator) on a machine without a GPU: importing it works,
a transfer fails with numba's own error. The last line names the module that defines
`cuda.to_device` and `_Kernel.launch` (numba's, or Weft's under the agent)."""
import os

os.environ.pop("NUMBA_ENABLE_CUDASIM", None)

import numpy as np  # noqa: E402
from numba import cuda  # noqa: E402
from numba.cuda import dispatcher  # noqa: E402

print(cuda.is_available())
for call in (lambda: cuda.to_device(np.zeros(3)), lambda: cuda.device_array(3), lambda: cuda.synchronize()):
    try:
        call()
        print("ran")
    except Exception as e:
        print(type(e).__name__)
print(cuda.to_device.__module__, dispatcher._Kernel.launch.__module__)
