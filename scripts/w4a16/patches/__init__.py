"""The patch series that puts our test into a TensorRT-LLM checkout.

Modules, one job each:
upstream (the pin and the excerpt of TensorRT-LLM lines our hunk needs as context),
sources (which cpp_tests/ files ship), unidiff (unified-diff text), series (generate and read
patches/), gitapply (apply/check/revert/status with `git apply`), intree (build our test
inside a configured TensorRT-LLM build), command (the `w4a16 patch` subcommands).
"""
