"""Timing helper shared by the benchmark scripts (run as `python benchmarks/bench_*.py`)."""

import time


def best_of(fn, repeats=5):
    """Best wall time of ``repeats`` calls of ``fn`` (the least disturbed by machine noise)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
