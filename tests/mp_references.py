"""High-precision references (nested mpmath quadrature) that take seconds each.

Each case is computed by :func:`compute` from its arguments in :data:`CASES`; the values
are stored in ``tests/fixtures/mpmath_references.json`` so that ``make test`` reads them
instead of spending half a minute on them, and the long suite
(``test_stored_mpmath_references_are_reproduced``) recomputes every one from scratch and
compares. :func:`stored` refuses a value whose arguments differ from the case's, so an
edited case cannot be checked against a stale number. Regenerate the file with
``.venv/bin/python tests/mp_references.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath as mp

STORE = Path(__file__).parent / "fixtures" / "mpmath_references.json"

#: E[tanh(u1) tanh(u2)] for u ~ N(0, [[q1, c sqrt(q1 q2)], [., q2]]), at ``dps`` digits
CASES = {
    # q1 != q2: the inner Gaussian's width differs from the outer one's
    "tanh_kernel_unequal_lengths": {"q1": 0.5, "q2": 20.0, "c": 0.6, "dps": 12},
    # q = 400: tanh(20 z) is a near step; c = 0.6 puts the inner transition anywhere
    "tanh_kernel_near_step": {"q1": 400.0, "q2": 400.0, "c": 0.6, "dps": 12},
    # sqrt(q (1 - c^2)) = 0.59, just above the Gauss-Hermite switch of the kernel
    "tanh_kernel_narrow_off_centre": {
        "q1": 32.1758051,
        "q2": 32.1758051,
        "c": math.cos(0.104957149),
        "dps": 14,
    },
}


def tanh_kernel(q1, q2, c, dps=12):
    """E[tanh(u1) tanh(u2)] by nested mpmath quadrature (breakpoints at the transitions)."""
    with mp.workdps(dps):
        s1, s2, c = mp.sqrt(q1), mp.sqrt(q2), mp.mpf(c)
        r = mp.sqrt(1 - c * c)

        def inner(z1):
            m, sig = s2 * c * z1, s2 * r
            w0 = -m / sig
            pts = sorted({-mp.inf, -12, w0 - 3 / sig, w0, w0 + 3 / sig, 12, mp.inf})
            if abs(w0) >= 12:
                pts = [-mp.inf, -12, 0, 12, mp.inf]
            return mp.quad(lambda w: mp.tanh(m + sig * w) * mp.npdf(w), pts)

        return mp.quad(
            lambda z: mp.tanh(s1 * z) * inner(z) * mp.npdf(z),
            [-mp.inf, -10, -1 / s1, 0, 1 / s1, 10, mp.inf],
        )


def compute(name: str) -> float:
    return float(tanh_kernel(**CASES[name]))


def stored(name: str) -> float:
    """The stored value of case ``name``; an error if it was made with other arguments."""
    entry = json.loads(STORE.read_text())[name]
    if entry["args"] != CASES[name]:
        raise AssertionError(
            f"{STORE.name}: {name} was computed for {entry['args']}, the case is now "
            f"{CASES[name]}; regenerate it with: .venv/bin/python tests/mp_references.py"
        )
    return float(entry["value"])


def main() -> None:
    values = {name: {"args": args, "value": repr(compute(name))} for name, args in CASES.items()}
    STORE.write_text(json.dumps(values, indent=2) + "\n")
    print(f"wrote {STORE}")


if __name__ == "__main__":
    main()
