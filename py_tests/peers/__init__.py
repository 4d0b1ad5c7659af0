"""Tests of the peer benches' Python side (scripts/w4a16/peers/)."""
