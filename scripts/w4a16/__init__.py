"""Tooling to build, verify and benchmark TensorRT-LLM's W4A16 SM90 GEMM.

Data flow, one module (or sub-package) per step:
sources -> patches -> instantiations/build -> gtest (run, parse) -> reference (compare) -> report.
"""

__version__ = "0.1.0"
