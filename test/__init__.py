"""Makes test/ a package so `unittest discover -s test/python -t .` can import test.python
(without it, the standard library's own `test` package would be found instead)."""
