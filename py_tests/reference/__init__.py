"""Tests of the torch reference, the case-file contract and the error model."""
