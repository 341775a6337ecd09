r"""Mean-field signal propagation (Poole et al. 2016, Schoenholz et al. 2017).

Notation of the problem sheets: ``W_ij ~ N(0, sigma_w^2 / N)``, ``b_i ~ N(0, sigma_b^2)``;
every function takes the standard deviations ``sigma_w`` and ``sigma_b`` and broadcasts
its array arguments like a ufunc (scalars in, float out). ``rho`` is the dropout keep
probability (1 = no dropout), applied to the activations of every layer.

Length map and its fixed point::

    V(q) = sigma_w^2 / rho * E_z[phi(sqrt(q) z)^2] + sigma_b^2,    q* = V(q*)

where q* is the fixed point the iteration ``q^{l+1} = V(q^l)`` reaches from
``q^0 = sigma_w^2 + sigma_b^2`` (a unit-variance input; any ``q0`` can be given): 0 where
it decays, ``inf`` where it diverges (see :func:`q_star`; gelu, swish and softplus have
two fixed points and the start decides).

Correlation map at length q, by default q* (``u1 = sqrt(q) z1``,
``u2 = sqrt(q) (c z1 + sqrt(1-c^2) z2)``)::

    C(c) = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / V(q)

normalised by ``V(q)`` computed with the same rule, so that without dropout
``C(1) == 1`` exactly in floating point, and with dropout ``C(1) < 1``. It is the
equal-length case of the two-input kernel map (NNGP recursion) :func:`kernel_map`,
``(q1, q2, q12) -> (V(q1), V(q2), sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2)``. At q = 0
and inf it is the limit (q-independent for relu, leaky_relu, abs, linear).

Slopes and depth scales (Schoenholz et al. 2017, eqs. 5, 9, 12)::

    chi_1  = sigma_w^2 E[phi'(u)^2]                       (slope of C at c = 1)
    chi_c* = sigma_w^2 E[phi'(u1) phi'(u2)] at c*          (slope of C at c*)
    chi_q  = sigma_w^2 / rho * E[phi'(u)^2 + phi(u) phi''(u)]   (slope of V at q*)
    xi_q = -1 / log chi_q,   xi_c = -1 / log chi_c*,   xi_grad = -1 / log chi_1

Every function that needs q* takes it as ``q=`` (solved once by the caller); without it
q* is solved again (nothing is cached between calls).

Activations: ``activation=`` is a registered name, ``"leaky_relu:<slope>"``, an
:class:`~dltheory.activations.Activation` or a vectorised numpy callable (numerical
derivatives, see :meth:`~dltheory.activations.Activation.from_function`); it is resolved
once by :func:`dltheory.activations.get` and the object is passed on.

Numerics: closed forms where the activation has them (homogeneous phi: arc-cosine
kernels; erf: arcsine kernel; sin; hard_tanh and selu per-piece Gaussian integrals),
otherwise quadrature, with tables for speed. The implementation lives in four modules,
re-exported here unchanged:

* :mod:`dltheory.quadrature`: quadrature rules, the one-dimensional moments and their
  Chebyshev tables (:func:`gaussian_expectation`);
* :mod:`dltheory.fixed_points`: the length map and its fixed point (:func:`q_map`,
  :func:`q_star`, :func:`chi1`, :func:`chi_q`);
* :mod:`dltheory.kernel`: the two-input kernel and the correlation map
  (:func:`input_kernel`, :func:`kernel_map`, :func:`kernel_layers`, :func:`c_map`,
  :func:`chi_c`, :func:`c_star`);
* :mod:`dltheory.depth`: :func:`depth_scales`, :func:`edge_of_chaos`,
  :func:`critical_sigma_w`, :func:`convergence_depth`.
"""

from __future__ import annotations

from .depth import (
    CRITICAL_TOLERANCE,
    convergence_depth,
    critical_sigma_w,
    depth_scales,
    edge_of_chaos,
    phase,
)
from .fixed_points import ConvergenceWarning, chi1, chi_q, q_map, q_star
from .kernel import c_map, c_star, chi_c, input_kernel, kernel_layers, kernel_map
from .quadrature import gaussian_expectation

__all__ = [
    "CRITICAL_TOLERANCE",
    "ConvergenceWarning",
    "c_map",
    "c_star",
    "chi1",
    "chi_c",
    "chi_q",
    "convergence_depth",
    "critical_sigma_w",
    "depth_scales",
    "edge_of_chaos",
    "gaussian_expectation",
    "input_kernel",
    "kernel_layers",
    "kernel_map",
    "phase",
    "q_map",
    "q_star",
]
