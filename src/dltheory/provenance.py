"""Which config, code and data made an output, and the check that an input belongs to this run.

A rule passes its config keys as params built by :func:`config_slice` (a
:class:`ConfigSlice`: a plain dict of the keys its script reads that remembers its place
in the config), so every output can record the config values it was made from under
their dotted keys (``qmap.sigma_w``). The record (:func:`record`) holds

* ``config``: those values, flattened to dotted keys (plus ``seed`` when the rule draws
  random numbers), merged with the records of the tables the job read;
* ``config_digest``: the SHA-256 of ``config`` as canonical JSON;
* ``version`` and ``commit``: the package version and the git commit of the checkout
  (with ``+dirty`` when it has uncommitted changes), or ``"not a git checkout"``;
* ``data``: the SHA-256 of every external data file the job read (``{}`` for none).

Tables keep it in their Parquet metadata, figures in their PNG text and PDF metadata,
the answers documents in their header. :func:`foreign_inputs` compares each input
table's record with the config of the run reading it: a table copied in from another
config, or left by an older run, is named with both values and the command that
rebuilds it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigSlice",
    "MissingConfigKeyError",
    "NOT_A_CHECKOUT",
    "code_version",
    "config_slice",
    "digest",
    "file_digest",
    "flatten",
    "foreign_inputs",
    "lookup",
    "main",
    "outputs_made_elsewhere",
    "record",
    "used_config",
]

NOT_A_CHECKOUT = "not a git checkout"
_MISSING = object()


class MissingConfigKeyError(KeyError):
    """A script reads a config key that its rule does not pass."""

    def __str__(self) -> str:  # KeyError would print the message as a repr
        return str(self.args[0])


class ConfigSlice(dict):
    """The keys of one config section a rule's script reads; ``path`` is the section.

    A plain ``dict`` to the script (and to Snakemake, which compares params by their
    ``repr`` to decide reruns); :func:`used_config` reads ``path`` to record the values
    under their full dotted keys.
    """

    def __init__(self, values: Mapping[str, Any], path: str):
        super().__init__(values)
        self.path = path
        self.read: set[str] = set()

    def plain(self) -> dict[str, Any]:
        """The values as a plain dict, without counting them as read."""
        return {key: dict.__getitem__(self, key) for key in dict.keys(self)}

    def unread(self) -> list[str]:
        """Dotted keys given but not read so far (a rule passing more than its script
        uses reruns for nothing when they change)."""
        return [f"{self.path}.{key}" for key in dict.keys(self) if key not in self.read]

    # reads are counted, so a job can say which given keys it never used
    def __getitem__(self, key):
        self.read.add(key)
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            raise MissingConfigKeyError(
                f"config key {self.path}.{key} is not passed to this rule (it passes "
                f"{sorted(dict.keys(self))} of {self.path}): add it to the rule's "
                "config_slice"
            ) from None

    def get(self, key, default=None):
        self.read.add(key)
        return dict.get(self, key, default)

    def __contains__(self, key) -> bool:
        self.read.add(key)
        return dict.__contains__(self, key)

    def __iter__(self):
        self.read.update(dict.keys(self))
        return dict.__iter__(self)

    def items(self):
        self.read.update(dict.keys(self))
        return dict.items(self)

    def values(self):
        self.read.update(dict.keys(self))
        return dict.values(self)

    def __reduce__(self):  # pickled into the job by Snakemake
        return (ConfigSlice, (self.plain(), self.path))


def lookup(config: Mapping[str, Any], dotted: str, default: Any = _MISSING) -> Any:
    """The value at ``dotted`` (``"networks.dw.width"``) in ``config``."""
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            if default is _MISSING:
                raise KeyError(dotted)
            return default
        node = node[part]
    return node


def config_slice(config: Mapping[str, Any], section: str, keys: Iterable[str] = ()) -> ConfigSlice:
    """The keys ``keys`` of ``config[section]`` (``section`` dotted), or all of it.

    A key that the section does not have raises ``KeyError`` naming it (a rule that asks
    for a key its config cannot hold is a workflow error, found at parse time).
    """
    node = lookup(config, section)
    if not isinstance(node, Mapping):
        raise KeyError(f"config key {section!r} is not a section")
    keys = list(keys) or list(node)
    missing = [key for key in keys if key not in node]
    if missing:
        raise KeyError(f"config section {section!r} has no key(s) {missing}")
    # sorted at every level: Snakemake compares params by their repr, so the order of
    # the keys in a config file must not rerun anything
    return ConfigSlice({key: _sorted(node[key]) for key in sorted(keys)}, section)


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _sorted(value[key]) for key in sorted(value)}
    return value


def flatten(values: Any, prefix: str) -> dict[str, Any]:
    """``{"a": {"b": 1}}`` under ``"s"`` -> ``{"s.a.b": 1}`` (lists stay values)."""
    if isinstance(values, Mapping):
        out: dict[str, Any] = {}
        for key, value in values.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: values}


def _jsonable(value: Any) -> Any:
    from .io import to_jsonable  # io imports this module

    return json.loads(json.dumps(to_jsonable(value), sort_keys=True))


def used_config(params: Any) -> dict[str, Any]:
    """The config values in a rule's params, by dotted key (``ConfigSlice`` and ``seed``)."""
    items = params.items() if hasattr(params, "items") else []
    flat: dict[str, Any] = {}
    for name, value in items:
        if isinstance(value, ConfigSlice):
            flat.update(flatten(value.plain(), value.path))
        elif name == "seed":
            flat["seed"] = value
    return _jsonable(flat)


def digest(obj: Any) -> str:
    """SHA-256 of ``obj`` as canonical JSON (sorted keys)."""
    text = json.dumps(_jsonable(obj), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


@functools.cache
def code_version() -> dict[str, str]:
    """Package version, git commit (``+dirty`` with uncommitted changes) and commit date.

    The commit date, not the time of the run, so that a rerun gives the same bytes.
    """
    from . import __version__

    root = Path(__file__).resolve().parents[2]
    out = {"version": __version__, "commit": NOT_A_CHECKOUT, "date": "unknown"}
    try:

        def git(*args: str) -> str:
            return subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, check=True
            ).stdout.strip()

        if git("rev-parse", "--show-toplevel") != str(root):
            return out  # the package is installed inside some other repository
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "workflow")
        out["commit"] = commit + ("+dirty" if dirty else "")
        out["date"] = git("log", "-1", "--format=%cI")
    except (OSError, subprocess.CalledProcessError):
        pass
    return out


def record(config: Mapping[str, Any], data: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The provenance record of an output made from ``config`` (dotted keys) and ``data``."""
    config = _jsonable(dict(config))
    return {
        "config": config,
        "config_digest": digest(config),
        **code_version(),
        "data": dict(sorted((data or {}).items())),
    }


def foreign_inputs(
    tables: Mapping[str, Mapping[str, Any] | None],
    config: Mapping[str, Any],
    data: Mapping[str, str] | None = None,
) -> list[str]:
    """Problems with input tables that were not made under ``config`` (and ``data``).

    ``tables``: path -> its stored record (``None`` when it has none). Each recorded
    config value must equal the value at the same key of ``config``; each recorded data
    digest must equal ``data``'s for that file, when the job reads data too.
    """
    problems = []
    for path, rec in tables.items():
        if not rec:
            problems.append(
                f"{path} carries no provenance record (made by an older version of the "
                "pipeline, or not by this pipeline)"
            )
            continue
        for key, stored in sorted(rec.get("config", {}).items()):
            try:
                current = _jsonable(lookup(config, key))
            except KeyError:
                current = "<not set>"
            if current != stored:
                problems.append(
                    f"{path} was made with {key} = {json.dumps(stored)}, but this run's "
                    f"config has {key} = {json.dumps(current)}"
                )
        if data:
            for name, stored in sorted(rec.get("data", {}).items()):
                if name in data and data[name] != stored:
                    problems.append(
                        f"{path} was made from another {name} (digest {stored[:12]}..., "
                        f"this run's file has {data[name][:12]}...)"
                    )
    return problems


def outputs_made_elsewhere(results: str | os.PathLike, config: Mapping[str, Any]) -> list[str]:
    """Figures and answers under ``results`` whose record disagrees with ``config``.

    (Before a report: a partial rebuild under another config must not be shown as if
    one config had made everything.)
    """
    from . import io, style

    results = Path(results)
    records: dict[str, Mapping[str, Any] | None] = {}
    for png in sorted((results / "figures").glob("*.png")):
        meta = style.read_metadata(png) or {}
        records[str(png)] = meta.get("provenance")
    for table in sorted(results.glob("answers*.parquet")) + sorted(
        (results / "answers").glob("**/*.parquet")
    ):
        records[str(table)] = io.read_provenance(table)
    return foreign_inputs(records, config)


def main(argv: list[str] | None = None) -> int:
    """``python -m dltheory.provenance --configfile F [--allow-mixed] RESULTS``."""
    import argparse

    from .pipeline import load_yaml

    parser = argparse.ArgumentParser(
        prog="python -m dltheory.provenance",
        description="List figures and answers under RESULTS not made by the config file.",
    )
    parser.add_argument("results", nargs="?", default="results")
    parser.add_argument("--configfile", default="config.yaml")
    parser.add_argument("--schema", default="workflow/schemas/config.schema.yaml")
    parser.add_argument("--allow-mixed", action="store_true", help="report them, exit 0")
    args = parser.parse_args(argv)
    with open(args.configfile) as handle:
        config = load_yaml(handle) or {}
    if Path(args.schema).exists():
        from snakemake.utils import validate  # fills the schema's defaults, as a run does

        validate(config, args.schema)
    problems = outputs_made_elsewhere(args.results, config)
    for line in problems:
        print(line)
    if problems and not args.allow_mixed:
        print(
            f"{len(problems)} output(s) under {args.results} were not made by "
            f"{args.configfile}: rebuild them (snakemake --forceall <targets> --configfile "
            f"{args.configfile}), or pass ALLOW_MIXED=1 to make report to show them anyway"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
