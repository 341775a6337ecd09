"""Timing helper shared by the benchmark scripts (run as `python benchmarks/bench_*.py`)."""

import time


def best_of(fn, repeats=5):
    """Best wall time of ``repeats`` calls of ``fn`` (the least disturbed by machine noise)."""
    return best_of_interleaved([fn], repeats)[0]


def best_of_interleaved(fns, repeats=5):
    """Best wall time of each of ``fns``, called in turn ``repeats`` times.

    Interleaving puts a slow spell of a shared machine on every candidate alike, so their
    ratio is fairer than that of two back-to-back ``best_of`` runs.
    """
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best
