"""Tests of the benchmark's own logic (no GPU): roofline, ranking, report, plots, plumbing."""
