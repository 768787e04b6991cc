"""``python -m benchmarks [--cases ...]``: the side-by-side table of benchmarks/bench.py."""

from benchmarks.bench import main

main()
