"""Timing helpers shared by the benchmark scripts (run as `python benchmarks/bench_*.py`)."""

import time


def best_of(fn, repeats=5):
    """Best wall time of ``repeats`` calls of ``fn`` (the least disturbed by machine noise)."""
    return best_of_interleaved([fn], repeats)[0]


def interleaved_times(fns, repeats):
    """Per repeat, the (CPU time of this process, wall time) of each of ``fns``, called in turn.

    Interleaving puts a slow spell of a shared machine on every candidate alike, so their
    ratio is fairer than that of back-to-back runs.
    """
    rounds = []
    for _ in range(repeats):
        row = []
        for fn in fns:
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            row.append((time.process_time() - c0, time.perf_counter() - w0))
        rounds.append(row)
    return rounds


def best_of_interleaved(fns, repeats=5):
    """Best wall time of each of ``fns``, called in turn ``repeats`` times."""
    rounds = interleaved_times(fns, repeats)
    return [min(row[i][1] for row in rounds) for i in range(len(fns))]
