"""Legibility: legends and notes off the data (dltheory.style.check_overlaps)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dltheory import style


def _points_figure():
    fig, ax = style.figure()
    x = np.linspace(0.0, 1.0, 21)
    ax.plot(x, x, "o", label="points")
    ax.plot(x, 1 - x, "-", label="curve")
    return fig, ax


def test_legend_over_points_is_reported_and_one_beside_them_is_not():
    fig, ax = _points_figure()
    ax.legend(loc="upper left")  # the points run from lower left to upper right
    ax.set_ylim(-0.05, 1.05)
    assert style.check_overlaps(fig) == []
    ax.legend(loc="lower right")  # over the curve only, lines are not points
    assert style.check_overlaps(fig) == []
    ax.legend(loc="center")
    problems = style.check_overlaps(fig)
    assert any("legend covers" in p for p in problems), problems


def test_a_label_or_legend_cut_at_the_figures_edge_is_reported():
    fig, ax = _points_figure()
    ax.set_ylabel("a long axis label")
    assert style.check_overlaps(fig) == []
    ax.set_position([0.0, 0.1, 0.9, 0.8])  # the tick labels and the axis label off the left
    fig.set_layout_engine("none")
    problems = style.check_overlaps(fig)
    assert any("'a long axis label' is cut at the figure's edge" in p for p in problems)
    fig, ax = _points_figure()
    ax.legend(loc="upper left", bbox_to_anchor=(-0.6, 1.0))
    assert any("legend is cut" in p for p in style.check_overlaps(fig))


def test_note_over_points_image_or_text_is_reported():
    fig, ax = _points_figure()
    style.caption(ax, "a note\nof two lines", loc="lower right")
    assert style.check_overlaps(fig) == []
    ax.text(0.5, 0.5, "over the points", transform=ax.transAxes)
    assert any("covers" in p for p in style.check_overlaps(fig))

    fig, ax = style.figure()
    ax.imshow(np.arange(16.0).reshape(4, 4))
    style.caption(ax, "note on the image")
    assert any("over an image" in p for p in style.check_overlaps(fig))

    fig, ax = style.figure()
    ax.set_xlabel("x label")
    ax.text(0.5, -0.12, "note on the label", transform=ax.transAxes, ha="center")
    problems = style.check_overlaps(fig)
    assert any("overlaps axes 0 label" in p for p in problems), problems

    fig, ax = style.figure()
    ax.text(0.1, 0.5, "first note", transform=ax.transAxes)
    ax.text(0.15, 0.5, "second note", transform=ax.transAxes)
    assert any("overlaps axes 0 note" in p for p in style.check_overlaps(fig))


def test_axis_labels_of_neighbouring_panels_may_not_collide():
    fig, (left, right) = style.figure(ncols=2, width=2.0)
    left.set_xlabel("a short label")
    right.set_xlabel("another")
    assert style.check_overlaps(fig) == []
    left.set_xlabel("a label far too long for its panel, running into the next one's")
    problems = style.check_overlaps(fig)
    assert any("overlaps axes 1 label" in p for p in problems), problems


def test_scatter_errorbar_and_bars_are_points():
    for draw in (
        lambda ax: ax.scatter([0.5], [0.5], s=30),
        lambda ax: ax.errorbar([0.5], [0.5], yerr=[0.1], fmt="none", capsize=3),
        lambda ax: ax.bar([0.5], [0.5], width=0.2),
    ):
        fig, ax = style.figure()
        draw(ax)
        ax.set(xlim=(0, 1), ylim=(0, 1))
        assert style.check_overlaps(fig) == []
        ax.text(0.5, 0.5, "here", transform=ax.transAxes, ha="center", va="center")
        assert style.check_overlaps(fig), draw


def test_save_warns_or_raises_on_overlap(tmp_path):
    fig, ax = _points_figure()
    ax.legend(loc="center")
    with pytest.warns(style.FigureOverlapWarning, match="covers"):
        style.save(fig, [tmp_path / "a.png"], overlap="warn")
    assert (tmp_path / "a.png").exists()
    fig, ax = _points_figure()
    ax.legend(loc="center")
    with pytest.raises(style.FigureOverlapError, match="covers"):
        style.save(fig, [tmp_path / "b.png"], overlap="error")
    assert not (tmp_path / "b.png").exists()
    fig, _ = _points_figure()
    with pytest.raises(ValueError, match="overlap='loud'.*'warn', 'error'"):
        style.save(fig, [tmp_path / "c.png"], overlap="loud")
    assert not (tmp_path / "c.png").exists()


def test_titles_are_checked_through_public_api():
    """Left/right axes titles and the figure title take part in the overlap check."""
    fig, axes = style.figure(ncols=2, width=1.2)
    for ax in axes:
        ax.set_title("a long left title that runs on and on", loc="left")
    assert any("label 'a long left title" in p for p in style.check_overlaps(fig))
    fig, ax = style.figure()
    assert style._suptitle(fig) is None
    title = fig.suptitle("the whole figure")
    assert style._suptitle(fig) is title
    assert len(style._axes_titles(ax)) == 3  # centre, left, right


def test_no_private_matplotlib_attributes_in_style_or_scripts():
    """``fig._suptitle``-style private attributes change between matplotlib releases."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [
        root / "src" / "dltheory" / "style.py",
        *sorted((root / "workflow" / "scripts").glob("*.py")),
    ]
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not (
                    node.attr.startswith("__")
                    or isinstance(node.value, ast.Name)
                    and node.value.id in {"style", "io", "seeds"}
                )
            ):
                found.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert not found, found


def figure_ids(workflow_dir, configfile) -> list[str]:
    """The figures of `rule all` (those that exist), from a dry run."""
    from conftest import run_snakemake

    out = run_snakemake(workflow_dir, "-n", "--forceall", "all", "--configfile", configfile).stdout
    return sorted(set(re.findall(r"results/figures/([a-z0-9_]+)\.png", out)))


def test_nan_error_bars_are_skipped():
    # one net per setting gives NaN s.d.: the bar draws nothing and is not a point
    fig, ax = style.figure()
    ax.errorbar([0.2, 0.8], [0.2, 0.8], yerr=[np.nan, 0.1], fmt="o")
    assert style.check_overlaps(fig) == []


def test_report_front_page_renders_cleanly():
    # the global description (Snakefile `report:`) goes through jinja, then docutils
    # with LaTeX math: no template error, no docutils warning, no unknown LaTeX command
    import io

    import jinja2
    from conftest import ROOT
    from docutils.core import publish_parts

    text = (ROOT / "workflow" / "report" / "workflow.rst").read_text()
    rendered = jinja2.Environment().from_string(text).render()
    warnings = io.StringIO()
    html = publish_parts(rendered, writer="html", settings_overrides={"warning_stream": warnings})[
        "html_body"
    ]
    assert not warnings.getvalue(), warnings.getvalue()
    assert "Derivation 1" in html and "Derivation 2" in html
    assert 'class="unknown"' not in html and "problematic" not in html
    assert 'report: "workflow/report/workflow.rst"' in (ROOT / "Snakefile").read_text()
