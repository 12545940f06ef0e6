"""Every lesson follows the course conventions (docs/architecture.md, "Lessons"); nbval runs them separately."""
import pathlib

import nbformat
import pytest

from t2ilab.course.release import student_notebook

LESSONS = sorted((pathlib.Path(__file__).parents[1] / "lessons").glob("*.ipynb"))


@pytest.fixture(params=LESSONS, ids=[p.stem for p in LESSONS])
def nb(request):
    return nbformat.read(request.param, as_version=4)


def test_there_are_lessons():
    assert LESSONS, "no lessons found in lessons/"


def test_committed_executed_and_without_widget_state(nb):
    """Every code cell was run, top to bottom in one kernel (execution counts 1, 2, 3, ...), none failed."""
    assert "widgets" not in nb.metadata
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert code
    not_run = [c.source.splitlines()[0][:60] for c in code if c.execution_count is None]
    assert not not_run, f"cells never executed: {not_run[:3]}"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
        "cells were not run once each from top to bottom: re-run `python -m t2ilab.course.execute`"
    assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)
    assert sum(bool(c.outputs) for c in code) > 0


def test_nbgrader_metadata(nb):
    ids, solutions, tests = set(), 0, 0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if not meta:
            continue
        assert meta["schema_version"] == 3 and meta["grade_id"] not in ids
        ids.add(meta["grade_id"])
        if meta.get("solution"):
            solutions += 1
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if meta.get("grade"):
            tests += 1
            assert meta["points"] > 0 and meta["locked"]
    assert solutions >= 2 and tests >= 2, "each lesson has graded exercises"


def test_student_version_hides_answers(nb):
    student = student_notebook(nb)
    for cell in student.cells:
        meta = cell.metadata.get("nbgrader", {})
        assert "### BEGIN SOLUTION" not in cell.source and "### BEGIN HIDDEN TESTS" not in cell.source
        if meta.get("solution") and cell.cell_type == "code":
            assert "raise NotImplementedError()" in cell.source and not cell.outputs


def test_some_outputs_are_checked_by_nbval(nb):
    assert any(c.source.startswith("# NBVAL_CHECK_OUTPUT") for c in nb.cells if c.cell_type == "code")
