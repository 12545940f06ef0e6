"""Student versions and the workspace: solutions out, hidden tests out, edited notebooks never overwritten."""
import nbformat
import pytest

from t2ilab.course.checks import check_close
from t2ilab.course.release import release, student_source
from t2ilab.course.workspace import workspace
from t2ilab.errors import T2ILabError

SOLUTION = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
TESTS = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(3) == 6\n### END HIDDEN TESTS\n"


def lesson(folder, text="intro"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text),
                nbformat.v4.new_code_cell(SOLUTION, metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "f", "schema_version": 3}}),
                nbformat.v4.new_code_cell(TESTS, metadata={"nbgrader": {"solution": False, "grade": True, "points": 1, "grade_id": "t", "schema_version": 3}})]
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / "01_x.ipynb")


def test_student_source_replaces_solutions_and_hides_tests():
    assert student_source(SOLUTION) == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    assert student_source(TESTS) == "assert f(1) == 2\n"
    with pytest.raises(T2ILabError, match="unmatched"):
        student_source("### BEGIN SOLUTION\nx = 1\n")


def test_release_writes_student_versions(tmp_path):
    lesson(tmp_path / "src")
    [out] = release(tmp_path / "rel", lessons=tmp_path / "src")
    cells = nbformat.read(out, as_version=4).cells
    assert "NotImplementedError" in cells[1].source and "2 * x" not in cells[1].source
    assert "f(3)" not in cells[2].source and "f(1)" in cells[2].source


def test_workspace_never_overwrites_an_edited_notebook(tmp_path):
    src, ws = tmp_path / "src", tmp_path / "ws"
    lesson(src)
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "added"}
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "unchanged"}
    lesson(src, "intro, improved")  # the course is updated, the student has not touched the file
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "updated"}
    assert "improved" in (ws / "01_x.ipynb").read_text()
    mine = (ws / "01_x.ipynb").read_text().replace("YOUR CODE HERE", "my answer")
    (ws / "01_x.ipynb").write_text(mine)  # the student works
    lesson(src, "intro, improved again")
    report = workspace(ws, lessons=src)
    assert "kept your edited copy" in report["01_x.ipynb"]
    assert (ws / "01_x.ipynb").read_text() == mine  # nothing lost
    assert "improved again" in (ws / "01_x.new.ipynb").read_text()


def test_check_close_messages_help_a_student():
    check_close("f", 1.0, 1.0)
    with pytest.raises(AssertionError, match=r"f for x=1 returned 3, expected 2"):
        check_close("f", 3.0, 2.0, inputs="x=1")
    with pytest.raises(AssertionError, match="forget `return`"):
        check_close("f", None, 2.0)
    with pytest.raises(AssertionError, match="shape"):
        check_close("f", [1.0, 2.0], 2.0)
    with pytest.raises(AssertionError, match="NaN or inf"):
        check_close("f", float("nan"), 2.0)
