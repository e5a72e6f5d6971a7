"""Weft's Python agent: runs a program and records its concurrency (stdlib only)."""
__version__ = "0.1.0"
