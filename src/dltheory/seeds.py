"""The one seed scheme: every random stream from the config ``seed`` and named keys.

A stream is named by the config's base seed and a path of keys, for example
``(seed, "qmap_simulation", "sigma_w", 2)``. :func:`derive` mixes them through
:class:`numpy.random.SeedSequence`: the base seed is its entropy, the keys its spawn key
(a string enters through its CRC-32, so a seed never depends on ``PYTHONHASHSEED``; a
non-negative integer enters as itself). Streams of different key paths are statistically
independent; the same path always gives the same seed.

Never do arithmetic on a seed (``seed + i``, ``seed * k``): neighbouring seeds of
different streams then overlap (``seed + 1`` of one stream is ``seed`` of the next). Add
a key instead: ``derive(seed, "layer", i)``. A test in ``tests/test_seeds.py`` scans the
package and the workflow scripts for such arithmetic.

A single string key gives the seed that :func:`dltheory.io.Job.seed` uses for a rule
(``derive(seed, rule_name)``).
"""

from __future__ import annotations

import zlib
from numbers import Integral

import numpy as np

__all__ = ["derive", "rng", "sequence", "torch_generator"]


def _key(key: str | int) -> int:
    if isinstance(key, str):
        return zlib.crc32(key.encode())
    if isinstance(key, Integral) and not isinstance(key, bool) and int(key) >= 0:
        return int(key)
    raise ValueError(f"a seed key must be a string or a non-negative integer, got {key!r}")


def sequence(base_seed: int, *keys: str | int) -> np.random.SeedSequence:
    """The :class:`numpy.random.SeedSequence` of the stream ``keys`` under ``base_seed``."""
    if isinstance(base_seed, bool) or not isinstance(base_seed, Integral) or base_seed < 0:
        raise ValueError(f"base seed must be a non-negative integer, got {base_seed!r}")
    return np.random.SeedSequence(int(base_seed), spawn_key=tuple(_key(k) for k in keys))


def derive(base_seed: int, *keys: str | int) -> int:
    """A 32-bit seed of the stream ``keys`` under ``base_seed`` (see the module docstring)."""
    return int(sequence(base_seed, *keys).generate_state(1, dtype=np.uint32)[0])


def rng(base_seed: int, *keys: str | int) -> np.random.Generator:
    """A numpy :class:`~numpy.random.Generator` seeded with :func:`derive`."""
    return np.random.default_rng(derive(base_seed, *keys))


def torch_generator(base_seed: int, *keys: str | int):
    """A CPU :class:`torch.Generator` seeded with :func:`derive` (torch imported lazily)."""
    import torch

    return torch.Generator().manual_seed(derive(base_seed, *keys))
