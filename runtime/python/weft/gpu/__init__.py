"""GPU hooks: one module per GPU API (opencl.py: PyOpenCL), each one row of session.HOOKS."""
