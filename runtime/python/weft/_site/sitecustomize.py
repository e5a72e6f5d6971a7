"""Loaded by every Python process started below a traced one (the agent puts this folder first
on PYTHONPATH): starts the Weft agent in it, then runs any other sitecustomize as Python would.
An error here must never stop the user's process."""
import os
import sys


def _weft_start() -> None:
    if not os.environ.get("WEFT_OUT"):
        return
    argv = getattr(sys, "orig_argv", None) or []
    if "-m" in argv and "weft" in argv[argv.index("-m") + 1:argv.index("-m") + 2]:
        return  # the launcher's own `python -m weft`: the runner starts the agent itself
    try:
        from weft.session import start_child

        start_child()
    except Exception as e:  # pragma: no cover - the program runs on untraced
        sys.stderr.write(f"weft: could not trace this process: {e!r}\n")


def _chain() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        import importlib.machinery
        import importlib.util

        path = [p for p in sys.path if os.path.abspath(p or ".") != here]
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
    except Exception as e:  # pragma: no cover
        sys.stderr.write(f"weft: the program's sitecustomize failed: {e!r}\n")


_weft_start()
_chain()
