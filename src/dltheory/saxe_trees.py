r"""Hierarchical data of Saxe et al. 2014: features diffusing down a tree.

Exercise 2 (hierarchical data): :func:`diffuse_tree` samples F independent binary features
on the leaves of a tree of depth D and branching B (root +-1, each child copies its parent
and flips sign with probability epsilon); items are one-hot, so :math:`\Sigma^x = X^T X = I`
and :math:`\Sigma^{yx} = Y^T X = Y^T`. Nearby leaves share more of their ancestry, hence the
singular modes of :math:`\Sigma^{yx}` are the tree's levels (root mode largest, then one
mode per internal node's split); at epsilon = 0.5 every flip is a fair coin, the features are
independent across leaves and all hierarchical structure vanishes (a flat spectrum of a
random +-1 matrix).
"""

from __future__ import annotations

import numpy as np

from .saxe_dynamics import _check_positive

__all__ = [
    "diffuse_tree",
    "tree_covariance",
    "tree_singular_values",
    "tree_spectrum",
    "tree_statistics",
]


def diffuse_tree(depth=3, branching=4, n_features=100, epsilon=0.05, seed=0):
    """Hierarchical binary data (the skeleton's ``DiffuseTreeSampler``).

    For each of ``n_features`` independent features, the root of a tree of depth ``depth``
    and branching ``branching`` takes +1 or -1 with equal probability; every child copies its
    parent's value and flips its sign with probability ``epsilon``; the ``branching**depth``
    leaves are the items. Returns ``(X, Y)``: one-hot items ``X = I`` (items x items) and the
    targets ``Y`` (items x features, entries +-1, float64). ``epsilon = 0.5`` destroys all
    structure (leaves independent fair coins).
    """
    _check_positive("depth", depth, integer=True)
    _check_positive("branching", branching, integer=True)
    _check_positive("n_features", n_features, integer=True)
    if not 0.0 <= epsilon <= 0.5:
        raise ValueError(f"epsilon must be in [0, 0.5], got {epsilon!r}")
    if branching < 2:
        raise ValueError(f"branching must be >= 2, got {branching}")
    rng = np.random.default_rng(seed)
    values = rng.choice(np.array([-1.0, 1.0]), size=(1, n_features))
    for _ in range(depth):
        values = np.repeat(values, branching, axis=0)
        flips = rng.random(values.shape) < epsilon
        values = np.where(flips, -values, values)
    n_items = branching**depth
    return np.eye(n_items), values


def tree_statistics(depth, branching, n_features, epsilon, seed=0):
    """Empirical flip rate per level edge and the expected one, ``(observed, epsilon)``.

    Re-samples the whole tree (all levels) with the same generator as :func:`diffuse_tree`
    and counts parent-child sign changes over every edge.
    """
    rng = np.random.default_rng(seed)
    values = rng.choice(np.array([-1.0, 1.0]), size=(1, n_features))
    changes = edges = 0
    for _ in range(depth):
        parents = np.repeat(values, branching, axis=0)
        flips = rng.random(parents.shape) < epsilon
        values = np.where(flips, -parents, parents)
        changes += int(np.sum(values != parents))
        edges += parents.size
    return changes / edges, epsilon


def tree_covariance(depth, branching, epsilon):
    r"""Exact item-item correlation :math:`C_{ij} = E[y_i y_j]` of one tree feature.

    :math:`C_{ij} = (1-2\epsilon)^{2m}`, m the height of the lowest common ancestor of leaves
    i and j (0 on the diagonal; the root's sign is a fair coin). ``E[Y Y^T] = F C``.
    """
    n = branching**depth
    idx = np.arange(n)
    height = np.zeros((n, n), dtype=int)
    for m in range(1, depth + 1):
        block = idx // branching**m
        height = np.where(
            (block[:, None] == block[None, :]) & (height == 0) & (idx[:, None] != idx[None, :]),
            m,
            height,
        )
    return (1.0 - 2.0 * epsilon) ** (2 * height)


def tree_spectrum(depth, branching, epsilon):
    r"""Eigenvalues of :func:`tree_covariance` in closed form, by tree level.

    With :math:`c_m = (1-2\epsilon)^{2m}` (:math:`c_{D+1} = 0`), :math:`C = \sum_{j=0}^{D}
    (c_j - c_{j+1}) A_j`, where :math:`A_j` joins the leaves below each node of height j
    (eigenvalue :math:`B^j` on vectors constant within those blocks, else 0). A *level-m*
    mode (constant below each height-(m-1) node, summing to zero below each height-m node)
    therefore has

    .. math:: \lambda_m = \sum_{j=0}^{m-1} (c_j - c_{j+1}) B^j,
       \quad \text{multiplicity } (B-1) B^{D-m}, \quad m = 1..D,

    and the root (constant) mode :math:`\lambda_{D+1} = \sum_{j=0}^{D} (c_j - c_{j+1}) B^j`.
    Returns ``(levels, eigenvalues, multiplicities)`` ordered root first; the singular values
    of :math:`\Sigma^{yx} = Y^T` concentrate at :math:`\sqrt{F \lambda}` for many features.
    At epsilon = 0.5 every :math:`\lambda = 1`: a flat spectrum, no hierarchy.
    """
    _check_positive("depth", depth, integer=True)
    if branching < 2:
        raise ValueError(f"branching must be >= 2, got {branching}")
    c = (1.0 - 2.0 * epsilon) ** (2 * np.arange(depth + 2, dtype=float))
    c[-1] = 0.0
    terms = (c[:-1] - c[1:]) * float(branching) ** np.arange(depth + 1)
    levels = np.arange(depth + 1, 0, -1)  # D+1 (root), D, ..., 1 (leaf pairs)
    lam = np.array([terms[:m].sum() for m in levels])
    mult = np.array([1] + [(branching - 1) * branching ** (depth - m) for m in levels[1:]])
    return levels, lam, mult


def tree_singular_values(depth, branching, n_features, epsilon):
    """Expected singular values sqrt(F lambda) of Sigma_yx, each repeated by multiplicity."""
    _, lam, mult = tree_spectrum(depth, branching, epsilon)
    return np.repeat(np.sqrt(n_features * lam), mult)
