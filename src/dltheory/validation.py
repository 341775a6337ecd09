"""Validation of the workflow's config, with every error named by its config key.

:func:`config_errors` checks a config against the JSON schema
(workflow/schemas/config.schema.yaml) and then what a schema cannot say: finite numbers,
ordered ``{min, max, n}`` grids, matrix shapes (``saxe.exercise1.sigma_x`` symmetric
positive definite), keys that constrain each other (layer ranges within the depth, job
sizes within their counts, an IDX directory for the IDX source), sweeps whose length map
cannot start (sigma_w^2 + sigma_b^2 overflows), and activation names, which are checked
against the registry of :mod:`dltheory.activations` (the schema marks those values with
the keyword ``registered_activation: any`` or ``simulated``; a simulated network needs
an activation with a torch implementation). Whole numbers are integers: ``width: 200.0``
is refused with the key named (a float where the schema says integer would otherwise
reach a job as a float). :func:`validate_config` raises :class:`ConfigError` listing them
all. The Snakefile calls it before any job.

Config files are read strictly by :func:`read_config_file` (and
:func:`check_config_files`): a key given twice in one mapping is refused with its path and
both lines (YAML would keep the last silently), a syntax error names the file, line and
column. :func:`apply_config_args` re-reads nested ``--config`` values as YAML (Snakemake
reads their leaves as strings).
"""

from __future__ import annotations

import difflib
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from . import activations
from .pipeline import YAML_LOADER, load_yaml

__all__ = [
    "ACTIVATION_KEYWORD",
    "ConfigError",
    "activation_names",
    "apply_config_args",
    "check_config_files",
    "config_errors",
    "cross_key_errors",
    "load_schema",
    "read_config_file",
    "semantic_errors",
    "validate_config",
]

#: the schema keyword marking an activation name: ``any`` (the mean-field engine takes
#: every registered activation) or ``simulated`` (one with a torch implementation)
ACTIVATION_KEYWORD = "registered_activation"
ACTIVATION_KINDS = ("any", "simulated")


class ConfigError(ValueError):
    """The config breaks the schema or a semantic rule; the message lists every error."""


def load_schema(path: str | os.PathLike) -> dict:
    """The JSON schema (YAML) at ``path``."""
    with open(path) as fh:
        return load_yaml(fh)


def activation_names(kind: str) -> list[str]:
    """Registered activations of ``kind``: ``any`` or ``simulated`` (a torch version)."""
    if kind not in ACTIVATION_KINDS:
        raise ValueError(f"activation kind {kind!r}; allowed: {', '.join(ACTIVATION_KINDS)}")
    names = sorted(activations.names())
    if kind == "simulated":
        names = [n for n in names if _has_torch(activations.get(n))]
    return names


def _has_torch(activation) -> bool:
    return getattr(activation, "torch_phi", None) is not None


def _activation_keyword(validator, kind, instance, schema) -> Iterator:
    """The ``registered_activation:`` schema keyword: ``instance`` names a registered activation."""
    if not isinstance(instance, str):
        return  # the schema's `type: string` reports it
    try:
        activation = activations.get(instance)
    except (TypeError, ValueError) as err:
        if instance.startswith("leaky_relu:"):  # a bad slope: say what is wrong with it
            yield jsonschema.ValidationError(str(err))
        else:
            yield jsonschema.ValidationError(f"unknown activation {instance!r}")
        return
    if kind == "simulated" and not _has_torch(activation):
        yield jsonschema.ValidationError(
            f"activation {instance!r} has no torch implementation for a simulated network"
        )


def _is_integer(checker, instance) -> bool:
    """JSON Schema's ``integer`` as written: an int, not a whole float such as 200.0 (which
    draft 2020-12 would accept and a job would receive as a float)."""
    return isinstance(instance, int) and not isinstance(instance, bool)


def _validator(schema: Mapping) -> jsonschema.protocols.Validator:
    base = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(
        base,
        {ACTIVATION_KEYWORD: _activation_keyword},
        type_checker=base.TYPE_CHECKER.redefine("integer", _is_integer),
    )
    return cls(schema)


def _describe_rule(error: jsonschema.ValidationError) -> str:
    """What the failing schema keyword allows, in words."""
    kw, val = error.validator, error.validator_value
    if kw == ACTIVATION_KEYWORD:
        return "allowed values: " + ", ".join(activation_names(val))
    if kw == "enum":
        return "allowed values: " + ", ".join(map(str, val))
    if kw == "minimum":
        return f"allowed: a number >= {val}"
    if kw == "exclusiveMinimum":
        return f"allowed: a number > {val}"
    if kw in ("maximum", "exclusiveMaximum"):
        return f"allowed: a number {'<=' if kw == 'maximum' else '<'} {val}"
    if kw == "type":
        instance = error.instance
        if isinstance(instance, float) and math.isfinite(instance) and instance.is_integer():
            return f"allowed type: {val} (write {int(instance)}, without the decimal point)"
        return f"allowed type: {val}"
    if kw == "minItems":
        return f"allowed: a list of at least {val} item(s)"
    if kw == "required":
        return f"required keys: {', '.join(val)}"
    if kw == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in allowed]
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            if close:
                hints.append(f"did you mean '{close[0]}' for '{key}'?")
        return " ".join(hints + ["allowed keys: " + ", ".join(allowed)])
    return f"schema keyword {kw} = {val}"


def _non_finite(node: Any, path: tuple = ()) -> Iterator[tuple[str, float]]:
    """Config keys whose value is a NaN or an infinity (YAML .nan / .inf)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _non_finite(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _non_finite(value, (*path, i))
    elif isinstance(node, float) and not math.isfinite(node):
        yield ".".join(map(str, path)), node


def _ranges(node: Any, path: tuple = ()) -> Iterator[tuple[str, dict]]:
    """Every {min, max, n} grid of the config, with its key."""
    if isinstance(node, dict):
        if {"min", "max", "n"} <= set(node):
            yield ".".join(map(str, path)), node
        for key, value in node.items():
            yield from _ranges(value, (*path, key))


def semantic_errors(config: Mapping) -> list[str]:
    """What the JSON schema cannot say: finite numbers, ordered ranges, matrix shapes."""
    errors = [
        f"  config key '{key}': {value} is not a finite number; allowed: finite numbers only"
        for key, value in _non_finite(config)
    ]
    for key, grid in _ranges(config):
        if all(isinstance(grid[k], (int, float)) for k in ("min", "max")) and not (
            grid["min"] < grid["max"]
        ):
            errors.append(
                f"  config key '{key}': min = {grid['min']} is not below max = {grid['max']}; "
                "allowed: min < max"
            )
    ex = config.get("saxe", {}).get("exercise1", {})
    if "sigma_x" in ex and "sigma_yx" in ex:
        rows_x, rows_yx = ex["sigma_x"], ex["sigma_yx"]
        n_in = len(rows_yx[0]) if rows_yx else 0
        if any(len(r) != n_in for r in rows_yx):
            errors.append(
                "  config key 'saxe.exercise1.sigma_yx': rows of unequal length; "
                "allowed: a rectangular (outputs x inputs) matrix"
            )
        if any(len(r) != len(rows_x) for r in rows_x) or len(rows_x) != n_in:
            shape = f"{len(rows_x)}x{'/'.join(sorted({str(len(r)) for r in rows_x}))}"
            errors.append(
                f"  config key 'saxe.exercise1.sigma_x': a {shape} matrix; allowed: a square "
                f"{n_in}x{n_in} matrix (inputs x inputs, the columns of sigma_yx)"
            )
        else:
            errors += _covariance_errors("saxe.exercise1.sigma_x", rows_x)
    return errors + cross_key_errors(config) + _start_errors(config) + _smoothness_errors(config)


def _smoothness_errors(config: Mapping) -> list[str]:
    """The curvature recursion needs phi'' everywhere: a kinked activation is refused
    (the image of a circle has corners; dltheory.curvature refuses it too)."""
    name = config.get("geometry", {}).get("curvature", {}).get("activation")
    if not isinstance(name, str) or activations.get(name).smooth:
        return []
    smooth = ", ".join(n for n in activations.names() if activations.get(n).smooth)
    return [
        f"  config key 'geometry.curvature.activation': {name!r} is not twice differentiable "
        f"(the image of a circle has corners); allowed: {smooth}"
    ]


def _covariance_errors(key: str, rows: list) -> list[str]:
    """A square matrix of finite numbers must be symmetric positive definite (an input
    covariance: Euler dynamics on anything else diverge or fail in an SVD)."""
    import numpy as np

    try:
        a = np.array(rows, dtype=float)
    except (TypeError, ValueError):
        return []  # the schema reports non-numbers
    if not np.all(np.isfinite(a)):
        return []  # reported as non-finite
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    asym = float(np.max(np.abs(a - a.T))) if a.size else 0.0
    if asym > 1e-12 * scale:
        i, j = np.unravel_index(np.argmax(np.abs(a - a.T)), a.shape)
        return [
            f"  config key '{key}': not symmetric (entry [{i}][{j}] = {a[i, j]:g} but "
            f"[{j}][{i}] = {a[j, i]:g}); allowed: a symmetric positive definite matrix "
            "(an input covariance)"
        ]
    smallest = float(np.linalg.eigvalsh(a)[0]) if a.size else 0.0
    if not smallest > 1e-12 * scale:
        return [
            f"  config key '{key}': not positive definite (smallest eigenvalue "
            f"{smallest:.3g}); allowed: a symmetric positive definite matrix (an input "
            "covariance)"
        ]
    return []


def _get(config: Mapping, key: str) -> Any:
    """The value at a dotted key, or None where any part is missing."""
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: (key, key of the bound, what the bound is): a value that must be below another key
_BELOW = [
    (
        "networks.qstar_empirical.layer_min",
        "networks.qstar_empirical.depth",
        "q* is estimated from the layers layer_min..depth",
    ),
]
#: (job size, key of the list or count it splits): chunks of at most the whole
_CHUNKS = [
    ("networks.depth_scales.sigmas_per_job", "networks.depth_scales.sigma_w2"),
    ("trainability.seeds_per_job", "trainability.n_seeds"),
]


def cross_key_errors(config: Mapping) -> list[str]:
    """Constraints between keys, each error naming the key and the one that bounds it:
    layer ranges within the depth, job sizes within the count they split, and an IDX
    directory when the trainability data come from IDX files. Keys of the wrong type are
    the schema's to report and skipped here."""
    errors = []
    for key, bound_key, why in _BELOW:
        value, bound = _get(config, key), _get(config, bound_key)
        if _is_int(value) and _is_int(bound) and not value < bound:
            errors.append(
                f"  config key '{key}': {value} is not below {bound_key} = {bound} ({why}); "
                f"allowed: 0 <= {key.rsplit('.', 1)[1]} < {bound}"
            )
    for key, count_key in _CHUNKS:
        size, count = _get(config, key), _get(config, count_key)
        n = len(count) if isinstance(count, list) else count
        if _is_int(size) and _is_int(n) and size > n:
            what = (
                f"the {n} entries of {count_key}"
                if isinstance(count, list)
                else (f"{count_key} = {n}")
            )
            errors.append(
                f"  config key '{key}': {size} per job is more than {what}; allowed: 1 to {n}"
            )
    data = _get(config, "trainability.data")
    if isinstance(data, Mapping) and data.get("source") == "idx":
        idx_dir = data.get("idx_dir")
        if not (isinstance(idx_dir, str) and idx_dir.strip()):
            errors.append(
                f"  config key 'trainability.data.idx_dir': {idx_dir!r} with "
                "trainability.data.source = idx; allowed: the directory holding "
                "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte "
                "and t10k-labels-idx1-ubyte (each may end in .gz)"
            )
    return errors


def _sigma_values(node: Any, path: str) -> Iterator[tuple[str, float]]:
    """(key, value) of a sigma entry: a number, a list of numbers or a {min, max, n} grid
    (its max); names such as ``critical`` are skipped."""
    if isinstance(node, bool):
        return
    if isinstance(node, int | float):
        yield path, float(node)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _sigma_values(value, f"{path}.{i}")
    elif isinstance(node, Mapping) and isinstance(node.get("max"), int | float):
        yield f"{path}.max", float(node["max"])


def _start_errors(config: Any, path: tuple = ()) -> list[str]:
    """Sweeps whose length map cannot start: where the default start of q*,
    q0 = sigma_w^2 + sigma_b^2, overflows, q* is not a finite number (for a bounded phi it
    is at most that start). Every section with sigma_w (or sigma_w2, a variance) is
    checked against the largest sigma_b (sigma_b2) of the same section."""
    errors: list[str] = []
    if not isinstance(config, Mapping):
        return errors
    for key, value in config.items():
        if isinstance(value, Mapping):
            errors += _start_errors(value, (*path, key))
    here = ".".join(map(str, path))

    def overflow(key, value, name, squared):
        limit = "1.8e308" if squared else "1.3e154"
        return (
            f"  config key '{key}': {value:g} makes the start of the length map, "
            f"q0 = sigma_w^2 + sigma_b^2, overflow, so q* is not a finite number; "
            f"allowed: {name} below about {limit}"
        )

    for w_key, squared in (("sigma_w", False), ("sigma_w2", True)):
        if w_key not in config:
            continue
        b_key = "sigma_b2" if squared else "sigma_b"
        b2 = 0.0
        for key, b in _sigma_values(config.get(b_key, 0.0), f"{here}.{b_key}".lstrip(".")):
            b_sq = b if squared else b * b
            if math.isfinite(b) and not math.isfinite(b_sq):
                errors.append(overflow(key, b, b_key, squared))
            elif math.isfinite(b_sq):
                b2 = max(b2, b_sq)
        for key, w in _sigma_values(config[w_key], f"{here}.{w_key}".lstrip(".")):
            start = (w if squared else w * w) + b2
            if math.isfinite(w) and not math.isfinite(start):
                errors.append(overflow(key, w, w_key, squared))
    return errors


def config_errors(config: Mapping, schema: Mapping) -> list[str]:
    """Every error of ``config``, one line each naming its key: the schema's first; the
    semantic checks only when the schema passes (they assume its types)."""
    errors = sorted(_validator(schema).iter_errors(config), key=lambda e: list(e.path))
    lines = []
    for err in errors:
        key = ".".join(str(p) for p in err.absolute_path) or "<top level>"
        lines.append(f"  config key '{key}': {err.message}; {_describe_rule(err)}")
    return lines or semantic_errors(config)


def validate_config(config: Mapping, schema_path: str | os.PathLike) -> None:
    """Raise :class:`ConfigError` listing every error of ``config`` (see
    :func:`config_errors`) against the schema at ``schema_path``."""
    lines = config_errors(config, load_schema(schema_path))
    if lines:
        raise ConfigError(
            f"Invalid configuration ({len(lines)} error(s), checked against "
            f"{Path(schema_path)}):\n" + "\n".join(lines)
        )


# ------------------------------------------------------------------ strict config files


def _yaml_duplicates(node: Any, path: tuple = ()) -> Iterator[str]:
    """Keys given twice in one mapping of a composed YAML document, with both lines."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = key_node.value
                line = key_node.start_mark.line + 1
                if key in seen:
                    where = ".".join(map(str, path)) or "<top level>"
                    yield (
                        f"line {line}: key '{key}' appears twice in '{where}' (first at line "
                        f"{seen[key]}); the last would silently win; allowed: each key once"
                    )
                else:
                    seen[key] = line
                yield from _yaml_duplicates(value_node, (*path, key))
            else:
                yield from _yaml_duplicates(value_node, path)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _yaml_duplicates(item, (*path, i))


def _json_duplicates(text: str) -> list[str]:
    found = []

    def hook(pairs):
        keys = [k for k, _ in pairs]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            found.append(f"key '{key}' appears twice in one object; allowed: each key once")
        return dict(pairs)

    json.loads(text, object_pairs_hook=hook)
    return found


def read_config_file(path: str | os.PathLike) -> dict:
    """A config file (YAML, or JSON as Snakemake reads it) parsed strictly.

    Raises :class:`ConfigError` naming the file for: a file that cannot be read, a YAML
    syntax error (with its line and column), a key given twice in one mapping (with its
    path and both lines; plain YAML keeps the last value silently), a top level that is
    not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"Config file {path} cannot be read: {err}") from None
    try:  # JSON first, as Snakemake does
        data = json.loads(text)
    except ValueError:
        pass
    else:
        problems = _json_duplicates(text)
        if problems:
            raise ConfigError(f"Config file {path}:\n" + "\n".join(f"  {p}" for p in problems))
        if not isinstance(data, dict):
            raise ConfigError(f"Config file {path}: the top level must be a mapping of keys")
        return data
    try:
        loader = YAML_LOADER(text)
        try:  # one parse: the node (for duplicate keys, with lines) and its data
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        context = getattr(err, "context", None)
        detail = f"{problem} ({context})" if context else problem
        raise ConfigError(
            f"Config file {path}{where}: YAML syntax error: {detail}; "
            "mixing tabs and spaces in the indentation is a common cause"
        ) from None
    problems = list(_yaml_duplicates(node))
    if problems:
        raise ConfigError(
            f"Config file {path} ({len(problems)} error(s)):\n"
            + "\n".join(f"  {p}" for p in problems)
        )
    if not isinstance(data, dict):
        raise ConfigError(f"Config file {path}: the top level must be a mapping of keys")
    return data


def check_config_files(paths: Iterable[str | os.PathLike]) -> None:
    """:func:`read_config_file` on each file (each once, in order); :class:`ConfigError`
    listing the problems of every file that has any."""
    messages, done = [], set()
    for path in paths:
        resolved = Path(path).resolve()
        if resolved in done:
            continue
        done.add(resolved)
        try:
            read_config_file(path)
        except ConfigError as err:
            messages.append(str(err))
    if messages:
        raise ConfigError("\n".join(messages))


# ------------------------------------------------------------------------- --config


def _merge(config: MutableMapping, update: Mapping) -> None:
    """``update`` into ``config``, mappings key by key (as Snakemake merges configs)."""
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(config.get(key), MutableMapping):
            _merge(config[key], value)
        else:
            config[key] = value


def apply_config_args(config: MutableMapping, args: Iterable[str] | None) -> list[str]:
    """Re-read the nested values of ``--config key=value`` arguments as YAML.

    Snakemake reads a nested value such as ``qmap='{width: 50}'`` with every leaf a
    string (``width: '50'``); this parses it again as YAML (``width: 50``) and merges it
    over ``config`` as Snakemake merged it. Plain values (numbers, words) are left as
    Snakemake read them. Returns the keys re-read; raises :class:`ConfigError` naming the
    argument when a value that looks nested is not valid YAML.
    """
    done = []
    if isinstance(args, str):
        args = [args]
    for arg in args or ():
        if not isinstance(arg, str) or "=" not in arg:
            continue
        key, text = arg.split("=", 1)
        if not text.lstrip().startswith(("{", "[")):
            continue
        try:
            value = load_yaml(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" at column {mark.column + 1}" if mark else ""
            raise ConfigError(
                f"--config {arg}: not valid YAML{where}; write a nested value as a YAML flow "
                f'mapping, e.g. --config "{key}={{width: 50, sigma_b: 0.3}}", or put it in '
                "a file passed with --configfile"
            ) from None
        if isinstance(value, Mapping | list):
            _merge(config, {key: value})
            done.append(key)
    return done
