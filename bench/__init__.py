"""Benchmarks of Lemari (run with `lemari bench …`; not part of the test suite)."""
