"""The one seed scheme (dltheory.seeds) and a guard against arithmetic on seeds."""

from __future__ import annotations

import ast
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from dltheory import seeds

ROOT = Path(__file__).resolve().parents[1]
BASE = 20161205


def test_same_keys_same_seed_and_stream():
    assert seeds.derive(BASE, "qmap_simulation", "sigma_w", 2) == seeds.derive(
        BASE, "qmap_simulation", "sigma_w", 2
    )
    a = seeds.rng(BASE, "rule", 3).standard_normal(5)
    b = seeds.rng(BASE, "rule", 3).standard_normal(5)
    np.testing.assert_array_equal(a, b)
    assert 0 <= seeds.derive(BASE, "rule") < 2**32


def test_different_keys_base_seeds_and_orders_give_different_seeds():
    derived = [
        seeds.derive(BASE),
        seeds.derive(BASE, "a"),
        seeds.derive(BASE, "b"),
        seeds.derive(BASE, "a", "b"),
        seeds.derive(BASE, "b", "a"),
        seeds.derive(BASE, "a", 0),
        seeds.derive(BASE, "a", 1),
        seeds.derive(BASE + 1, "a"),  # another base seed (tests are not scanned by the guard)
        seeds.derive(0, "a"),
    ]
    assert len(set(derived)) == len(derived), derived


def test_an_int_key_and_its_string_are_different_streams():
    assert seeds.derive(BASE, 1) != seeds.derive(BASE, "1")
    assert seeds.derive(BASE, np.int64(3)) == seeds.derive(BASE, 3)  # numpy integers are ints


def test_streams_of_neighbouring_keys_are_uncorrelated():
    a = seeds.rng(BASE, "layer", 0).standard_normal(20_000)
    b = seeds.rng(BASE, "layer", 1).standard_normal(20_000)
    # 5 standard errors of a sample correlation of 20,000 independent pairs
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(20_000)


@pytest.mark.parametrize("bad", [-1, 1.0, 2.5, True, None, b"x", ("a",)])
def test_bad_keys_are_refused_with_a_clear_error(bad):
    with pytest.raises(ValueError, match="seed key must be a string or a non-negative integer"):
        seeds.derive(BASE, "rule", bad)


@pytest.mark.parametrize("bad", [-1, 1.0, True, "5", None])
def test_bad_base_seeds_are_refused_with_a_clear_error(bad):
    with pytest.raises(ValueError, match="base seed must be a non-negative integer"):
        seeds.derive(bad, "rule")


def test_a_rule_seed_is_the_rule_name_as_one_key():
    """``derive(seed, rule)`` is the seed a rule's job had before (CRC-32 of its name as
    the spawn key), so tables of rules that draw one stream keep their bytes."""
    old = np.random.SeedSequence(BASE, spawn_key=(zlib.crc32(b"qmap_theory"),))
    assert seeds.derive(BASE, "qmap_theory") == int(old.generate_state(1, np.uint32)[0])
    assert seeds.sequence(BASE, "qmap_theory").spawn_key == old.spawn_key


def test_the_rule_seed_of_a_job_comes_from_seeds(tmp_path):
    from dltheory import io

    class Params(dict):
        __getattr__ = dict.__getitem__

    class Smk:
        input = output = []
        wildcards = Params(panel="relu")
        params = Params(seed=BASE)
        threads, rule, config = 1, "finite_width_simulation", {}
        log = [str(tmp_path / "x.log")]

    job = io.job(Smk())
    assert job.seed == seeds.derive(BASE, "finite_width_simulation", "panel=relu")


def test_torch_generator_is_seeded_with_the_derived_seed():
    torch = pytest.importorskip("torch")
    gen = seeds.torch_generator(BASE, "net", 2)
    assert gen.initial_seed() == seeds.derive(BASE, "net", 2)
    a = torch.randn(4, generator=gen)
    b = torch.randn(4, generator=seeds.torch_generator(BASE, "net", 2))
    assert torch.equal(a, b)


# --------------------------------------------------------------------------------------
# Guard: no arithmetic on a seed anywhere in the package or the workflow scripts
# --------------------------------------------------------------------------------------

#: a name of one seed: contains "seed" but is not a plural (``n_seeds``, a list ``seeds``)
SEED_NAME = re.compile(r"seed(?!s)", re.IGNORECASE)
#: constructors of random streams that must get one derived seed, not a composed list
RNG_CONSTRUCTORS = {"default_rng", "SeedSequence", "manual_seed", "RandomState", "seed"}


def _name_of(node: ast.AST) -> str | None:
    """The name a seed would carry: a variable, attribute, call or string subscript."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name_of(node.func)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        key = node.slice.value
        return key if isinstance(key, str) else None
    return None


def _is_seed(node: ast.AST) -> bool:
    name = _name_of(node)
    return name is not None and bool(SEED_NAME.search(name))


def seed_arithmetic(source: str, filename: str = "<source>") -> list[str]:
    """``file:line: what`` for every arithmetic on a seed and every composed seed in ``source``.

    Flags ``seed + i``, ``seed * k``, ``i + seed``, ``base_seed + name``,
    ``seed_for(...) + 1``, ``job.seed - 1``, ``seed += 1`` and a stream constructor given a
    list or tuple (``np.random.default_rng([seed, i, j])``).
    """
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.BinOp) and (_is_seed(node.left) or _is_seed(node.right)):
            found.append(f"{filename}:{node.lineno}: arithmetic on a seed: {ast.unparse(node)}")
        elif isinstance(node, ast.AugAssign) and _is_seed(node.target):
            found.append(f"{filename}:{node.lineno}: arithmetic on a seed: {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and _name_of(node.func) in RNG_CONSTRUCTORS:
            if any(isinstance(arg, ast.List | ast.Tuple) for arg in node.args):
                found.append(
                    f"{filename}:{node.lineno}: a seed composed of several numbers: "
                    f"{ast.unparse(node)}"
                )
    return found


@pytest.mark.parametrize(
    "planted",
    [
        "q = f(x, seed=seed + i)",
        "s = seed * k",
        "s = i + seed",
        "s = base_seed + name",
        "s = networks.seed_for(seed, 1) + 1",
        "s = job.seed - 1",
        's = cfg["seed"] + 2',
        "seed += 1",
        "rng = np.random.default_rng([seed, i, j])",
        "torch.manual_seed((seed, 3))",
    ],
)
def test_the_guard_catches_a_planted_example(planted):
    found = seed_arithmetic(f"x = 1\n{planted}\n", "planted.py")
    assert found and found[0].startswith("planted.py:2:"), found


@pytest.mark.parametrize(
    "clean",
    [
        "n = n_seeds * len(variants)",
        's = seeds.derive(job.base_seed, job.rule, "sigma_w", i)',
        "rng = seeds.rng(base_seed, 'layer', i + 1)",
        "total = len(seeds) + 1",
        "rng = np.random.default_rng(seed)",
    ],
)
def test_the_guard_passes_the_one_scheme(clean):
    assert seed_arithmetic(clean) == []


def test_no_arithmetic_on_a_seed_in_the_package_or_the_scripts():
    files = sorted((ROOT / "src" / "dltheory").rglob("*.py"))
    files += sorted((ROOT / "workflow" / "scripts").glob("*.py"))
    found = []
    for path in files:
        if path.name == "seeds.py":  # the one place that turns keys into seeds
            continue
        found += seed_arithmetic(path.read_text(), str(path.relative_to(ROOT)))
    assert not found, "derive seeds with dltheory.seeds and named keys:\n" + "\n".join(found)
