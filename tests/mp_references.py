"""High-precision references (mpmath quadrature and root finding) that take seconds each.

A test asks :func:`reference` for ``fn(*args)``, where ``fn`` is one of the mpmath
computations of this module and ``args`` are plain numbers and names. ``make test`` reads
the value stored for that call in ``tests/fixtures/mpmath_references.json`` instead of
spending about half a minute of CPU on them; the long suite
(``test_stored_mpmath_references_are_reproduced``) recomputes every stored call from
scratch and compares. A value is stored under the call that made it (function and
arguments), so a test whose arguments change never meets a stale number: a call not in
the store is computed (slowly) with a :class:`NotStoredWarning` that says how to store it:

    .venv/bin/python -m pytest -n 0 --store-mpmath <test files>

which computes every reference those tests ask for and adds them to the store.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import mpmath as mp

from dltheory import activations

STORE = Path(__file__).parent / "fixtures" / "mpmath_references.json"

#: set by ``pytest --store-mpmath`` (tests/conftest.py): compute every reference and keep
#: it in :data:`RECORDED`, written to :data:`STORE` at the end of the run
RECORD = False
RECORDED: dict[str, dict] = {}


class NotStoredWarning(UserWarning):
    """A reference was computed because the store has no value for its call."""


# ------------------------------------------------------------ activations in mpmath


def _sigmoid(u):
    return 1 / (1 + mp.exp(-u))


PHI = {
    "tanh": mp.tanh,
    "erf": mp.erf,
    "sigmoid": _sigmoid,
    "softplus": lambda u: mp.log1p(mp.exp(u)),
    "swish": lambda u: u / (1 + mp.exp(-u)),
    "gelu": lambda u: u * mp.ncdf(u),
    "selu": lambda u: (
        activations.SELU_SCALE * (u if u > 0 else activations.SELU_ALPHA * mp.expm1(u))
    ),
    "softsign": lambda u: u / (1 + abs(u)),
    "sin": mp.sin,
}
DPHI = {
    "tanh": lambda u: mp.sech(u) ** 2,
    "sigmoid": lambda u: mp.exp(-u) / (1 + mp.exp(-u)) ** 2,
    "softplus": lambda u: 1 / (1 + mp.exp(-u)),
    "swish": lambda u: (1 + mp.exp(-u) + u * mp.exp(-u)) / (1 + mp.exp(-u)) ** 2,
    "gelu": lambda u: mp.ncdf(u) + u * mp.npdf(u),
    "selu": lambda u: activations.SELU_SCALE * (1 if u > 0 else activations.SELU_ALPHA * mp.exp(u)),
    "softsign": lambda u: 1 / (1 + abs(u)) ** 2,
    "sin": mp.cos,
}
D2PHI = {
    "tanh": lambda u: -2 * mp.tanh(u) * mp.sech(u) ** 2,
    "sigmoid": lambda u: _sigmoid(u) * (1 - _sigmoid(u)) * (1 - 2 * _sigmoid(u)),
    "softplus": lambda u: _sigmoid(u) * (1 - _sigmoid(u)),
    "swish": lambda u: _sigmoid(u) * (1 - _sigmoid(u)) * (2 + u * (1 - 2 * _sigmoid(u))),
    "gelu": lambda u: (2 - u * u) * mp.npdf(u),
    "selu": lambda u: 0 if u > 0 else activations.SELU_SCALE * activations.SELU_ALPHA * mp.exp(u),
    "softsign": lambda u: -2 * mp.sign(u) / (1 + abs(u)) ** 3,
    "sin": lambda u: -mp.sin(u),
}

#: the integrands of :func:`gauss_moment`
MOMENTS = {
    "phi2": lambda name: lambda u: PHI[name](u) ** 2,
    "dphi2": lambda name: lambda u: DPHI[name](u) ** 2,
    # dE[phi^2]/dq = E[phi'^2 + phi phi''] (Gaussian integration by parts)
    "slope": lambda name: lambda u: DPHI[name](u) ** 2 + PHI[name](u) * D2PHI[name](u),
}


# ------------------------------------------------------------------ the computations


def _gauss(f, q, dps=25):
    """E_z[f(sqrt(q) z)], split at 0 (the kinks) and at the transition scale 1/sqrt(q)."""
    with mp.workdps(dps):
        s = mp.sqrt(mp.mpf(q))
        pts = sorted({-mp.inf, -12, -1 / s, 0, 1 / s, 12, mp.inf}) if s > 1 / 12 else None
        return mp.quad(lambda z: f(s * z) * mp.npdf(z), pts or [-mp.inf, 0, mp.inf])


def gauss_moment(name, kind, q):
    """E[phi(u)^2] (``phi2``), E[phi'(u)^2] (``dphi2``) or dE[phi^2]/dq (``slope``),
    u ~ N(0, q), at 25 digits."""
    return _gauss(MOMENTS[kind](name), q)


def fixed_point(name, sw, sb, start):
    """The root of sigma_w^2 E[phi(u)^2] + sigma_b^2 - q nearest ``start`` (findroot)."""
    phi2 = MOMENTS["phi2"](name)
    with mp.workdps(25):
        return mp.findroot(
            lambda q: mp.mpf(sw) ** 2 * _gauss(phi2, q) + mp.mpf(sb) ** 2 - q, mp.mpf(start)
        )


def chi1(name, sw, sb, start):
    """sigma_w^2 E[phi'(u)^2] at the fixed point :func:`fixed_point` finds from ``start``."""
    with mp.workdps(25):
        return mp.mpf(sw) ** 2 * _gauss(MOMENTS["dphi2"](name), fixed_point(name, sw, sb, start))


def kernel(name, q, c, dps=12):
    """E[phi(u1) phi(u2)] for an odd phi, u1, u2 ~ N(0, q) with correlation c.

    In polar coordinates z = r (cos t, sin t): u1 = sqrt(q) r cos t, u2 = sqrt(q) r cos(t -
    theta0), c = cos(theta0). The radial integral is smooth; the angular one is split where
    either argument changes sign (a kink at 0), over [0, pi] only (phi odd: period pi in
    t). For sin, E_w[sin(m + s w)] = sin(m) exp(-s^2/2) leaves a 1-D integral.
    """
    phi = PHI[name]
    with mp.workdps(dps):
        q, c = mp.mpf(q), mp.mpf(c)
        if name == "sin":
            damp = mp.exp(-q * (1 - c * c) / 2)
            return damp * mp.quad(
                lambda z: mp.sin(mp.sqrt(q) * z) * mp.sin(mp.sqrt(q) * c * z) * mp.npdf(z),
                [-mp.inf, 0, mp.inf],
            )
        s, th0 = mp.sqrt(q), mp.acos(c)

        def radial(t):
            a, b = s * mp.cos(t), s * mp.cos(t - th0)
            f = lambda r: r * mp.exp(-r * r / 2) * phi(a * r) * phi(b * r)  # noqa: E731
            return mp.quad(f, [0, 1, mp.inf])

        cuts = sorted({mp.pi / 2, (th0 + mp.pi / 2) % mp.pi})
        return mp.quad(radial, [mp.mpf(0), *cuts, mp.pi]) / mp.pi


def c_star(name, sw, sb, q_start, c_start):
    """The root c* < 1 of (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / q* - c at the fixed
    point q* (:func:`fixed_point` from ``q_start``), bracketed within 1e-5 of ``c_start``
    (a bracketing solver: a secant step past c = 1 would leave the kernel's domain)."""
    with mp.workdps(14):
        q = fixed_point(name, sw, sb, q_start)
        c0 = mp.mpf(c_start)
        return mp.findroot(
            lambda c: (mp.mpf(sw) ** 2 * kernel(name, q, c) + mp.mpf(sb) ** 2) / q - c,
            (c0 * (1 - mp.mpf("1e-5")), c0 * (1 + mp.mpf("1e-5"))),
            solver="illinois",
        )


def tanh_kernel(q1, q2, c, dps=12):
    """E[tanh(u1) tanh(u2)] for u ~ N(0, [[q1, c sqrt(q1 q2)], [., q2]]) by nested mpmath
    quadrature (breakpoints at the transitions)."""
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


#: the computations a stored call may name
FUNCTIONS = {f.__name__: f for f in (gauss_moment, fixed_point, chi1, kernel, c_star, tanh_kernel)}


# ------------------------------------------------------------------------ the store


def _key(name: str, args: tuple) -> str:
    return f"{name}{json.dumps(list(args))}"


_STORED: dict | None = None


def stored() -> dict[str, dict]:
    """Every stored call: key -> {"fn", "args", "value"}."""
    global _STORED
    if _STORED is None:
        _STORED = json.loads(STORE.read_text()) if STORE.exists() else {}
    return _STORED


def compute(entry: dict) -> float:
    """The value of a stored call, recomputed from its function and arguments."""
    return float(FUNCTIONS[entry["fn"]](*entry["args"]))


def reference(fn, *args) -> float:
    """``float(fn(*args))``: the stored value of the call, or computed (with a
    :class:`NotStoredWarning`) when the store has none. ``args`` are numbers and names
    (JSON): floats are stored exactly (their repr)."""
    if FUNCTIONS.get(fn.__name__) is not fn:
        raise ValueError(f"{fn!r} is not one of the computations of {__name__}")
    if not all(isinstance(a, str | int | float) and a is not True for a in args):
        raise TypeError(f"{fn.__name__}{args}: arguments must be numbers or names")
    args = tuple(float(a) if isinstance(a, float) else a for a in args)
    key = _key(fn.__name__, args)
    if RECORD:
        value = float(fn(*args))
        RECORDED[key] = {"fn": fn.__name__, "args": list(args), "value": repr(value)}
        return value
    entry = stored().get(key)
    if entry is None:
        warnings.warn(
            f"{key}: no stored value in {STORE.name}, computed now; store it with "
            "`.venv/bin/python -m pytest -n 0 --store-mpmath <this test file>`",
            NotStoredWarning,
            stacklevel=2,
        )
        return float(fn(*args))
    if not math.isfinite(float(entry["value"])):
        raise AssertionError(f"{STORE.name}: {key} holds {entry['value']}")
    return float(entry["value"])


def write_recorded() -> int:
    """Add the calls computed under ``--store-mpmath`` to the store (sorted keys, so the
    file is the same bytes for the same calls); returns how many were new or changed."""
    current = dict(stored())
    changed = sum(current.get(k) != v for k, v in RECORDED.items())
    current.update(RECORDED)
    text = json.dumps(dict(sorted(current.items())), indent=1) + "\n"
    tmp = STORE.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(STORE)
    return changed
