"""c* over a plane from the tabulated kernel, against Newton on the 2-D quadrature.

The quadrature kernel itself is checked against mpmath here (where the inner Gaussian is
narrow and off-centre, the case that used to be off by 8e-11) and in test_meanfield.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mp_references import reference, tanh_kernel

from dltheory import activations
from dltheory import kernel as kern
from dltheory import meanfield as mf


def test_kernel_with_a_narrow_off_centre_inner_gaussian_matches_mpmath():
    # q = 32.2, theta = 0.105: sqrt(q (1 - c^2)) = 0.59, just above the Gauss-Hermite
    # switch; the remainder tanh - erf there used to be sampled too coarsely (8.5e-11)
    q, c = 32.1758051, math.cos(0.104957149)
    ref = reference(tanh_kernel, q, q, c, 14)
    assert kern._kernel(c, q, activations.get("tanh"), 0) == pytest.approx(ref, rel=1e-13)


def plane(n):
    sw, sb = np.meshgrid(np.linspace(1.0, 5.0, n), np.linspace(0.0, 4.0, n), indexing="ij")
    return sw.ravel(), sb.ravel()


@pytest.mark.parametrize("name", ["tanh", "gelu"])
def test_c_star_from_the_table_agrees_with_the_quadrature(name, monkeypatch):
    sw, sb = plane(41)
    # tanh: its q*; gelu: a range of explicit finite lengths (its default q* is often inf)
    q = mf.q_star(sw, sb) if name == "tanh" else np.linspace(0.2, 30.0, sw.size)
    built = []
    make = kern._kernel_table_for
    monkeypatch.setattr(kern, "_KTABLE_MIN_POINTS", 200)
    monkeypatch.setattr(kern, "_kernel_table_for", lambda *a: built.append(make(*a)) or built[-1])
    fast = mf.c_star(sw, sb, name, q=q)
    assert len(built) == 1 and built[0] is not None  # the table path was taken
    chaotic = np.flatnonzero(fast < 1)
    rng = np.random.default_rng(5)
    edge = chaotic[np.argsort(fast[chaotic])[-15:]]  # closest to the edge of chaos
    pick = np.concatenate([rng.choice(chaotic, 45, replace=False), edge])
    monkeypatch.setattr(kern, "_KTABLE_MIN_POINTS", 10**9)
    slow = mf.c_star(sw[pick], sb[pick], name, q=q[pick])
    # 1e-11 relative (2e-13 absolute below c* = 0.02), with room for the reference's own tol
    np.testing.assert_allclose(fast[pick], slow, rtol=5e-11, atol=1e-12)
    # and c* is a fixed point of the quadrature C-map
    resid = mf.c_map(fast[pick], sw[pick], sb[pick], name, q=q[pick]) - fast[pick]
    assert np.max(np.abs(resid)) <= 1e-12


def test_kernel_table_checks_itself():
    act = activations.get("tanh")
    table = kern._kernel_table_for(act, np.array([0.05, 40.0]))
    assert table is not None and table.max_abs_error <= 1e-13
    # no table for closed forms or ranges too wide to trust one series over
    assert kern._kernel_table_for(activations.get("erf"), np.array([0.1, 10.0])) is None
    assert kern._kernel_table_for(act, np.array([1e-3, 1e3])) is None
