"""Tests of the kernel-study tools (w4a16.lab) on the CPU: plans, parsers, models, tables."""
