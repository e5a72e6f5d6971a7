"""Rebuilds a standard-library function from its own source with a few statements added, so
that it keeps its file name, line numbers and columns (`rebuild`).

Why not a wrapper: a wrapper is one more frame in every traceback that passes through the
function ("Exception in callback" tracebacks pass through `Handle._run`, `QueueEmpty` through
`Queue.get_nowait`), and one more Python call on the hottest path of asyncio. The rebuilt
function is compiled from the lines `linecache` holds for the module (the file the module was
loaded from), inside a class of the owner's name (private names mangle alike), at the same
line numbers and columns. Statements are added only where no traceback can point:

* a prologue: the `def` line moves one line up (only `co_firstlineno` sees it) and the
  prologue takes the `def`'s line;
* `after`: `; stmt` at the end of a one-line statement matching some text, which leaves that
  statement's columns as they were;
* `returns`: `return x` becomes `return helper(self, x)` (a line no exception comes from);
* `before_last`: `stmt; ` before the last statement of the body;
* `blank_before`: `stmt` on the blank line just before a statement matching some text, at
  that statement's indentation (no line moves; no column of the statement changes).

Before the edit, the unmodified lines are compiled the same way and their bytecode must equal
the running function's: if the file on disk is not what was loaded (edited, another version),
nothing is rebuilt and the caller falls back (the hook is left out, with a diagnostic).
Helpers are module globals of the owner's module named `_weft_*` (patched in and out with the
function), so the body's own global lookups stay what they were.
"""
from __future__ import annotations

import ast
import dis
import inspect
import linecache
import types
from typing import Any, Callable, List, Optional


class RebuildError(Exception):
    pass


def _compile(name: str, cls_name: str, lines: List[str], first: int, filename: str, module: Any) -> Any:
    # `first` is the line of the `def` (1-based); the class header goes on the line before it.
    src = "\n" * (first - 2) + f"class {cls_name}:\n" + "".join(lines)
    code = compile(src, filename, "exec", dont_inherit=True)
    ns: dict = {}
    exec(code, vars(module), ns)  # only defines a class; the function keeps the module's globals
    return ns[cls_name].__dict__[name]


def _fingerprint(code: Any) -> tuple:
    """What must agree between the loaded code and the same source compiled again: names,
    constants, variables and the lines that start instructions. (Not the bytes: the compiler
    picks LOAD_ATTR or LOAD_METHOD by what the whole module imports.)"""
    consts = tuple(_fingerprint(c) if hasattr(c, "co_code") else (type(c).__name__, repr(c)) for c in code.co_consts)
    lines = tuple(sorted({line for _, line in dis.findlinestarts(code) if line is not None}))
    return (code.co_name, code.co_names, code.co_varnames, code.co_freevars, code.co_argcount,
            code.co_kwonlyargcount, code.co_flags, consts, lines)


def _source(func: Any) -> "tuple[List[str], int]":
    code = func.__code__
    linecache.checkcache(code.co_filename)
    lines, first = inspect.getsourcelines(func)
    if first < 3 or not lines:
        raise RebuildError("no room before the def")
    head = lines[0]
    if not head.startswith("    def ") and not head.startswith("    async def "):
        raise RebuildError("not a plain method (decorated, or nested)")
    return list(lines), first


def rebuild(owner: type, name: str, module: Any, *, prologue: Optional[str] = None,
            after: Optional["tuple[str, str]"] = None, returns: Optional[str] = None,
            before_last: Optional[str] = None, blank_before: Optional["tuple[str, str]"] = None) -> Any:
    """The method `owner.name` rebuilt with the statements added (see the module docstring).
    Raises RebuildError when it cannot be done safely."""
    func = owner.__dict__[name]
    if not isinstance(func, types.FunctionType):
        raise RebuildError(f"{owner.__name__}.{name} is not a Python function")
    try:
        lines, first = _source(func)
    except (OSError, TypeError) as e:
        raise RebuildError(f"no source: {e!r}") from None
    filename = func.__code__.co_filename
    same = _compile(name, owner.__name__, lines, first, filename, module)
    if _fingerprint(same.__code__) != _fingerprint(func.__code__):
        raise RebuildError("the source on disk is not the loaded code")
    tree = ast.parse("".join(["class _C:\n"] + lines))
    fdef = tree.body[0].body[0]  # type: ignore[attr-defined]
    body = fdef.body
    # Edits by (line index in `lines`, column): applied right to left so offsets hold. The
    # tree's lines are `lines` shifted by one (the class line); columns are byte offsets,
    # which equal character offsets in the ASCII standard library.
    edits: List["tuple[int, int, str]"] = []

    def at(node: ast.AST) -> "tuple[int, int, int, int]":
        return node.lineno - 2, node.col_offset, node.end_lineno - 2, node.end_col_offset  # type: ignore[attr-defined, operator]

    if after is not None:
        text, stmt = after
        hits = 0
        for node in ast.walk(fdef):
            if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and not hasattr(node, "body") and ast.unparse(node) == text:
                l0, _, l1, c1 = at(node)
                rest = lines[l1][c1:].strip()
                if l0 != l1 or (rest and not rest.startswith("#")):
                    raise RebuildError(f"{text!r} is not alone on its line")
                edits.append((l1, c1, f"; {stmt}"))
                hits += 1
        if not hits:
            raise RebuildError(f"no {text!r} in {owner.__name__}.{name}")
    if returns is not None:
        hits = 0
        for node in ast.walk(fdef):
            if isinstance(node, ast.Return) and node.value is not None:
                l0, c0, l1, c1 = at(node.value)
                if l0 != l1:
                    raise RebuildError("a return over several lines")
                edits.append((l0, c1, ")"))
                edits.append((l0, c0, f"{returns}(self, "))
                hits += 1
        if not hits:
            raise RebuildError("no return")
    if before_last is not None:
        last = body[-1]
        if hasattr(last, "body"):
            raise RebuildError("the last statement is compound")
        l0, c0, _, _ = at(last)
        edits.append((l0, c0, f"{before_last}; "))
    if blank_before is not None:
        text, stmt = blank_before
        hits = 0
        for node in ast.walk(fdef):
            if isinstance(node, ast.stmt) and not hasattr(node, "body") and ast.unparse(node) == text:
                l0, c0, _, _ = at(node)
                if l0 < 1 or lines[l0 - 1].strip():
                    raise RebuildError(f"no blank line before {text!r}")
                lines[l0 - 1] = " " * c0 + stmt + "\n"
                hits += 1
        if hits != 1:
            raise RebuildError(f"{hits} statements {text!r} in {owner.__name__}.{name}")
    for li, col, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        s = lines[li]
        lines[li] = s[:col] + text + s[col:]
    if prologue is not None:
        indent = " " * (fdef.body[0].col_offset)
        # The def moves up one line; the prologue takes its line. Only one-line defs.
        if fdef.body[0].lineno - 2 < 1 and fdef.lineno == fdef.body[0].lineno:
            raise RebuildError("one-line def")
        if not lines[0].split("#")[0].rstrip().endswith(":"):
            raise RebuildError("the def spans several lines")
        lines.insert(1, indent + prologue + "\n")
        first -= 1
    new = _compile(name, owner.__name__, lines, first, filename, module)
    new.__qualname__ = func.__qualname__
    new.__doc__ = func.__doc__
    new.__module__ = func.__module__
    new.__defaults__ = func.__defaults__
    new.__kwdefaults__ = func.__kwdefaults__
    new.__annotations__ = dict(getattr(func, "__annotations__", {}))
    return new


def helpers(h: Any, module: Any, names: "dict[str, Callable[..., Any]]") -> None:
    """Puts the rebuilt functions' helpers into `module` as `_weft_<name>` (undone with `h`)."""
    for k, v in names.items():
        h.patch(module, f"_weft_{k}", v)
