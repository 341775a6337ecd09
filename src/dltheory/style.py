"""One plotting style for every figure, and deterministic PNG + PDF output.

Figures carry no timestamps or software strings in their metadata, so the same data
produce the same bytes. Both formats are written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .io import atomic_path  # noqa: E402

#: Colours for the three regimes used across the sheets (ordered, critical, chaotic) and
#: for generic series; colour-blind safe (Okabe-Ito).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
REGIME_COLOURS = {"ordered": "#0072B2", "critical": "#000000", "chaotic": "#D55E00"}

RC = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "lines.linewidth": 1.5,
    "image.cmap": "viridis",
    "svg.hashsalt": "dltheory",
    "pdf.fonttype": 42,
}


def apply() -> None:
    """Apply the shared rc settings (call once per plotting script)."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    plt.rcParams.update(RC)


def figure(ncols: int = 1, nrows: int = 1, width: float = 3.4, height: float = 3.0, **kwargs):
    """``plt.subplots`` with panel size in inches per panel and the shared style."""
    apply()
    return plt.subplots(
        nrows, ncols, figsize=(width * ncols, height * nrows), constrained_layout=True, **kwargs
    )


def save(fig, outputs: Iterable[str | os.PathLike]) -> list[Path]:
    """Save ``fig`` to every path in ``outputs`` (format from the suffix), atomically.

    PNG and PDF metadata are stripped of dates and software versions for byte-identical
    reruns.
    """
    written = []
    for out in outputs:
        out = Path(out)
        fmt = out.suffix.lstrip(".").lower()
        if fmt == "png":
            metadata = {"Software": None}
        elif fmt == "pdf":
            metadata = {"Creator": None, "Producer": None, "CreationDate": None}
        else:
            metadata = {}
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format=fmt, metadata=metadata)
        written.append(out)
    plt.close(fig)
    return written


def caption(ax, text: str, loc: str = "lower right") -> None:
    """Small in-axes note (tolerances, seeds, widths) so a figure states what it assumes."""
    x, ha = (0.98, "right") if "right" in loc else (0.02, "left")
    y, va = (0.02, "bottom") if "lower" in loc else (0.98, "top")
    # a light box keeps the note legible over images and dense data
    box = {"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.5}
    ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=7, color="0.25", bbox=box)


def iteration_panel(ax, theory, simulation, value: str, start: str, star: str, ms: float = 3):
    """One panel of a map iterated against simulation (Poole et al. Figs. 1B, 2B).

    ``theory``/``simulation``: tidy tables of one setting with columns ``layer``, ``value``
    and ``start`` (the initial q^0 or c^0 of each curve); ``star``: the theory column of
    the fixed point, drawn dashed. One colour per start: line = map, dots = simulated mean.
    """
    groups = theory.groupby(start, sort=True)
    for colour, (x0, curve) in zip(PALETTE, groups, strict=False):
        ax.plot(curve["layer"], curve[value], color=colour, label=f"${value}^0={x0:g}$")
        dots = simulation[simulation[start] == x0].groupby("layer")[value].mean()
        ax.plot(dots.index, dots, "o", ms=ms, color=colour)
    ax.axhline(theory[star].iloc[0], color="0.5", ls="--", lw=1)
