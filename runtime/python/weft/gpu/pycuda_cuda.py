"""PyCUDA launches, copies and host stalls: one row of session.HOOKS, installed when the program
imports `pycuda.driver`. Streams are lanes timed by CUDA events (cuda_events.py, with PyCUDA's
`Event`, `Event.query` and `Event.time_since`).

* Launches: `Function.__call__`, `prepared_call` and `prepared_async_call` (Python functions
  that pycuda.driver itself sets on its compiled `Function` class, so they are patched the same
  way), "name<<<grid, block>>>" with the name given to `Module.get_function` (what
  `SourceModule.get_function` and pycuda's elementwise and reduction kernels call).
  `prepared_timed_call` is left alone: it waits for its own events.
* Copies: `memcpy_htod`, `memcpy_dtoh` (also a host stall), their `_async` forms and
  `memcpy_dtod(_async)`; pycuda.gpuarray's `to_gpu`/`get`/`set` reach them through the module,
  so they are copies at the user's line too.
* Host stalls (gpu_sync): `Context.synchronize()`, `Stream.synchronize()`,
  `Event.synchronize()`, and the blocking device→host copy.

Not verified on a GPU, and not installed here (PyCUDA builds against a CUDA toolkit): see the
README. The pure parts (labels, the timeline) are tested with the other CUDA hooks.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .. import registry
from ..hooks import Patches
from .common import size_text, user_lines
from .cuda_events import CudaApi, Timeline
from .numba_cuda import kernel_label

_is_user = user_lines(("pycuda", "pytools", "numpy"))


class PycudaApi(CudaApi):
    lib = "pycuda"

    def __init__(self, drv: Any) -> None:
        self.drv = drv
        self.ids: Dict[str, Tuple[int, str]] = {}

    def device(self) -> Tuple[int, str]:
        dev = self.drv.Context.get_device()
        bus = str(dev.pci_bus_id())
        known = self.ids.get(bus)
        if known is None:
            known = self.ids[bus] = (len(self.ids), str(dev.name()).strip())
        return known

    def stream_key(self, stream: Any) -> int:
        return 0 if stream is None or isinstance(stream, int) else int(stream.handle)

    def event(self) -> Any:
        return self.drv.Event()

    def record(self, evt: Any, stream: Any) -> None:
        evt.record(None if isinstance(stream, int) else stream)

    def done(self, evt: Any) -> bool:
        return bool(evt.query())

    def elapsed_ms(self, start: Any, end: Any) -> float:
        return float(end.time_since(start))


def _nbytes(x: Any) -> Optional[int]:
    try:
        return int(memoryview(x).nbytes)
    except Exception:
        try:
            return int(x.nbytes)
        except Exception:
            return None


def install(p: Patches, drv: Any) -> None:
    if registry.current is None:
        return
    st = Timeline(PycudaApi(drv), _is_user)

    # -- kernel names ----------------------------------------------------------------
    orig_get_function = drv.Module.get_function

    def get_function(self: Any, name: str) -> Any:
        fn = orig_get_function(self, name)
        try:
            fn._weft_name = str(name)
        except Exception:
            pass  # a Function that takes no attribute: its launches read "kernel"
        return fn

    get_function.__doc__ = orig_get_function.__doc__
    p.patch(drv.Module, "get_function", get_function)

    def name_of(fn: Any) -> str:
        return fn.__dict__.get("_weft_name", "kernel") if hasattr(fn, "__dict__") else "kernel"

    # -- launches --------------------------------------------------------------------
    Function = drv.Function
    orig_call = Function.__call__

    def __call__(func: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("time_kernel"):  # synchronous and timed by pycuda itself
            return orig_call(func, *args, **kwargs)
        grid, block = kwargs.get("grid", (1, 1)), kwargs.get("block")
        return st.op("kernel", lambda: kernel_label(name_of(func), grid, block), None, kwargs.get("stream"),
                     lambda: orig_call(func, *args, **kwargs))

    orig_prepared = Function.prepared_call

    def prepared_call(func: Any, grid: Any, block: Any, *args: Any, **kwargs: Any) -> Any:
        return st.op("kernel", lambda: kernel_label(name_of(func), grid, block), None, None,
                     lambda: orig_prepared(func, grid, block, *args, **kwargs))

    orig_async = Function.prepared_async_call

    def prepared_async_call(func: Any, grid: Any, block: Any, stream: Any, *args: Any, **kwargs: Any) -> Any:
        return st.op("kernel", lambda: kernel_label(name_of(func), grid, block), None, stream,
                     lambda: orig_async(func, grid, block, stream, *args, **kwargs))

    for name, fn, orig in (("__call__", __call__, orig_call), ("prepared_call", prepared_call, orig_prepared),
                           ("prepared_async_call", prepared_async_call, orig_async)):
        fn.__doc__ = orig.__doc__
        p.patch(Function, name, fn)

    # -- copies ----------------------------------------------------------------------
    def copy(fname: str, direction: str, host_arg: int, blocking: bool, stream_arg: Optional[int]) -> None:
        orig = getattr(drv, fname, None)
        if orig is None:
            return

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if host_arg >= 0 and len(args) > host_arg:
                size = _nbytes(args[host_arg])
            else:
                size = int(args[2]) if len(args) > 2 else kwargs.get("size")
            stream = kwargs.get("stream")
            if stream is None and stream_arg is not None and len(args) > stream_arg:
                stream = args[stream_arg]
            return st.op("copy", lambda: direction + size_text(size), size, stream,
                         lambda: orig(*args, **kwargs), blocking=blocking)

        wrapper.__doc__ = orig.__doc__
        wrapper.__name__ = wrapper.__qualname__ = fname
        wrapper.__wrapped__ = orig  # type: ignore[attr-defined]
        p.patch(drv, fname, wrapper)

    copy("memcpy_htod", "host→device", 1, False, None)
    copy("memcpy_htod_async", "host→device", 1, False, 2)
    copy("memcpy_dtoh", "device→host", 0, True, None)
    copy("memcpy_dtoh_async", "device→host", 0, False, 2)
    copy("memcpy_dtod", "device→device", -1, False, None)
    copy("memcpy_dtod_async", "device→device", -1, False, 3)

    # -- host stalls -----------------------------------------------------------------
    orig_ctx_sync = drv.Context.synchronize

    def context_synchronize() -> Any:
        return st.stall(0, orig_ctx_sync)

    context_synchronize.__doc__ = orig_ctx_sync.__doc__
    p.patch(drv.Context, "synchronize", staticmethod(context_synchronize))

    orig_stream_sync = drv.Stream.synchronize

    def stream_synchronize(self: Any) -> Any:
        return st.stall(self, lambda: orig_stream_sync(self))

    stream_synchronize.__doc__ = orig_stream_sync.__doc__
    p.patch(drv.Stream, "synchronize", stream_synchronize)

    orig_evt_sync = drv.Event.synchronize

    def event_synchronize(self: Any) -> Any:
        return st.stall(0, lambda: orig_evt_sync(self))

    event_synchronize.__doc__ = orig_evt_sync.__doc__
    p.patch(drv.Event, "synchronize", event_synchronize)

    st.install_exit(p)
