"""`w4a16 bench`: every SM90 W4A16 tactic against cuBLAS and this machine's roofline.

Only `torch_baselines`, `sweep` and `binary` (through the bench binary) touch a GPU; the
arithmetic, ranking, report and plots are pure so CI tests them on any machine.
"""
