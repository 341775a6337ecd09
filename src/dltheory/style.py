"""One plotting style for every figure, and deterministic PNG + PDF output.

Figures carry no timestamps or software strings in their metadata, so the same data
produce the same bytes. Both formats are written atomically. Before saving,
:func:`check_overlaps` looks for legends and notes drawn over data points, images or other
text; :func:`save` warns (:class:`FigureOverlapWarning`, into the rule's log) or, with
``overlap="error"`` (the figure test sets the config key ``figure_overlap: error``), raises.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection, QuadMesh  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.image import AxesImage, imsave  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from . import activations  # noqa: E402
from .depth import phase  # noqa: E402
from .io import atomic_path  # noqa: E402

__all__ = [
    "PALETTE",
    "REGIME_COLOURS",
    "RC",
    "FigureOverlapError",
    "FigureOverlapWarning",
    "OVERLAP_MODES",
    "activation_name",
    "apply",
    "caption",
    "check_overlaps",
    "figure",
    "figure_texts",
    "iteration_legend",
    "iteration_panel",
    "METADATA_KEY",
    "read_metadata",
    "regime_colours",
    "save",
]

#: Colours for the three regimes used across the sheets (ordered, critical, chaotic) and
#: for generic series; colour-blind safe (Okabe-Ito, plus Tol's wine #882255), no yellow
#: on white (the orange #E69F00 only as the eighth series).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#000000", "#882255", "#E69F00"]


def regime_colours(chi1s) -> list[str]:
    """One colour per setting: its phase's colour (:data:`REGIME_COLOURS`, the phase from
    :func:`dltheory.depth.phase`) for the first setting of each phase, then the rest of the
    palette (so two ordered settings are still told apart)."""
    spare = [c for c in PALETTE if c not in REGIME_COLOURS.values()]
    used, out = set(), []
    for chi1 in chi1s:
        name = phase(chi1)
        out.append(REGIME_COLOURS[name] if name not in used else spare.pop(0))
        used.add(name)
    return out


def activation_name(activation) -> str:
    """How an activation (a registry name, e.g. ``hard_tanh``, or object) is written in a
    figure: its :attr:`~dltheory.activations.Activation.label`."""
    return activations.get(activation).label


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
    plt.rcParams.update(RC)


def figure(ncols: int = 1, nrows: int = 1, width: float = 3.4, height: float = 3.0, **kwargs):
    """``plt.subplots`` with panel size in inches per panel and the shared style."""
    apply()
    return plt.subplots(
        nrows, ncols, figsize=(width * ncols, height * nrows), constrained_layout=True, **kwargs
    )


class FigureOverlapWarning(UserWarning):
    """A legend or note covers data points, an image or another text."""


class FigureOverlapError(RuntimeError):
    """Raised by :func:`save` for overlaps when called with ``overlap="error"``."""


#: the values of :func:`save`'s ``overlap`` argument
OVERLAP_MODES = ("warn", "error")
#: the PNG text key (the PDF uses its Subject) holding a figure's provenance and texts
METADATA_KEY = "dltheory"
#: the width (px) of a figure's PNG at least: legible on a slide or a projector
PNG_WIDTH = 1600


def _axes_titles(ax) -> list:
    """The centre, left and right title artists of ``ax``.

    Public API only: they are the :class:`~matplotlib.text.Text` children of the axes that
    are not among ``ax.texts`` (the notes added with ``ax.text``/``ax.annotate``).
    """
    notes = ax.texts
    return [c for c in ax.get_children() if isinstance(c, Text) and not any(c is n for n in notes)]


def _suptitle(fig):
    """The artist of ``fig.suptitle`` (``None`` without one).

    ``suptitle`` draws a figure text, so it is the text of ``fig.texts`` whose string is
    ``fig.get_suptitle()``.
    """
    title = fig.get_suptitle()
    if not title.strip():
        return None
    return next((t for t in fig.texts if t.get_text() == title), None)


def _boxes(fig, renderer):
    """(name, Bbox) of every legend and in-axes/figure note, in display pixels."""
    out = []
    for i, ax in enumerate(fig.axes):
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            out.append((f"axes {i} legend", legend.get_window_extent(renderer), ax))
        for text in ax.texts:
            if text.get_visible() and text.get_text().strip():
                box = text.get_window_extent(renderer)
                patch = text.get_bbox_patch()
                if patch is not None:
                    box = Bbox.union([box, patch.get_window_extent(renderer)])
                out.append((f"axes {i} note {text.get_text()[:30]!r}", box, ax))
    for j, legend in enumerate(fig.legends):
        if legend.get_visible():
            out.append((f"figure legend {j}", legend.get_window_extent(renderer), None))
    for text in fig.texts:
        if text.get_visible() and text.get_text().strip():
            out.append(
                (f"figure note {text.get_text()[:30]!r}", text.get_window_extent(renderer), None)
            )
    return out


def _labels(fig, renderer):
    """(name, Bbox) of tick labels, axis labels and titles of every axes."""
    out = []
    for i, ax in enumerate(fig.axes):
        texts = [ax.xaxis.label, ax.yaxis.label, *_axes_titles(ax)]
        frame = ax.get_window_extent(renderer)
        for axis, lo, hi, centre in (
            (ax.xaxis, frame.x0, frame.x1, lambda b: 0.5 * (b.x0 + b.x1)),
            (ax.yaxis, frame.y0, frame.y1, lambda b: 0.5 * (b.y0 + b.y1)),
        ):
            # only the labels drawn: those of ticks inside the axes
            for label in axis.get_ticklabels(which="both"):
                if lo - 1 <= centre(label.get_window_extent(renderer)) <= hi + 1:
                    texts.append(label)
        for text in texts:
            if text.get_visible() and text.get_text().strip():
                box = text.get_window_extent(renderer)
                out.append((f"axes {i} label {text.get_text()[:20]!r}", box))
    return out


def _data_points(ax, renderer):
    """Display coordinates (n, 2) and pixel radii (n,) of the plotted points of ``ax``.

    Points: line markers (errorbar points and caps included), error bars (sampled every
    2 pixels), scatter offsets, and the tops of bars; only those inside the axes are kept.
    """
    scale = ax.figure.dpi / 72.0
    xy, radius = [np.empty((0, 2))], [np.empty(0)]
    for line in ax.lines:
        marker = line.get_marker()
        if not line.get_visible() or marker in (None, "None", "", " ", ","):
            continue
        pts = line.get_transform().transform(np.column_stack(line.get_data(orig=False)))
        xy.append(pts)
        radius.append(np.full(len(pts), 0.5 * line.get_markersize() * scale))
    for coll in ax.collections:
        if isinstance(coll, PathCollection) and coll.get_visible():
            offsets = coll.get_offsets()
            if len(offsets):
                pts = coll.get_offset_transform().transform(offsets)
                sizes = coll.get_sizes()
                r = 0.5 * np.sqrt(sizes if len(sizes) else [36.0]) * scale
                xy.append(pts)
                radius.append(np.resize(r, len(pts)))
    for container in ax.containers:
        if isinstance(container, BarContainer):
            for patch in container.patches:
                if patch.get_visible() and patch.get_height() != 0:
                    box = patch.get_window_extent(renderer)
                    top = box.y1 if patch.get_height() > 0 else box.y0
                    xy.append([[0.5 * (box.x0 + box.x1), top]])
                    radius.append([0.5 * box.width])
        if isinstance(container, ErrorbarContainer):
            for coll in container.lines[2]:
                if not coll.get_visible():
                    continue
                for seg in coll.get_segments():
                    if len(seg) < 2:
                        continue  # a NaN error bar draws nothing
                    a, b = coll.get_transform().transform(np.asarray(seg)[[0, -1]])
                    n = int(np.hypot(*(b - a)) // 2) + 2
                    xy.append(a + np.linspace(0.0, 1.0, n)[:, None] * (b - a))
                    radius.append(np.full(n, 0.5 * coll.get_linewidth()[0] * scale))
    xy, radius = np.concatenate(xy), np.concatenate(radius)
    ok = np.all(np.isfinite(xy), axis=1)
    frame = ax.get_window_extent(renderer)
    inside = ok & (xy[:, 0] >= frame.x0 - 1) & (xy[:, 0] <= frame.x1 + 1)
    inside &= (xy[:, 1] >= frame.y0 - 1) & (xy[:, 1] <= frame.y1 + 1)
    return xy[inside], radius[inside]


def _images(ax, renderer):
    """Bboxes of images and colour meshes drawn in ``ax`` (data everywhere inside)."""
    out = []
    for artist in list(ax.images) + [c for c in ax.collections if isinstance(c, QuadMesh)]:
        if isinstance(artist, AxesImage | QuadMesh) and artist.get_visible():
            box = artist.get_window_extent(renderer)
            out.append(Bbox.intersection(box, ax.get_window_extent(renderer)) or box)
    return out


def check_overlaps(fig, pad: float = 1.0, *, draw: bool = True) -> list[str]:
    """Overlaps of legends and notes with data points, images and other text in ``fig``.

    Draws the figure (so constrained layout has placed everything) and compares window
    extents in display pixels: a legend or note box (``ax.legend``, ``ax.text`` such as
    :func:`caption`, ``fig.legend``, ``fig.text``) must not contain a plotted point (line
    markers, scatter points, error-bar points and caps, bar tops; a point counts when its
    marker disc reaches into the box), must not lie over an image or colour mesh, and must
    not intersect another box, a tick label, an axis label or a title; axis labels and
    titles of different panels must not intersect each other; no box, tick label, axis
    label or title may be cut at the figure's edge. Lines without
    markers (theory curves) are not points. Returns one sentence per overlap (empty if
    none). ``pad`` shrinks each box by that many pixels (anti-aliasing slack). With
    ``draw=False`` the figure as last drawn on its canvas is checked (:func:`save` checks
    the rendering it writes to the PNG).
    """
    if draw:
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = _boxes(fig, renderer)
    problems = []
    for name, box, owner in boxes:
        inner = Bbox.from_extents(box.x0 + pad, box.y0 + pad, box.x1 - pad, box.y1 - pad)
        axes = [owner] if owner is not None else fig.axes
        for ax in axes:
            xy, r = _data_points(ax, renderer)
            if len(xy):
                dx = np.maximum(np.maximum(inner.x0 - xy[:, 0], xy[:, 0] - inner.x1), 0.0)
                dy = np.maximum(np.maximum(inner.y0 - xy[:, 1], xy[:, 1] - inner.y1), 0.0)
                hit = np.hypot(dx, dy) < r
                if hit.any():
                    problems.append(f"{name} covers {int(hit.sum())} data point(s)")
            for image in _images(ax, renderer):
                if inner.overlaps(image):
                    problems.append(f"{name} lies over an image")
        for other, obox in _labels(fig, renderer):
            if inner.overlaps(obox):
                problems.append(f"{name} overlaps {other}")
    for i, (name, box, _owner) in enumerate(boxes):
        for other, obox, _ in boxes[i + 1 :]:
            if box.overlaps(obox):
                problems.append(f"{name} overlaps {other}")
    # nothing a reader needs may run off the figure (a label cut at the edge)
    page = fig.bbox
    for name, box, _owner in boxes:
        if _outside(box, page, pad):
            problems.append(f"{name} is cut at the figure's edge")
    titles = _titles(fig, renderer)
    for name, box in dict([*_labels(fig, renderer), *titles]).items():
        if _outside(box, page, pad):
            problems.append(f"{name} is cut at the figure's edge")
    # axis labels and titles of neighbouring panels must not run into each other
    for i, (name, box) in enumerate(titles):
        for other, obox in titles[i + 1 :]:
            if name.split(" label")[0] != other.split(" label")[0] and box.overlaps(obox):
                problems.append(f"{name} overlaps {other}")
    return problems


def _outside(box, page, pad: float) -> bool:
    """Whether ``box`` reaches more than ``pad`` pixels beyond the figure ``page``."""
    return (
        box.x0 < page.x0 - pad
        or box.y0 < page.y0 - pad
        or box.x1 > page.x1 + pad
        or box.y1 > page.y1 + pad
    )


def _titles(fig, renderer):
    """(name, Bbox) of the axis labels and titles of every axes, and the figure's title."""
    out = []
    for i, ax in enumerate(fig.axes):
        for text in (ax.xaxis.label, ax.yaxis.label, *_axes_titles(ax)):
            if text.get_visible() and text.get_text().strip():
                out.append(
                    (f"axes {i} label {text.get_text()[:20]!r}", text.get_window_extent(renderer))
                )
    suptitle = _suptitle(fig)
    if suptitle is not None and suptitle.get_visible():
        out.append(("figure title", suptitle.get_window_extent(renderer)))
    return out


def figure_texts(fig) -> list[str]:
    """The words of a figure a reader sees besides tick labels: titles, axis labels,
    legend entries and titles, notes and the figure's own texts, in drawing order."""
    found: list[str] = []

    def add(text) -> None:
        if text is not None and text.get_visible() and text.get_text().strip():
            found.append(text.get_text())

    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            if ax.get_title(loc):
                found.append(ax.get_title(loc))
        add(ax.xaxis.label)
        add(ax.yaxis.label)
        for text in ax.texts:
            add(text)
        legend = ax.get_legend()
        if legend is not None:
            add(legend.get_title())
            for text in legend.get_texts():
                add(text)
    for text in fig.texts:
        add(text)
    for legend in fig.legends:
        add(legend.get_title())
        for text in legend.get_texts():
            add(text)
    return found


def save(
    fig,
    outputs: Iterable[str | os.PathLike],
    *,
    overlap: str = "warn",
    check: bool = True,
    metadata: dict | None = None,
) -> list[Path]:
    """Save ``fig`` to every path in ``outputs`` (format from the suffix), atomically.

    PNG and PDF metadata are stripped of dates and software versions (the PDF's
    ``CreationDate`` is left out through ``savefig(metadata=...)``) for byte-identical
    reruns. With ``check``, :func:`check_overlaps` runs first; what an overlap does is
    ``overlap``: ``"warn"`` a :class:`FigureOverlapWarning` (logged by the rule),
    ``"error"`` a :class:`FigureOverlapError` and nothing written. A workflow script
    passes ``overlap=job.figure_overlap`` (the config key ``figure_overlap``).
    ``metadata`` (JSON-able) goes into the PNG text chunk :data:`METADATA_KEY` and the
    PDF's ``Subject``; :func:`read_metadata` reads it back.
    """
    if overlap not in OVERLAP_MODES:
        raise ValueError(
            f"style.save: overlap={overlap!r}; allowed: " + ", ".join(map(repr, OVERLAP_MODES))
        )
    outputs = list(outputs)
    # One rendering serves the check and the PNG: the figure laid out and rasterised at the
    # PNG's resolution, as savefig does (a layout pass, then the drawing without one), and
    # the PNG written from those pixels; checking on a drawing of its own and then saving
    # drew it once more (about a third of a second per figure).
    png_dpi = max(plt.rcParams["savefig.dpi"], np.ceil(PNG_WIDTH / fig.get_figwidth()))
    pixels = None
    if any(Path(out).suffix.lower() == ".png" for out in outputs):
        dpi = fig.dpi
        fig.set_dpi(png_dpi)
        try:
            # two layout passes, as checking and then saving made: constrained layout
            # settles in the second (one pass cut a colour-bar figure's axis label)
            fig.draw_without_rendering()
            fig.canvas.draw()
            if check:
                problems = check_overlaps(fig, draw=False)
            pixels = np.array(fig.canvas.buffer_rgba())
        finally:
            fig.set_dpi(dpi)
    elif check:
        problems = check_overlaps(fig)
    if check:
        if problems:
            message = f"{', '.join(map(str, outputs))}: " + "; ".join(problems)
            if overlap == "error":
                plt.close(fig)
                raise FigureOverlapError(message)
            warnings.warn(message, FigureOverlapWarning, stacklevel=2)
    # what made the figure (dltheory.provenance) and its words, as JSON in the file
    extra = json.dumps(metadata, sort_keys=True) if metadata else None
    written = []
    for out in outputs:
        out = Path(out)
        fmt = out.suffix.lstrip(".").lower()
        if fmt == "png":
            info = {"Software": None}
            if extra:
                info[METADATA_KEY] = extra
        elif fmt == "pdf":
            info = {"Creator": None, "Producer": None, "CreationDate": None}
            if extra:
                info["Subject"] = extra
        else:
            info = {}
        with atomic_path(out) as tmp:
            # PNGs for slides: PNG_WIDTH px wide (the wider figures stay at savefig.dpi);
            # PDFs at savefig.dpi
            if fmt == "png":
                imsave(tmp, pixels, format="png", origin="upper", dpi=png_dpi, metadata=info)
            else:
                fig.savefig(tmp, format=fmt, metadata=info)
        written.append(out)
    plt.close(fig)
    return written


def read_metadata(path: str | os.PathLike) -> dict | None:
    """The metadata :func:`save` wrote into a PNG (``None`` if none)."""
    from PIL import Image

    with Image.open(path) as image:
        raw = image.text.get(METADATA_KEY) if hasattr(image, "text") else None
    return json.loads(raw) if raw else None


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


def iteration_legend(fig, ax, value: str, map_name: str, net_label: str, ms: float = 3) -> None:
    """Figure legend under the panels of :func:`iteration_panel`: the starts (from ``ax``),
    then what line, dot and dashed line are (``map_name`` map, ``net_label``, fixed point)."""
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="0.3"),
        Line2D([], [], ls="none", marker="o", ms=ms, color="0.3"),
        Line2D([], [], color="0.5", ls="--", lw=1),
    ]
    labels += [f"{map_name} iterated", net_label, rf"fixed point ${value}^*$"]
    # below the panels: the curves fill every corner
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 8))
