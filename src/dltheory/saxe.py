r"""Learning dynamics of deep linear networks (Saxe, McClelland & Ganguli 2014).

Exercise 1 (the 7x4 toy task): forward-Euler integration of the gradient-flow equations

.. math::

    \tau \dot W^1 = W^{2T}(\Sigma^{yx} - W^2 W^1 \Sigma^x), \qquad
    \tau \dot W^2 = (\Sigma^{yx} - W^2 W^1 \Sigma^x) W^{1T}, \qquad
    \tau \dot W^s = \Sigma^{yx} - W^s \Sigma^x,

one Euler update being :math:`W \leftarrow W + (\Delta t/\tau)\,\tau\dot W`, so that T time
units are :math:`T/\Delta t` updates (the sheet: dt = 0.1, tau = 1/eta = 2.5, T = 15, 150
updates, i.e. a step of :math:`\eta\Delta t = 0.04` on the gradient). For whitened inputs and
a *decoupled* initialisation (the product already diagonal in the singular vectors of
:math:`\Sigma^{yx} = U S V^T`, and balanced layers) every mode evolves on its own:

.. math::

    a_\alpha(t) = \frac{s_\alpha e^{2 s_\alpha t/\tau}}{e^{2 s_\alpha t/\tau} - 1
    + s_\alpha/a^0_\alpha}, \qquad
    b_\alpha(t) = s_\alpha(1 - e^{-t/\tau}) + b^0_\alpha e^{-t/\tau}.

A mode of the one-hidden-layer net is half learnt at :math:`t_{1/2} = \frac{\tau}{2 s}
\ln(s/a^0 - 1)`: larger singular values are learnt first and sigmoidally (stage-like
transitions); the shallow net learns every mode on the same time scale tau. For a chain of
:math:`N_l` weight matrices with balanced decoupled modes :math:`a = u^{N_l}`,

.. math::

    \tau \dot a = N_l\, a^{2 - 2/N_l} (s - a),

whose half-learning time :func:`learning_time` integrates numerically (closed form for
:math:`N_l = 1, 2`).

Exercise 2 (hierarchical data): :func:`diffuse_tree` samples F independent binary features
on the leaves of a tree of depth D and branching B (root +-1, each child copies its parent
and flips sign with probability epsilon); items are one-hot, so :math:`\Sigma^x = X^T X = I`
and :math:`\Sigma^{yx} = Y^T X = Y^T`. Nearby leaves share more of their ancestry, hence the
singular modes of :math:`\Sigma^{yx}` are the tree's levels (root mode largest, then one
mode per internal node's split); at epsilon = 0.5 every flip is a fair coin, the features are
independent across leaves and all hierarchical structure vanishes (a flat spectrum of a
random +-1 matrix).

Networks: :class:`DeepNet` is the plain PyTorch model (optional ReLU after each hidden
layer) trained by :func:`train_reference`, the sheet's loop (shuffle each epoch, one sample
per step, ``MSELoss``, ``zero_grad``/``backward``/``step`` of ``SGD``). :func:`train_fast`
runs the same update sequence for a whole batch of networks (seeds x variants) with manual
forward/backward passes on stacked weights (``torch.bmm``), in float64, from the same
initial weights and the same pre-drawn shuffles (:func:`epoch_orders`).

With ``MSELoss`` (mean over the F outputs) one SGD step is
:math:`W \leftarrow W - \eta\,\frac{2}{F}\,\partial_W \tfrac12\lVert \hat y - y\rVert^2`, so an
epoch over the N one-hot items approximates gradient flow with
:math:`\tau = F/(2\eta)` epochs per unit time (:func:`tau_epochs`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from scipy import integrate
from scipy.linalg import blas
from threadpoolctl import threadpool_limits

__all__ = [
    "SIGMA_X",
    "SIGMA_YX",
    "DeepNet",
    "analytic_deep",
    "analytic_shallow",
    "decoupled_init",
    "depth_experiment",
    "diffuse_tree",
    "epoch_orders",
    "euler_deep",
    "euler_shallow",
    "exercise1",
    "gaussian_init",
    "gradient_flow_lr_limit",
    "half_time",
    "largest_stable_lr",
    "learning_time",
    "mode_projection",
    "net_map",
    "singular_values",
    "tau_epochs",
    "train_fast",
    "train_reference",
    "tree_covariance",
    "tree_experiment",
    "tree_singular_values",
    "tree_spectrum",
    "tree_statistics",
]

#: The sheet's input-output correlation (7 outputs x 4 inputs) and whitened inputs.
SIGMA_YX = np.array(
    [
        [1, 1, 1, 1],
        [1, 1, 0, 0],
        [0, 0, 1, 1],
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
    ],
    dtype=float,
)
SIGMA_X = np.eye(4)


def _check_positive(name, value, integer=False):
    if integer and (not isinstance(value, (int, np.integer)) or isinstance(value, bool)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def _check_moments(sigma_yx, sigma_x):
    sigma_yx = np.asarray(sigma_yx, dtype=float)
    sigma_x = np.asarray(sigma_x, dtype=float)
    if sigma_yx.ndim != 2:
        raise ValueError(f"sigma_yx must be a 2-d (outputs x inputs) matrix, got {sigma_yx.shape}")
    n_in = sigma_yx.shape[1]
    if sigma_x.shape != (n_in, n_in):
        raise ValueError(f"sigma_x must be ({n_in}, {n_in}) to match sigma_yx, got {sigma_x.shape}")
    return sigma_yx, sigma_x


def singular_values(mat):
    """Singular values (descending) of a matrix or a stack of matrices (last two axes)."""
    return np.linalg.svd(np.asarray(mat, dtype=float), compute_uv=False)


def _euler(sigma_yx, sigma_x, dt, tau, steps, deep, hidden, init_var, seed):
    sigma_yx, sigma_x = _check_moments(sigma_yx, sigma_x)
    for name, val in (("dt", dt), ("tau", tau), ("init_var", init_var)):
        _check_positive(name, val)
    _check_positive("steps", steps, integer=True)
    n_out, n_in = sigma_yx.shape
    rng = np.random.default_rng(seed)
    std = math.sqrt(init_var)
    h = dt / tau
    out = np.empty((steps + 1, min(n_out, n_in)))
    if deep:
        _check_positive("hidden", hidden, integer=True)
        w1 = rng.normal(0.0, std, (hidden, n_in))
        w2 = rng.normal(0.0, std, (n_out, hidden))
        out[0] = singular_values(w2 @ w1)
        for k in range(steps):
            err = sigma_yx - w2 @ w1 @ sigma_x
            w1, w2 = w1 + h * (w2.T @ err), w2 + h * (err @ w1.T)
            out[k + 1] = singular_values(w2 @ w1)
    else:
        w = rng.normal(0.0, std, (n_out, n_in))
        out[0] = singular_values(w)
        for k in range(steps):
            w = w + h * (sigma_yx - w @ sigma_x)
            out[k + 1] = singular_values(w)
    return out


def euler_deep(sigma_yx, sigma_x, hidden=16, dt=0.1, tau=2.5, steps=150, init_var=0.01, seed=0):
    """Forward-Euler integration of equations (1)-(2) (one hidden layer of ``hidden`` units).

    ``W1`` (hidden x n_in) and ``W2`` (n_out x hidden) start i.i.d. N(0, init_var) from
    ``numpy.random.default_rng(seed)``; both are updated simultaneously by
    ``W += (dt/tau) * (tau dW/dt)``. Returns the singular values of ``W2 W1`` (descending),
    shape (steps + 1, min(n_out, n_in)), row k at time k dt (row 0: the initial product).
    """
    return _euler(sigma_yx, sigma_x, dt, tau, steps, True, hidden, init_var, seed)


def euler_shallow(sigma_yx, sigma_x, dt=0.1, tau=2.5, steps=150, init_var=0.01, seed=0):
    """Forward-Euler integration of equation (3); same conventions as :func:`euler_deep`."""
    return _euler(sigma_yx, sigma_x, dt, tau, steps, False, None, init_var, seed)


def analytic_deep(t, s, a0, tau):
    r"""Equation (4): :math:`a(t) = s e^{2st/\tau} / (e^{2st/\tau} - 1 + s/a_0)`, broadcast.

    Written as :math:`s / (1 + (s/a_0 - 1) e^{-2st/\tau})` to avoid overflow at large t.
    """
    t, s, a0 = np.asarray(t, float), np.asarray(s, float), np.asarray(a0, float)
    if np.any(a0 <= 0):
        raise ValueError("a0 must be > 0 (a mode at exactly 0 never grows)")
    _check_positive("tau", tau)
    return s / (1.0 + (s / a0 - 1.0) * np.exp(-2.0 * s * t / tau))


def analytic_shallow(t, s, b0, tau):
    r"""Equation (5): :math:`b(t) = s (1 - e^{-t/\tau}) + b_0 e^{-t/\tau}`, broadcast."""
    _check_positive("tau", tau)
    decay = np.exp(-np.asarray(t, float) / tau)
    return np.asarray(s, float) * (1.0 - decay) + np.asarray(b0, float) * decay


def half_time(t, a, s):
    """First time at which each trajectory ``a[..., k]`` reaches s/2 (linear interpolation).

    ``t`` has shape (T,), ``a`` (T, modes) and ``s`` (modes,); NaN where never reached.
    """
    t, a, s = np.asarray(t, float), np.asarray(a, float), np.asarray(s, float)
    target = 0.5 * s
    out = np.full(a.shape[1:], np.nan)
    for idx in np.ndindex(*a.shape[1:]):
        col, tgt = a[(slice(None),) + idx], target[idx[-1]] if target.ndim else target
        above = np.nonzero(col >= tgt)[0]
        if above.size == 0:
            continue
        k = above[0]
        if k == 0:
            out[idx] = t[0]
        else:
            frac = (tgt - col[k - 1]) / (col[k] - col[k - 1])
            out[idx] = t[k - 1] + frac * (t[k] - t[k - 1])
    return out


def learning_time(s, a0, tau, n_layers):
    r"""Time for a decoupled balanced mode to go from ``a0`` to ``s/2`` with ``n_layers`` weights.

    :math:`t = \frac{\tau}{N_l} \int_{a_0}^{s/2} \frac{da}{a^{2-2/N_l}(s-a)}`; closed forms
    :math:`\tau \ln(2(s-a_0)/s)` for :math:`N_l = 1` and :math:`\frac{\tau}{2s}\ln(s/a_0 - 1)`
    for :math:`N_l = 2` (equation (4)). Scalars (use ``np.vectorize`` for grids).
    """
    _check_positive("n_layers", n_layers, integer=True)
    _check_positive("tau", tau)
    s, a0 = float(s), float(a0)
    if not 0 < a0 < s / 2:
        raise ValueError(f"need 0 < a0 < s/2, got a0={a0}, s={s}")
    if n_layers == 1:
        return tau * math.log(2.0 * (s - a0) / s)
    if n_layers == 2:
        return tau / (2.0 * s) * math.log(s / a0 - 1.0)
    p = 2.0 - 2.0 / n_layers
    # substitute a = exp(x) for accuracy across the many decades between a0 and s/2
    val, _ = integrate.quad(
        lambda x: math.exp(x * (1.0 - p)) / (s - math.exp(x)),
        math.log(a0),
        math.log(s / 2),
        epsabs=0.0,
        epsrel=1e-11,
        limit=200,
    )
    return tau / n_layers * val


def tau_epochs(n_outputs, lr):
    """Time constant, in epochs, of per-sample SGD with ``MSELoss`` (mean over outputs)."""
    _check_positive("n_outputs", n_outputs, integer=True)
    _check_positive("lr", lr)
    return n_outputs / (2.0 * lr)


# ----------------------------------------------------------------------------- tree data


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


# ----------------------------------------------------------------------------- networks


class DeepNet(torch.nn.Module):
    """Deep (linear or ReLU) network ``n_in -> hidden_units... -> n_out`` without biases.

    ``relu=True`` applies a ReLU after every hidden layer (not after the output).
    """

    def __init__(self, n_in, hidden_units: Sequence[int], n_out, relu=False):
        super().__init__()
        sizes = [n_in, *hidden_units, n_out]
        for name, val in (("n_in", n_in), ("n_out", n_out)):
            _check_positive(name, val, integer=True)
        for h in hidden_units:
            _check_positive("hidden_units entries", h, integer=True)
        self.relu = bool(relu)
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(a, b, bias=False, dtype=torch.float64)
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = layer(x)
            if self.relu:
                x = torch.relu(x)
        return self.layers[-1](x)

    def set_weights(self, weights):
        with torch.no_grad():
            for layer, w in zip(self.layers, weights, strict=True):
                layer.weight.copy_(torch.as_tensor(w, dtype=torch.float64))


def gaussian_init(sizes, n_nets, std, generator):
    """Stacked i.i.d. N(0, std^2) weights: a list of (n_nets, out, in) float64 tensors."""
    return [
        std * torch.randn(n_nets, b, a, generator=generator, dtype=torch.float64)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def _random_orthonormal(n, k, generator):
    q, r = torch.linalg.qr(torch.randn(n, k, generator=generator, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


def decoupled_init(sizes, u, v, a0, generator):
    r"""Balanced decoupled weights whose product is :math:`a_0 \sum_\alpha u_\alpha v_\alpha^T`.

    ``u`` (n_out x r) and ``v`` (n_in x r) are the singular vectors of :math:`\Sigma^{yx}`;
    each of the :math:`N_l` layers carries the scale :math:`a_0^{1/N_l}` and random
    orthonormal hidden bases :math:`R_l`: :math:`W^1 = a_0^{1/N_l} R_1 V^T`,
    :math:`W^l = a_0^{1/N_l} R_l R_{l-1}^T`, :math:`W^{N_l} = a_0^{1/N_l} U R_{N_l-1}^T`
    (the "orthogonal" initialisation of Saxe et al., restricted to the r modes). Returns a list
    of (out, in) tensors.
    """
    u = torch.as_tensor(u, dtype=torch.float64)
    v = torch.as_tensor(v, dtype=torch.float64)
    r = u.shape[1]
    n_layers = len(sizes) - 1
    if min(sizes[1:-1], default=r) < r:
        raise ValueError(f"hidden layers need >= {r} units for a decoupled init, got {sizes}")
    g = float(a0) ** (1.0 / n_layers)
    bases = [v] + [_random_orthonormal(n, r, generator) for n in sizes[1:-1]] + [u]
    return [g * bases[i + 1] @ bases[i].T for i in range(n_layers)]


def epoch_orders(n_items, epochs, generator):
    """Pre-drawn shuffles: (epochs, n_items) int64 permutations from ``generator``."""
    return torch.stack([torch.randperm(n_items, generator=generator) for _ in range(epochs)])


def net_map(weights, relu=False, x=None, numpy=False):
    """Outputs of stacked nets for inputs ``x`` (default identity): (n_nets, n_items, n_out).

    ``relu``: bool or (n_nets,) bool tensor, ReLU after every hidden layer of those nets.
    ``numpy=True``: numpy arrays in and out.
    """
    if numpy:
        n_nets = weights[0].shape[0]
        keep = np.broadcast_to(np.asarray(relu, dtype=bool), (n_nets,))[:, None, None]
        h = weights[0].transpose(0, 2, 1) if x is None else x @ weights[0].transpose(0, 2, 1)
        for w in weights[1:]:
            h = np.where(keep & (h <= 0), 0.0, h) @ w.transpose(0, 2, 1)
        return h
    n_nets = weights[0].shape[0]
    keep = torch.as_tensor(relu, dtype=torch.bool).expand(n_nets).view(n_nets, 1, 1)
    h = weights[0].transpose(1, 2) if x is None else x @ weights[0].transpose(1, 2)
    for w in weights[1:]:
        h = torch.where(keep & (h <= 0), torch.zeros_like(h), h) @ w.transpose(1, 2)
    return h


def train_reference(model, x, y, orders, lr=0.5, record=None):
    """The sheet's loop: per epoch, shuffle, then one (x, y) pair per SGD step on ``MSELoss``.

    ``orders`` (epochs, n_items) are the shuffles (see :func:`epoch_orders`). After every
    epoch ``record(model)`` is called if given; returns the list of its values.
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.float64)
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    out = []
    for order in orders:
        for i in order.tolist():
            opt.zero_grad()
            loss = loss_fn(model(x[i]), y[i])
            loss.backward()
            opt.step()
        if record is not None:
            out.append(record(model))
    return out


def train_fast(weights, x, y, orders, lr=0.5, relu=False, record_every=1):
    r"""Per-sample SGD on ``MSELoss`` for a batch of nets at once, manual backward pass.

    ``weights``: list of (n_nets, out, in) float64 tensors or arrays (not modified);
    ``relu``: a bool or a (n_nets,) bool array (ReLU after every hidden layer of those nets);
    ``orders``: (epochs, n_items) shuffles shared by every net, or (n_nets, epochs, n_items)
    one sequence per net (each net then sees its own item at each step). Each step does exactly what
    :func:`train_reference` does for every net: the output error
    :math:`\delta^{L} = \frac{2}{F}(\hat y - y)`, back-propagated through the pre-step weights
    (:math:`\delta^{l-1} = \phi'(z^{l-1}) \odot W^{lT}\delta^l`), then
    :math:`W^l \leftarrow W^l - \eta\,\delta^l h^{l-1\,T}`.

    Implementation: numpy float64; the nets' transposed weights are stacked as
    (n_nets, in, out) C-contiguous arrays so that the batched forward and backward products
    are single ``matmul`` calls and each net's rank-one update is an in-place BLAS ``dger``
    on a Fortran-ordered view (no temporaries). For one-hot inputs the first layer is a row
    gather and its update a row update.

    Returns ``(maps, weights)``: the input-output maps (n_records, n_nets, n_items, n_out),
    on the identity input, at epoch 0 and after every ``record_every``-th epoch, and the final
    weights as a list of (n_nets, out, in) arrays.
    """
    # one BLAS thread: the products are tiny, and spinning BLAS threads under a busy
    # machine (parallel Snakemake jobs) cost far more than they save
    with threadpool_limits(limits=1, user_api="blas"):
        return _train_fast(weights, x, y, orders, lr, relu, record_every)


def _train_fast(weights, x, y, orders, lr, relu, record_every):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    orders = np.asarray(orders)
    if orders.ndim == 2:
        orders = np.broadcast_to(orders, (len(weights[0]),) + orders.shape)
    if orders.ndim != 3 or orders.shape[0] != len(weights[0]):
        raise ValueError(
            f"orders must be (epochs, n_items) or (n_nets, epochs, n_items), got {orders.shape}"
        )
    wts = [
        np.ascontiguousarray(np.asarray(w, dtype=np.float64).transpose(0, 2, 1)) for w in weights
    ]
    n_nets = wts[0].shape[0]
    n_items, n_out = y.shape
    if x.shape[0] != n_items or wts[0].shape[1] != x.shape[1] or wts[-1].shape[2] != n_out:
        raise ValueError(
            f"shapes do not chain: x {x.shape}, y {y.shape}, weights "
            f"{[tuple(w.shape) for w in weights]}"
        )
    relu_mask = np.broadcast_to(np.asarray(relu, dtype=bool), (n_nets,))
    any_relu = bool(relu_mask.any())
    linear_rows = (~relu_mask)[:, None, None]
    scale = 2.0 / n_out  # d MSELoss / d y_hat = (2/F) (y_hat - y)
    one_hot = x.shape[0] == x.shape[1] and np.array_equal(x, np.eye(x.shape[0]))
    n_layers = len(wts)
    views = [[w[k].T for k in range(n_nets)] for w in wts]  # Fortran (out, in) views
    ger = blas.dger

    def record():
        return net_map([w.transpose(0, 2, 1) for w in wts], relu_mask, numpy=True)

    nets = np.arange(n_nets)
    records = [record()]
    for epoch in range(1, orders.shape[1] + 1):
        for idx in orders[:, epoch - 1, :].T:  # idx: (n_nets,) item of each net at this step
            # forward with row vectors (n_nets, 1, width)
            if one_hot:
                z = wts[0][nets, idx][:, None, :]
            else:
                z = x[idx][:, None, :] @ wts[0]
            hs, gates = [x[idx][:, None, :]], []
            for layer in range(1, n_layers):
                if any_relu:
                    gate = (z > 0) | linear_rows
                    h = z * gate
                else:
                    gate, h = None, z
                hs.append(h)
                gates.append(gate)
                z = h @ wts[layer]
            # backward from the pre-step weights (all deltas before any update) ...
            delta = (z - y[idx][:, None, :]) * scale
            deltas = [None] * n_layers
            deltas[-1] = delta
            for layer in range(n_layers - 1, 0, -1):
                delta = delta @ wts[layer].transpose(0, 2, 1)
                if gates[layer - 1] is not None:
                    delta *= gates[layer - 1]
                deltas[layer - 1] = delta
            # ... then the SGD step, in place
            if one_hot:
                wts[0][nets, idx] -= lr * deltas[0][:, 0, :]
            else:
                for k in range(n_nets):
                    ger(-lr, deltas[0][k, 0], hs[0][k, 0], a=views[0][k], overwrite_a=1)
            for layer in range(1, n_layers):
                d, h, vs = deltas[layer], hs[layer], views[layer]
                for k in range(n_nets):
                    ger(-lr, d[k, 0], h[k, 0], a=vs[k], overwrite_a=1)
        if epoch % record_every == 0:
            records.append(record())
            if not np.all(np.isfinite(records[-1])):
                bad = np.nonzero(~np.all(np.isfinite(records[-1]), axis=(1, 2)))[0].tolist()
                err = FloatingPointError(
                    f"per-sample SGD diverged by epoch {epoch} (nets {bad}): lr={lr} is above "
                    "the stability limit for these data (roughly lr * 2/F * s_max^(2-2/N_l) "
                    "< 2); lower lr or use fewer/smaller targets"
                )
                err.epoch = epoch  # for callers probing the limit (largest_stable_lr)
                raise err
    return np.stack(records), [w.transpose(0, 2, 1).copy() for w in wts]


# ----------------------------------------------------------------------------- experiments


def mode_projection(maps, u, v):
    r"""Strength of each target mode in input-output maps: :math:`u_\alpha^T M v_\alpha`.

    ``maps`` (..., n_items, n_out) are network outputs on the one-hot items (``M^T``);
    ``u`` (n_out x r), ``v`` (n_items x r) the singular vectors of :math:`\Sigma^{yx}`.
    """
    return np.einsum("...io,or,ir->...r", np.asarray(maps), np.asarray(u), np.asarray(v))


def exercise1(
    sigma_yx=SIGMA_YX,
    sigma_x=SIGMA_X,
    hidden=16,
    dt=0.1,
    tau=2.5,
    t_max=15.0,
    init_var=0.01,
    a0=0.001,
    seed=0,
):
    """Exercise 1 as a tidy table: Euler and analytic singular values of both networks.

    Columns: ``net`` (deep, shallow), ``curve`` (euler; theory_a0: equations (4)/(5) from
    ``a0``; theory_own: the same from the simulation's own initial singular values, matched
    by rank), ``t``, ``mode`` (0 = largest), ``value``, ``s`` (target singular value).
    Deep and shallow runs start from independent draws (``seed`` and ``seed + 1``).
    """
    import pandas as pd

    steps = int(round(t_max / dt))
    if steps < 1 or not math.isclose(steps * dt, t_max, rel_tol=1e-9):
        raise ValueError(f"t_max={t_max} must be a positive multiple of dt={dt}")
    s = singular_values(sigma_yx)
    t = np.arange(steps + 1) * dt
    runs = {
        "deep": (
            euler_deep(sigma_yx, sigma_x, hidden, dt, tau, steps, init_var, seed),
            analytic_deep,
        ),
        "shallow": (
            euler_shallow(sigma_yx, sigma_x, dt, tau, steps, init_var, seed + 1),
            analytic_shallow,
        ),
    }
    frames = []
    for net, (sim, formula) in runs.items():
        curves = {
            "euler": sim,
            "theory_a0": formula(t[:, None], s, a0, tau),
            "theory_own": formula(t[:, None], s, sim[0], tau),
        }
        for curve, values in curves.items():
            frames.append(
                pd.DataFrame(
                    {
                        "net": net,
                        "curve": curve,
                        "t": np.repeat(t, s.size),
                        "mode": np.tile(np.arange(s.size), t.size),
                        "value": values.ravel(),
                        "s": np.tile(s, t.size),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _layer_sizes(n_in, hidden_units, n_out):
    return [int(n_in), *map(int, hidden_units), int(n_out)]


def _tree_nets(
    depth, branching, n_features, epsilon, hidden_units, variants, n_seeds, epochs, init_std, seed
):
    """Data, stacked initial weights, shuffles and ReLU mask of :func:`tree_experiment`.

    Net ``k`` of every variant: weights and then ``epochs`` shuffles from
    ``torch.Generator().manual_seed(seed + 1 + k)``, so a shorter run sees the first epochs
    of a longer one (:func:`largest_stable_lr`).
    """
    for v in variants:
        if v not in ("linear", "relu"):
            raise ValueError(f"variants entries must be 'linear' or 'relu', got {v!r}")
    _check_positive("n_seeds", n_seeds, integer=True)
    _check_positive("epochs", epochs, integer=True)
    x, y = diffuse_tree(depth, branching, n_features, epsilon, seed)
    if not np.array_equal(x.T @ x, np.eye(x.shape[0])):
        raise AssertionError("Sigma_x of the one-hot items is not the identity")
    sizes = _layer_sizes(x.shape[0], hidden_units, n_features)
    weights, orders = [], []
    for k in range(n_seeds):
        gen = torch.Generator().manual_seed(seed + 1 + k)
        weights.append(gaussian_init(sizes, 1, init_std, gen))
        orders.append(epoch_orders(x.shape[0], epochs, gen).numpy())
    stacked = [
        torch.cat([weights[k][layer] for _ in variants for k in range(n_seeds)])
        for layer in range(len(sizes) - 1)
    ]
    all_orders = np.stack([orders[k] for _ in variants for k in range(n_seeds)])
    relu = np.repeat([v == "relu" for v in variants], n_seeds)
    return x, y, sizes, stacked, all_orders, relu


def gradient_flow_lr_limit(s_max, n_layers, n_features):
    r"""Largest stable rate of *full-batch* gradient descent at the balanced minimum.

    One epoch of per-sample SGD on the one-hot items sums to one gradient step on
    :math:`\sum_i \mathrm{MSELoss}_i = \frac{1}{F}\lVert W - \Sigma^{yx}\rVert^2`. At a
    balanced minimum (every layer carries :math:`s^{1/N_l}` of each mode) the Hessian's largest
    eigenvalue is :math:`\frac{2}{F} N_l s_{max}^{2-2/N_l}` (the top mode, all layers moving
    together), so that step is stable for :math:`\eta < F / (N_l s_{max}^{2-2/N_l})`: Saxe
    et al.'s 1/N_l scaling. Per-sample SGD is *not* bound by it: each step sees one item, and
    the nets train well above it (:func:`largest_stable_lr` measures the actual limit).
    """
    _check_positive("s_max", s_max)
    _check_positive("n_layers", n_layers, integer=True)
    _check_positive("n_features", n_features, integer=True)
    return n_features / (n_layers * s_max ** (2.0 - 2.0 / n_layers))


def largest_stable_lr(
    depth=3,
    branching=2,
    n_features=100,
    epsilon=0.05,
    hidden_units=(64, 128, 128),
    variants=("linear", "relu"),
    n_seeds=5,
    init_std=0.05,
    seed=0,
    lr_low=0.1,
    lr_high=2.0,
    step=0.01,
    epochs=50,
):
    """Largest per-sample SGD rate up to which no net of :func:`tree_experiment` diverges.

    The probes train exactly the nets of :func:`tree_experiment` with the same arguments
    (same data, initial weights and the first ``epochs`` shuffles of every seed and variant).
    A rate is *stable* if every net's outputs stay finite for ``epochs`` epochs and its
    final training loss is below its initial one; *unstable* otherwise. Per-sample SGD on
    these nets becomes unstable once the top mode is learnt (within a few tens of epochs).

    Stability is not monotone in the rate near the limit (the trajectory decides: on the
    branching-4 tree of the config, 100-epoch probes of the 10 nets: 0.32, 0.34 and 0.37
    diverge within 11 epochs, 0.33, 0.35, 0.36 and 0.38-0.40 do not, 0.41-0.45 all do), so
    this is a scan from below, not a bisection: ``lr_low``, ``lr_low + step``, ... until
    the first unstable rate. Returns ``(limit, probes)``: the last stable rate (every
    probed rate up to it is stable, the next one is not) and a table of the probes in order
    (lr, stable, epoch: the epoch of the first non-finite output, or NaN). ValueError if
    ``lr_low`` is unstable or no rate up to ``lr_high`` is.
    """
    import pandas as pd

    _check_positive("step", step)
    _check_positive("epochs", epochs, integer=True)
    if not 0 < lr_low < lr_high:
        raise ValueError(f"need 0 < lr_low < lr_high, got {lr_low}, {lr_high}")
    x, y, _, stacked, orders, relu = _tree_nets(
        depth,
        branching,
        n_features,
        epsilon,
        hidden_units,
        variants,
        n_seeds,
        epochs,
        init_std,
        seed,
    )
    rows = []
    for k in range(int(math.floor((lr_high - lr_low) / step + 1e-9)) + 1):
        lr = round(lr_low + k * step, 12)
        with np.errstate(all="ignore"):
            try:
                maps, _ = train_fast(stacked, x, y, orders, lr=lr, relu=relu)
            except FloatingPointError as err:
                rows.append((lr, False, float(err.epoch)))
                break
        loss = np.mean((maps[[0, -1]] - y) ** 2, axis=(2, 3))
        ok = bool(np.all(loss[1] < loss[0]))
        rows.append((lr, ok, np.nan))
        if not ok:
            break
    probes = pd.DataFrame(rows, columns=["lr", "stable", "epoch"])
    if not probes["stable"].iloc[0]:
        raise ValueError(f"lr_low={lr_low} is already unstable; lower it")
    if probes["stable"].iloc[-1]:
        raise ValueError(f"no rate up to lr_high={lr_high} diverges; raise it")
    return float(probes["lr"].iloc[-2]), probes


def tree_experiment(
    depth=3,
    branching=2,
    n_features=100,
    epsilon=0.05,
    hidden_units=(64, 128, 128),
    variants=("linear", "relu"),
    n_seeds=5,
    epochs=1000,
    lr=0.5,
    init_std=0.05,
    seed=0,
):
    """Exercise 2.3/2.4: all seeds x variants in one batched :func:`train_fast` run.

    One tree data set (seed ``seed``); net ``k`` of every variant starts from the same
    N(0, init_std^2) weights and sees the same shuffles, both drawn from
    ``torch.Generator().manual_seed(seed + 1 + k)``. Returns ``(curves, theory)``: singular
    values of the input-output map per epoch (columns variant, seed, epoch, mode, sv,
    projection = strength along the target mode) and per mode the target singular value,
    the measured half-learning epoch of each run (first epoch the sorted singular value
    reaches s/2) and the decoupled-theory prediction for the linear net
    (:func:`learning_time` with tau = F/(2 lr) epochs, ``N_l`` weight matrices and a0 the
    mean initial singular value of the linear nets' maps). The random start is not
    decoupled: its modes first have to align with those of Sigma_yx, so the measured times
    exceed this prediction (by 20-45 % at the default set-up); :func:`depth_experiment`
    shows the exact agreement from a decoupled start.
    """
    import pandas as pd

    x, y, sizes, stacked, all_orders, relu = _tree_nets(
        depth,
        branching,
        n_features,
        epsilon,
        hidden_units,
        variants,
        n_seeds,
        epochs,
        init_std,
        seed,
    )
    u, s, vt = np.linalg.svd(y.T @ x, full_matrices=False)
    n_var = len(variants)
    maps, _ = train_fast(stacked, x, y, all_orders, lr=lr, relu=relu)
    sv = singular_values(maps)  # (epochs + 1, nets, rank)
    proj = mode_projection(maps, u, vt.T)
    rank = sv.shape[-1]
    ep = np.arange(epochs + 1)
    curves = pd.DataFrame(
        {
            "variant": np.tile(np.repeat(np.repeat(variants, n_seeds), rank), epochs + 1),
            "seed": np.tile(np.tile(np.repeat(np.arange(n_seeds), rank), n_var), epochs + 1),
            "epoch": np.repeat(ep, n_var * n_seeds * rank),
            "mode": np.tile(np.arange(rank), (epochs + 1) * n_var * n_seeds),
            "sv": sv.ravel(),
            "projection": proj.ravel(),
            "s": np.tile(s, (epochs + 1) * n_var * n_seeds),
        }
    )
    tau = tau_epochs(n_features, lr)
    n_layers = len(sizes) - 1
    linear = ~relu
    a0 = float(np.mean(sv[0][linear] if linear.any() else sv[0]))
    t_theory = np.array([learning_time(sk, a0, tau, n_layers) for sk in s])
    halves = half_time(ep, sv, s)  # (nets, rank)
    theory = pd.DataFrame(
        {
            "variant": np.repeat(np.repeat(variants, n_seeds), rank),
            "seed": np.tile(np.repeat(np.arange(n_seeds), rank), n_var),
            "mode": np.tile(np.arange(rank), n_var * n_seeds),
            "s": np.tile(s, n_var * n_seeds),
            "t_half": halves.ravel(),
            "t_theory": np.tile(t_theory, n_var * n_seeds),
            "a0": a0,
            "tau": tau,
            "n_layers": n_layers,
        }
    )
    return curves, theory


def depth_experiment(
    depths=(1, 2, 3, 4, 5, 6, 7, 8),
    width=32,
    depth=3,
    branching=2,
    n_features=100,
    epsilon=0.05,
    inits=("random", "decoupled"),
    a0=0.05,
    n_seeds=5,
    epochs=600,
    lr=0.1,
    seed=0,
    lr_scaling="constant",
):
    """Half-learning epoch of each mode against the number of hidden layers.

    For each number of hidden layers (``width`` units each; ``N_l = hidden + 1`` weight
    matrices) and each initialisation, ``n_seeds`` nets trained by :func:`train_fast` on the
    tree data (``depth``, ``branching``, ... as in :func:`diffuse_tree`):

    * ``decoupled``: :func:`decoupled_init` with product :math:`a_0 U V^T` (orthogonal
      hidden bases; the theory's assumption);
    * ``random``: i.i.d. N(0, g^2/fan_in) with per-layer gain g = a0^{1/N_l}, i.e. the same
      typical product scale but random (coupled, unaligned) modes.

    ``lr_scaling``: ``"constant"`` trains every depth at ``lr``; ``"inverse_layers"`` at
    ``lr / N_l``, Saxe et al.'s scaling of the largest stable rate (the curvature of the
    loss grows like N_l), under which the decoupled learning time tends to a finite,
    depth-independent limit ``F / (2 lr s a0)`` instead of falling like 1/N_l.

    Returns a table (hidden, n_layers, lr, init, seed, mode, s, t_half, t_theory), t_theory
    from :func:`learning_time` with tau = F/(2 rate) epochs and the same a0; NaN t_half if
    the mode is not half learnt within ``epochs``.
    """
    import pandas as pd

    for v in inits:
        if v not in ("random", "decoupled"):
            raise ValueError(f"inits entries must be 'random' or 'decoupled', got {v!r}")
    if lr_scaling not in ("constant", "inverse_layers"):
        raise ValueError(f"lr_scaling must be 'constant' or 'inverse_layers', got {lr_scaling!r}")
    x, y = diffuse_tree(depth, branching, n_features, epsilon, seed)
    u, s, vt = np.linalg.svd(y.T @ x, full_matrices=False)
    rank = s.size
    ep = np.arange(epochs + 1)
    rows = []
    for n_hidden in depths:
        _check_positive("depths entries", n_hidden, integer=True)
        sizes = _layer_sizes(x.shape[0], [width] * n_hidden, n_features)
        n_layers = len(sizes) - 1
        rate = lr / n_layers if lr_scaling == "inverse_layers" else lr
        tau = tau_epochs(n_features, rate)
        per_net, orders, labels = [], [], []
        for init in inits:
            for k in range(n_seeds):
                gen = torch.Generator().manual_seed(seed + 1000 * n_hidden + 100 + k)
                if init == "decoupled":
                    ws = decoupled_init(sizes, u, vt.T, a0, gen)
                else:
                    g = a0 ** (1.0 / n_layers)
                    ws = [
                        g / math.sqrt(a) * torch.randn(b, a, generator=gen, dtype=torch.float64)
                        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
                    ]
                per_net.append(ws)
                orders.append(epoch_orders(x.shape[0], epochs, gen).numpy())
                labels.append((init, k))
        stacked = [torch.stack([w[layer] for w in per_net]) for layer in range(n_layers)]
        maps, _ = train_fast(stacked, x, y, np.stack(orders), lr=rate)
        halves = half_time(ep, singular_values(maps), s)
        t_theory = [learning_time(sk, a0, tau, n_layers) for sk in s]
        for (init, k), half in zip(labels, halves, strict=True):
            for mode in range(rank):
                rows.append(
                    (n_hidden, n_layers, rate, init, k, mode, s[mode], half[mode], t_theory[mode])
                )
    return pd.DataFrame(
        rows,
        columns=["hidden", "n_layers", "lr", "init", "seed", "mode", "s", "t_half", "t_theory"],
    )
