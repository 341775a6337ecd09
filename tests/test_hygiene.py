"""Code, config, captions and README say what things do, not where a change came from.

Tracker references (an issue number, a numbered defect) and notes about who looked at the
code and when mean nothing to a reader of a clone and go stale; they are kept in the
tracker and the commit messages. The scan covers every tracked text file of the project
and the files not yet tracked under src/, tests/, workflow/ and benchmarks/.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

#: what to read: sources, rules, config, captions, docs and the CI/Make entry points
SUFFIXES = {".py", ".smk", ".yaml", ".yml", ".rst", ".md", ".toml", ".cfg", ".txt", ".sh"}
NAMES = {"Makefile", "Snakefile", "run"}
#: generated, pinned or not ours to word
SKIP = {"requirements.lock"}
NEW_FILE_DIRS = ["src", "tests", "workflow", "benchmarks"]

FORBIDDEN = [  # (a letter in brackets keeps each pattern from matching its own source)
    (r"\bissues?\s*#?\s*\d+", "a tracker number"),
    (r"\(\s*issues?\b", "a tracker reference"),
    (r"(?<![a-z])the[\s_]+iss[u]e(?:'s)?(?![a-z])", "a tracker reference"),
    (r"\bdefects?\s*#?\s*\d+", "a numbered defect"),
    (r"\brev[i]ew(?:er|ers)\b", "a note on who checked the code"),
    (r"\b(?:in|after|from|during|per|by)\s+(?:a|the|this)\s+rev[i]ew\b", "a check note"),
    (r"\brev[i]ew\s+(?:note|comment|finding)s?\b", "a check note"),
    (r"(?<!scope=\")\bsess[i]ons?\b", "a note on a work period"),  # not pytest's scope
]
PATTERNS = [(re.compile(p, re.IGNORECASE), why) for p, why in FORBIDDEN]


def project_files(root: Path = ROOT) -> list[Path]:
    """Tracked text files plus untracked, not ignored ones under the source folders."""
    try:
        tracked = subprocess.run(
            ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.split()
        new = subprocess.run(
            ["git", "ls-files", "--others", "--exclude-standard", "--", *NEW_FILE_DIRS],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        names = tracked + new
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an sdist, a copy)
        names = [str(p.relative_to(root)) for d in NEW_FILE_DIRS for p in (root / d).rglob("*")]
        names += [p.name for p in root.iterdir() if p.is_file()]
    paths = []
    for name in sorted(set(names)):
        path = root / name
        if path.name in SKIP or not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.suffix in SUFFIXES or path.name in NAMES:
            paths.append(path)
    return paths


def offending_lines(paths, root: Path = ROOT) -> list[str]:
    """``file:line: text (why)`` for every line with tracker or review wording."""
    found = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):  # binary, or deleted meanwhile
            continue
        try:
            shown = Path(path).relative_to(root)
        except ValueError:
            shown = Path(path)
        for number, line in enumerate(text.splitlines(), start=1):
            for pattern, why in PATTERNS:
                if pattern.search(line):
                    found.append(f"{shown}:{number}: {line.strip()} ({why})")
                    break
    return found


def test_no_tracker_or_review_notes_in_the_project():
    paths = project_files()
    # the scan reads the project, not an empty list
    assert any(p.name == "Snakefile" for p in paths)
    assert any(p.suffix == ".rst" for p in paths)
    assert ROOT / "tests" / "test_hygiene.py" in paths
    bad = offending_lines(paths)
    assert bad == [], "say what the code does and why instead:\n" + "\n".join(bad)


def test_the_scan_finds_planted_notes_and_spares_plain_words(tmp_path):
    # built from pieces so that this file itself stays clean
    issue, review = "iss" + "ue", "rev" + "iew"
    planted = [
        f"# fixed for {issue} 14",
        f'"""Answers: the corrections ({issue} 14)."""',
        f"SHEET = 'corrections ({issue} #3)'",
        f"    assert x  # the case of the {issue}",
        f"def test_example_of_the_{issue}():",
        '"""Defect' + ' 3: dt from the config."""',
        f"# measured between --cores 1 and 2 in a {review}",
        f"# asked by a {review}er",
        "# found in ses" + "sion 4",
    ]
    clean = [
        "    start_new_ses" + "sion=True,",
        f"    {issue}d; never a point that is not a fixed point.",
        f"# Physical {review} Letters 117, 2016",
        "todo = [1, 2]  # tissue 14 and reissue 2 are words",
    ]
    bad = tmp_path / "planted.py"
    bad.write_text("\n".join(planted + clean) + "\n")
    found = offending_lines([bad], root=tmp_path)
    assert [f.split(":")[1] for f in found] == [str(i + 1) for i in range(len(planted))], found
    assert found[0].startswith("planted.py:1: ")


def test_new_untracked_files_are_scanned(tmp_path):
    # a file not yet added to git under tests/ is part of the scan
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "tests").mkdir()
    new = tmp_path / "tests" / "test_new.py"
    new.write_text("# see iss" + "ue 22\n")
    assert new in project_files(tmp_path)
    assert offending_lines(project_files(tmp_path), root=tmp_path) == [
        "tests/test_new.py:1: # see iss" + "ue 22 (a tracker number)"
    ]


# --------------------------------------------------------------------------- the suite


def test_a_test_launching_snakemake_unmarked_fails_at_the_launch():
    # this test is not marked `workflow` (the runners are looked up by a computed name,
    # which the collection-time scan cannot see): they refuse before starting anything
    import conftest

    for runner in ("run_", "start_"):
        with pytest.raises(pytest.fail.Exception, match="not marked `workflow`"):
            getattr(conftest, runner + "snake" + "make")(ROOT, "--version")


def test_tests_that_launch_snakemake_through_helpers_are_found(tmp_path):
    from conftest import _launching_definitions

    module = tmp_path / "test_planted.py"
    module.write_text(
        "from conftest import run_snakemake\n"
        "def _plan(wd):\n    return run_snakemake(wd, '-n')\n"
        "def _twice(wd):\n    return _plan(wd), _plan(wd)\n"
        "class Runner:\n    def go(self):\n        return conftest.jobs_of_dry_run(1)\n"
        "def fixture_like(tmp_path):\n    return Runner()\n"
        "def test_fast():\n    assert 1 + 1 == 2\n"
        "def test_slow(tmp_path):\n    _twice(tmp_path)\n"
    )
    assert _launching_definitions(str(module)) == {
        "_plan",
        "_twice",
        "Runner",
        "fixture_like",
        "test_slow",
    }
