"""`w4a16 lab`: tools for studying the kernels rather than benchmarking a deployment.

Variant experiments, Nsight Compute and SASS profiles, a decode-time model, CUTLASS's
stream-K plan, and the GEMV/CUTLASS crossover. They build on the sweep in `w4a16.bench`;
the sweep never depends on them.
"""
