"""Benchmarks a user can rerun; they print their figures. See bench/README.md."""
