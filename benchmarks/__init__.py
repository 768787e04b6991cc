"""Timing minigan against PyTorch, outside the package: ``python -m benchmarks`` from a checkout (see bench.py)."""
