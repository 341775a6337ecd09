"""Optional peer test: NNGP kernels against neural-tangents 0.6.5 (an independent engine).

neural-tangents is not a dependency of dltheory (its jax 0.4.23 needs numpy < 2). To run
this test, install it in a separate virtual environment and point DLTHEORY_NT_PYTHON at
that environment's python::

    python3.11 -m venv ntvenv
    ntvenv/bin/pip install "jax[cpu]==0.4.23" "numpy<2" "scipy<1.14" ml-dtypes==0.3.2 \\
        tensorflow-cpu==2.15.1 neural-tangents==0.6.5
    DLTHEORY_NT_PYTHON=ntvenv/bin/python .venv/bin/pytest tests/test_meanfield_peer.py

Without it the test is skipped. The peer computes ``stax.serial(Dense, (phi, Dense) x L)``
NNGP kernels in 64-bit floats for inputs of unequal lengths; ours is
``kernel_layers(input_kernel(x1, x2), L)``.
"""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest
from conftest import CEILING

from dltheory import meanfield as mf

NT_PYTHON = os.environ.get("DLTHEORY_NT_PYTHON")
pytestmark = pytest.mark.skipif(
    not NT_PYTHON, reason="DLTHEORY_NT_PYTHON (a python with neural-tangents 0.6.5) not set"
)

# our activation name -> the neural-tangents layer (as Python source in the peer)
PEER_LAYERS = {
    "erf": "stax.Erf()",
    "relu": "stax.Relu()",
    "leaky_relu:0.2": "stax.LeakyRelu(0.2)",
    "abs": "stax.Abs()",
    "leaky_relu:-0.5": "stax.ABRelu(-0.5, 1.0)",
    "gelu": "stax.Gelu(approximate=False)",
}
SETTINGS = [(1.5, 0.3, 1), (1.2, 0.0, 3), (2.0, 0.7, 2)]

PEER_SCRIPT = """
import json, sys
import jax
jax.config.update("jax_enable_x64", True)
import numpy as np
from neural_tangents import stax
job = json.load(sys.stdin)
x = np.asarray(job["x"], dtype=np.float64)
out = {}
for name, layer in job["layers"].items():
    for sw, sb, depth in job["settings"]:
        dense = lambda: stax.Dense(1, W_std=sw, b_std=sb)
        parts = [dense()]
        for _ in range(depth):
            parts += [eval(layer), dense()]
        kernel_fn = stax.serial(*parts)[2]
        out[f"{name} {sw} {sb} {depth}"] = np.asarray(kernel_fn(x, x, "nngp")).tolist()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def peer():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 6)) * np.array([0.3, 1.0, 2.0, 4.0])[:, None]  # unequal lengths
    job = {"x": x.tolist(), "layers": PEER_LAYERS, "settings": SETTINGS}
    proc = subprocess.run(
        [NT_PYTHON, "-c", PEER_SCRIPT],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=CEILING,  # only against a hang: jax's first compile is slow on a busy machine
        check=True,
    )
    return x, json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", list(PEER_LAYERS))
def test_nngp_kernels_agree_with_neural_tangents(peer, name):
    x, kernels = peer
    for sw, sb, depth in SETTINGS:
        theirs = np.array(kernels[f"{name} {sw} {sb} {depth}"])
        first = mf.input_kernel(x[:, None, :], x[None, :, :], sw, sb)
        ours = mf.kernel_layers(*first, depth, sw, sb, name)[2][-1]
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14, err_msg=name)
