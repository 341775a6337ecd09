import math

import pytest

from dltheory import answers


def _part(tmp_path, name, ids):
    rows = [
        answers.Answer(id=i, sheet=f"Sheet {name}", question=f"q {i}", answer="1.0", value=1.0)
        for i in ids
    ]
    return answers.write_part(rows, tmp_path / f"{name}.parquet")


def test_merge_keeps_part_order_and_renders_markdown(tmp_path):
    a = _part(tmp_path, "A", ["a1", "a2"])
    b = _part(tmp_path, "B", ["b1"])
    table = answers.merge([a, b])
    assert table["id"].tolist() == ["a1", "a2", "b1"]
    md = answers.to_markdown(table)
    assert md.index("## Sheet A") < md.index("## Sheet B")
    assert "| a2 | q a2 | 1.0 |" in md


def test_duplicate_ids_are_rejected(tmp_path):
    a = _part(tmp_path, "A", ["x"])
    b = _part(tmp_path, "B", ["x"])
    with pytest.raises(ValueError, match="x"):
        answers.merge([a, b])
    with pytest.raises(ValueError, match="duplicate"):
        _part(tmp_path, "C", ["y", "y"])


def test_pipe_in_text_is_escaped(tmp_path):
    row = answers.Answer(id="p", sheet="S", question="|x|", answer="a|b")
    path = answers.write_part([row], tmp_path / "p.parquet")
    md = answers.to_markdown(answers.merge([path]))
    assert "\\|x\\|" in md and math.isnan(answers.merge([path])["value"][0])


def test_each_section_has_an_answers_target_that_builds_only_its_own_parts(tmp_path):
    from conftest import copy_workflow, jobs_of_dry_run

    wf = copy_workflow(tmp_path / "wf")
    jobs = jobs_of_dry_run(wf, "answers_sheet2")
    assert {"answers_meanfield", "answers_networks", "answers_section"} <= set(jobs)
    assert not [r for r in jobs if r.startswith(("trainability", "finite_width", "saxe"))], jobs
    assert "answers_trainability" not in jobs and "answers_finite_width" not in jobs
    jobs = jobs_of_dry_run(wf, "answers_saxe")
    assert "saxe_answers" in jobs and "answers_meanfield" not in jobs, jobs
