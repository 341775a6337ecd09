"""Argument checks shared by the theory functions: numbers only where numbers are meant.

numpy turns the string ``"1.5"`` into 1.5 and ``True`` into 1.0 without a word; a
theory function called with either would return a figure's worth of numbers for an
argument nobody meant. :func:`real` refuses them (and complex numbers, ``None`` and
other objects) with a ``TypeError`` naming the argument; every public function of the
mean-field and isometry modules passes its numerical arguments through it.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["integer", "real", "real_scalar"]

_NOT_NUMBERS = (str, bytes, bool, np.bool_)


def _describe(value) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _offending(value):
    """The first string, boolean or non-real item of a (nested) list or tuple, or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, _NOT_NUMBERS) or not isinstance(item, numbers.Real | np.ndarray):
            return item
    return None


def real(value, name: str, what: str = "a real number or an array of real numbers") -> np.ndarray:
    """``value`` as a float array, if it is a real number or an array (or nested list) of
    them; ``TypeError`` naming ``name`` for strings, booleans, complex numbers, ``None`` and
    other objects. Non-finite values pass (each caller says which it allows)."""
    bad = None
    if isinstance(value, _NOT_NUMBERS):
        bad = value
    elif isinstance(value, list | tuple):
        bad = _offending(value)
    if bad is None:
        arr = np.asarray(value)
        if arr.dtype.kind in "iuf":
            return arr.astype(float, copy=False)
        if arr.dtype.kind == "O" and all(
            isinstance(v, numbers.Real) and not isinstance(v, _NOT_NUMBERS) for v in arr.flat
        ):
            return arr.astype(float)
        bad = (
            value
            if arr.dtype.kind != "O"
            else next(
                (
                    v
                    for v in arr.flat
                    if not isinstance(v, numbers.Real) or isinstance(v, _NOT_NUMBERS)
                ),
                value,
            )
        )
    raise TypeError(f"{name} must be {what}, got {_describe(bad)}")


def real_scalar(value, name: str, what: str = "a real number") -> float:
    """A single real number (see :func:`real`) as a float; ``TypeError`` otherwise."""
    arr = real(value, name, what)
    if arr.size != 1:
        raise TypeError(f"{name} must be {what}, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def integer(value, name: str, minimum: int | None = None) -> int:
    """A whole number as an int (an integer-valued float such as 3.0 counts); ``TypeError``
    naming ``name`` for strings, booleans and fractions, ``ValueError`` below ``minimum``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, _NOT_NUMBERS):
        out = int(value)
    else:
        x = real_scalar(value, name, "a whole number")
        if not (np.isfinite(x) and x == np.floor(x)):
            raise TypeError(f"{name} must be a whole number, got {_describe(value)}")
        out = int(x)
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {out}")
    return out
