"""Weft's Python agent: runs a program and records its threads, locks, waits and stacks into
the trace format of runtime/src/format/spec.ts. Standard library only, Python 3.9+.

Modules: cli (command line), runner (the program as __main__), session (wiring), writer
(buffered write-through), clock, registry (ids and interning), locks, primitives, queues,
threads (the hooks), sampler (stacks and CPU clocks), shutdown (the exit routine).
"""
__version__ = "0.1.0"
