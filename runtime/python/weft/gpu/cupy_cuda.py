"""CuPy kernels, copies and host stalls: one row of session.HOOKS, installed when the program
imports `cupy`. Streams are lanes timed by CUDA events (cuda_events.py, with CuPy's
`cupy.cuda.Event`, `Event.done` and `cupy.cuda.get_elapsed_time`).

* Kernels the program defines: `cupy.RawKernel`, `cupy.ElementwiseKernel` and
  `cupy.ReductionKernel` are replaced by subclasses of the same name (CuPy's classes are
  compiled and refuse a patched `__call__`) whose calls are timed launches on the current
  stream: "name<<<grid, block>>>" for a RawKernel, the kernel's name for the others.
* Copies: `cupy.asarray`/`cupy.array` of a NumPy array and `ndarray.set` (host→device),
  `cupy.asnumpy` and `ndarray.get` (device→host: a host stall too unless `blocking=False`),
  `ndarray.item()`/`tolist()` (device→host and a stall).
* Host stalls (gpu_sync): `Stream.synchronize`, `Event.synchronize`, `cupy.cuda.Device(...)
  .synchronize()` (a subclass, as for the kernels) and `cupy.cuda.runtime.deviceSynchronize`.

Not seen: CuPy's built-in operations (`a + b`, `cupy.sum`, ufuncs) launch their kernels from
compiled code that no Python hook reaches; their device time shows only in the stalls that
wait for them. Not verified on a GPU (see the README); on a machine without one, the hook's
installation on CuPy 14.2.0 is tested (test_gpu_cuda_libs.py).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .. import registry
from ..hooks import Patches
from .common import size_text, user_lines
from .cuda_events import CudaApi, Timeline
from .numba_cuda import kernel_label

_is_user = user_lines(("cupy", "cupyx", "cupy_backends", "numpy", "fastrlock"))


class CupyApi(CudaApi):
    lib = "cupy"

    def __init__(self, cupy: Any) -> None:
        self.cuda = cupy.cuda
        self.names: Dict[int, str] = {}

    def device(self) -> Tuple[int, str]:
        runtime = self.cuda.runtime
        i = int(runtime.getDevice())
        name = self.names.get(i)
        if name is None:
            raw = runtime.getDeviceProperties(i).get("name", f"CUDA device {i}")
            name = self.names[i] = (raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)).strip()
        return i, name

    def stream_key(self, stream: Any) -> int:
        if isinstance(stream, int):
            return stream  # 0: the default stream (a device-wide wait)
        s = stream if stream is not None else self.cuda.get_current_stream()
        return int(s.ptr)

    def event(self) -> Any:
        return self.cuda.Event()

    def record(self, evt: Any, stream: Any) -> None:
        evt.record(stream)  # None: the current stream

    def done(self, evt: Any) -> bool:
        return bool(evt.done)

    def elapsed_ms(self, start: Any, end: Any) -> float:
        return float(self.cuda.get_elapsed_time(start, end))


def _nbytes(x: Any) -> Optional[int]:
    try:
        return int(x.nbytes)
    except Exception:
        return None


def _subclass(p: Patches, owner: Any, name: str, members: Dict[str, Any]) -> Any:
    """Replaces `owner.name` by a subclass with `members`, named as the original."""
    base = getattr(owner, name)
    cls = type(base.__name__, (base,), {"__doc__": base.__doc__, **members})
    cls.__qualname__ = base.__qualname__
    cls.__module__ = base.__module__
    p.patch(owner, name, cls)
    return base


def install(p: Patches, cupy: Any) -> None:
    if registry.current is None:
        return
    import numpy

    st = Timeline(CupyApi(cupy), _is_user)
    cuda = cupy.cuda

    # -- kernels ---------------------------------------------------------------------
    raw_base = cupy.RawKernel

    def raw_call(self: Any, grid: Any, block: Any, args: Any, **kwargs: Any) -> Any:
        return st.op("kernel", lambda: kernel_label(str(self.name), grid, block), None, kwargs.get("stream"),
                     lambda: raw_base.__call__(self, grid, block, args, **kwargs))

    _subclass(p, cupy, "RawKernel", {"__call__": raw_call})

    for cls_name in ("ElementwiseKernel", "ReductionKernel"):
        base = getattr(cupy, cls_name, None)
        if base is None:
            continue

        def call(self: Any, *args: Any, _base: Any = base, **kwargs: Any) -> Any:
            return st.op("kernel", lambda: str(self.name), None, kwargs.get("stream"),
                         lambda: _base.__call__(self, *args, **kwargs))

        _subclass(p, cupy, cls_name, {"__call__": call})

    # -- copies ----------------------------------------------------------------------
    ndarray = cupy.ndarray
    for fname in ("asarray", "array"):
        orig = getattr(cupy, fname)

        def to_device(obj: Any, *args: Any, _orig: Any = orig, **kwargs: Any) -> Any:
            if not isinstance(obj, numpy.ndarray):
                return _orig(obj, *args, **kwargs)
            size = _nbytes(obj)
            return st.op("copy", lambda: "host→device" + size_text(size), size, None,
                         lambda: _orig(obj, *args, **kwargs))

        to_device.__doc__ = orig.__doc__
        to_device.__name__ = to_device.__qualname__ = fname
        to_device.__wrapped__ = orig  # type: ignore[attr-defined]
        p.patch(cupy, fname, to_device)

    orig_asnumpy = cupy.asnumpy

    def asnumpy(a: Any, stream: Any = None, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(a, ndarray):
            return orig_asnumpy(a, stream, *args, **kwargs)
        size = _nbytes(a)
        return st.op("copy", lambda: "device→host" + size_text(size), size, stream,
                     lambda: orig_asnumpy(a, stream, *args, **kwargs), blocking=kwargs.get("blocking", True))

    asnumpy.__doc__ = orig_asnumpy.__doc__
    asnumpy.__wrapped__ = orig_asnumpy  # type: ignore[attr-defined]
    p.patch(cupy, "asnumpy", asnumpy)

    orig_get = ndarray.get

    def get(self: Any, stream: Any = None, *args: Any, **kwargs: Any) -> Any:
        size = _nbytes(self)
        return st.op("copy", lambda: "device→host" + size_text(size), size, stream,
                     lambda: orig_get(self, stream, *args, **kwargs), blocking=kwargs.get("blocking", True))

    orig_set = ndarray.set

    def set_(self: Any, arr: Any, stream: Any = None) -> Any:
        size = _nbytes(arr)
        return st.op("copy", lambda: "host→device" + size_text(size), size, stream,
                     lambda: orig_set(self, arr, stream))

    get.__doc__, set_.__doc__ = orig_get.__doc__, orig_set.__doc__
    set_.__name__ = "set"
    p.patch(ndarray, "get", get)
    p.patch(ndarray, "set", set_)

    for mname in ("item", "tolist"):
        orig_m = getattr(ndarray, mname)

        def to_host(self: Any, _orig: Any = orig_m) -> Any:
            size = _nbytes(self)
            return st.op("copy", lambda: "device→host" + size_text(size), size, None,
                         lambda: _orig(self), blocking=True)

        to_host.__doc__ = orig_m.__doc__
        to_host.__name__ = mname
        p.patch(ndarray, mname, to_host)

    # -- host stalls -----------------------------------------------------------------
    for cls in (cuda.Stream, getattr(cuda, "ExternalStream", None)):
        if cls is None:
            continue
        orig_sync = cls.synchronize

        def stream_sync(self: Any, _orig: Any = orig_sync) -> Any:
            return st.stall(self, lambda: _orig(self))

        stream_sync.__doc__ = orig_sync.__doc__
        p.patch(cls, "synchronize", stream_sync)

    orig_evt_sync = cuda.Event.synchronize

    def event_sync(self: Any) -> Any:
        return st.stall(None, lambda: orig_evt_sync(self))

    event_sync.__doc__ = orig_evt_sync.__doc__
    p.patch(cuda.Event, "synchronize", event_sync)

    device_base = cuda.Device

    def device_sync(self: Any) -> Any:
        return st.stall(0, lambda: device_base.synchronize(self))

    _subclass(p, cuda, "Device", {"synchronize": device_sync})

    runtime = cuda.runtime
    orig_dev_sync = runtime.deviceSynchronize

    def deviceSynchronize() -> Any:  # noqa: N802 (CUDA's name)
        return st.stall(0, orig_dev_sync)

    deviceSynchronize.__doc__ = orig_dev_sync.__doc__
    p.patch(runtime, "deviceSynchronize", deviceSynchronize)

    st.install_exit(p)
