"""Validation of the workflow's config, with every error named by its config key.

:func:`config_errors` checks a config against the JSON schema
(workflow/schemas/config.schema.yaml) and then what a schema cannot say: finite numbers,
ordered ``{min, max, n}`` grids, matrix shapes, and activation names, which are checked
against the registry of :mod:`dltheory.activations` (the schema marks those values with
the keyword ``registered_activation: any`` or ``simulated``; a simulated network needs
an activation with a torch implementation). :func:`validate_config` raises
:class:`ConfigError` listing them all. The Snakefile calls it before any job.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from . import activations

__all__ = [
    "ACTIVATION_KEYWORD",
    "ConfigError",
    "activation_names",
    "config_errors",
    "load_schema",
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
        return yaml.safe_load(fh)


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
    except ValueError:
        yield jsonschema.ValidationError(f"unknown activation {instance!r}")
        return
    if kind == "simulated" and not _has_torch(activation):
        yield jsonschema.ValidationError(
            f"activation {instance!r} has no torch implementation for a simulated network"
        )


def _validator(schema: Mapping) -> jsonschema.protocols.Validator:
    base = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(base, {ACTIVATION_KEYWORD: _activation_keyword})
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
