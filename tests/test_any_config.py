"""Every output true for any valid config (long: ``make test-long``).

* Two alternative configs (the tiny config with the overlays of ``tests/alternatives``:
  one with every activation changed, one with grids, widths, counts and the seed changed)
  build every figure, and no title, label, legend or caption names a value of the tiny
  config that the alternative changed.
* Each leaf key of the tiny config, changed to another valid value, reruns exactly the
  rules whose outputs record that key (their params), the rules that get new jobs from it
  (a new output file: a chunk of another size, another depth or seed group), and their
  consumers.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, copy_workflow, dry_run_blocks, run_snakemake, write_config

from dltheory import activations, io, provenance, style, validation

pytestmark = pytest.mark.long

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
OVERLAYS = sorted((Path(__file__).parent / "alternatives").glob("*.yaml"))


def _merge(base: dict, overlay: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _split(overlay: dict, activation: bool) -> dict:
    """The part of an overlay that changes activations (or everything else)."""
    out = {}
    for key, value in overlay.items():
        if isinstance(value, dict):
            part = _split(value, activation)
            if part:
                out[key] = part
        elif ("activation" in key) == activation:
            out[key] = value
    return out


def alternative(which: str) -> dict:
    from configs import tiny_config

    cfg = tiny_config()
    for path in OVERLAYS:
        cfg = _merge(cfg, _split(yaml.safe_load(path.read_text()) or {}, which == "activations"))
    if which == "grids":
        cfg["seed"] = cfg["seed"] + 1 if isinstance(cfg["seed"], int) else 1
    validation.validate_config(cfg, SCHEMA)
    return cfg


def _value_words(value) -> set[str]:
    """How a config value shows in a text: numbers as %g, activations by name and label."""
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, int | float):
        # 0, 1 and 2 turn up in every caption (chi_1 = 1, Fig. 2) whatever the config
        return set() if value in (0, 1, 2) else {f"{value:g}"}
    if isinstance(value, str):
        words = {value}
        try:
            words.add(activations.get(value).label)
        except (KeyError, ValueError, TypeError):
            pass
        return words
    if isinstance(value, list):
        return set().union(*map(_value_words, value)) if value else set()
    return set()


def _numbers(value) -> list[float]:
    """Every number in a (nested) fact value."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, str):
        try:
            return [float(value)]
        except ValueError:
            return []
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in _numbers(v)]
    return []


def _computed(word: str, facts: dict) -> bool:
    """Whether a number printed as ``word`` is a fact of the data, at its precision."""
    try:
        printed = float(word)
    except ValueError:
        return False
    decimals = len(word.split(".")[1]) if "." in word and "e" not in word else 0
    tolerance = 0.5 * 10.0**-decimals + 1e-12
    return any(
        abs(x - printed) <= tolerance or abs(100 * x - printed) <= tolerance
        for x in _numbers(facts)
    )


def _mentions(text: str, word: str) -> bool:
    if re.fullmatch(r"-?[\d.e+-]+", word):  # a number: not part of a longer number
        # ("4" is not in "4.7e-13", nor in "14" or "0.4")
        return re.search(rf"(?<![\d.]){re.escape(word)}(?![\d]|\.\d)", text) is not None
    return re.search(rf"(?<![A-Za-z_]){re.escape(word)}(?![A-Za-z_])", text) is not None


def test_a_number_is_mentioned_only_as_a_whole_number():
    # an old config value 4 is not named by 4.7e-13, 14, 0.4 or 2.4; it is by "T = 4"
    for text in ("error 4.7e-13,", "N = 14", "rho 0.4", "2.4 s.e."):
        assert not _mentions(text, "4"), text
    for text in ("T = 4, B = 3", "steps 4.", "[1, 4, 16]"):
        assert _mentions(text, "4"), text
    assert _mentions("tanh, relu", "relu") and not _mentions("leaky_relu", "relu")


@pytest.mark.parametrize("which", ["activations", "grids"])
def test_every_figure_under_an_alternative_config_describes_that_config(tmp_path, which):
    from configs import tiny_config

    assert OVERLAYS, "no overlays in tests/alternatives"
    old = provenance.flatten(tiny_config(), "")
    cfg = alternative(which)
    new = provenance.flatten(cfg, "")
    changed = {k for k in old if old[k] != new.get(k)}
    assert changed, which
    wf = copy_workflow(tmp_path / "wf")
    write_config(wf / "alt.yaml", cfg)
    proc = run_snakemake(
        wf, "all", "--cores", "2", "--keep-going", "--configfile", "alt.yaml", check=False
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    problems = []
    for png in sorted((wf / "results" / "figures").glob("*.png")):
        meta = style.read_metadata(png)
        used = meta["provenance"]["config"]
        text = "\n".join(meta["texts"]) + "\n" + png.with_suffix(".rst").read_text()
        present = set().union(*(_value_words(v) for v in used.values()))
        for key in sorted(changed & set(used)):
            for word in sorted(_value_words(old[key]) - present):
                # a number computed from this build's data may equal an old config value
                if _mentions(text, word) and not _computed(word, meta.get("facts", {})):
                    problems.append(f"{png.stem}: names {word!r}, the old value of {key}")
    assert not problems, "\n".join(problems)


# -- the key walk ----------------------------------------------------------------------


def _schema_node(schema: dict, dotted: str) -> dict:
    """The schema of the config key ``dotted`` ({} where the schema does not say)."""
    node = schema
    for part in dotted.split("."):
        node = node.get("properties", {}).get(part, {})
    return node


def _candidates(value, node: dict | None = None):
    """Other values of the same kind, most likely valid first (the schema's other allowed
    values first where it lists them)."""
    node = node or {}
    if "enum" in node:
        return [v for v in node["enum"] if v != value]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value * 2, max(value - 1, 1)]
    if isinstance(value, float):
        return [value * 1.1 if value else 0.1, value * 0.9, value + 0.5]
    if isinstance(value, str):
        names = [n for n in activations.names() if n != value]
        return [*names[:6], value + "_other"]
    if value is None and "integer" in node.get("type", []):
        return [100, 10, 1]
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        # a matrix (an input covariance): every entry scaled, the shape and sign kept
        return [[[x * 1.1 for x in row] for row in value]]
    if isinstance(value, list) and value:
        first = value[0]
        alt = [v for v in _candidates(first, node.get("items")) if v not in value]
        return (
            [[*value[:-1], v] for v in alt[:2]] + [value[:-1]]
            if len(value) > 1
            else [[v] for v in alt]
        )
    return []


def _set(cfg: dict, dotted: str, value) -> dict:
    out = copy.deepcopy(cfg)
    node = out
    *parents, last = dotted.split(".")
    for part in parents:
        node = node[part]
    node[last] = value
    return out


def _own_keys(path: Path) -> set[str]:
    if path.suffix == ".parquet":
        return set((io.read_provenance(path) or {}).get("config", {}))
    if path.suffix == ".png":
        return set((style.read_metadata(path) or {}).get("own_config", {}))
    return set()


def test_changing_a_config_key_reruns_exactly_the_rules_that_read_it(tiny_build):
    wf = tiny_build.workdir
    assert tiny_build.proc.returncode == 0
    blocks = dry_run_blocks(wf, "--forceall", "all", "--configfile", str(tiny_build.configfile))
    produced_by = {f: b["rule"] for b in blocks for f in b.get("output", [])}
    reads = defaultdict(set)  # key -> rules whose outputs record it
    for f, rule in produced_by.items():
        for key in _own_keys(wf / f):
            reads[key].add(rule)
    problems, unchanged = [], []
    original = Path(tiny_build.configfile).read_text()
    schema = validation.load_schema(SCHEMA)
    for key in sorted(provenance.flatten(tiny_build.config, "")):
        if key in {"figure_overlap"}:
            continue
        value = provenance.lookup(tiny_build.config, key)
        for candidate in _candidates(value, _schema_node(schema, key)):
            cfg = _set(tiny_build.config, key, candidate)
            try:
                validation.validate_config(cfg, SCHEMA)
            except validation.ConfigError:
                continue
            break
        else:
            unchanged.append(key)
            continue
        # under the build's own config file name: the answers and the book name it
        path = Path(tiny_build.configfile)
        try:
            write_config(path, cfg)
            blocks_now = dry_run_blocks(wf, "all", "--configfile", str(path))
        finally:
            path.write_text(original)
        rerun = {b["rule"] for b in blocks_now} - {"all"}
        # each job that reruns is explained: its rule records the key, or it is a new job
        # (a new output file: another depth, seed group or chunk), or it reads the output
        # of a job that reruns, or (a job-size key) its chunk now holds other settings
        outputs_now = {f for b in blocks_now for f in b.get("output", [])}
        unexplained = sorted(
            {
                b["rule"]
                for b in blocks_now
                if b["rule"] != "all"
                and b["rule"] not in reads[key]
                and not set(b.get("output", [])) - set(produced_by)
                and not set(b.get("input", [])) & outputs_now
                and not (key.endswith("_per_job") and "Params have changed" in b["reason"])
            }
        )
        missing = sorted(reads[key] - {"all"} - rerun)
        if unexplained or missing:
            problems.append(f"{key}: reruns {unexplained} too, not {missing}")
    assert not problems, "\n".join(problems)
    # the IDX data source needs files; tests/test_trainability.py changes those on its own
    idx = {"trainability.data.idx_dir", "trainability.data.source"}
    assert set(unchanged) <= idx, f"no valid other value found for {unchanged}"
