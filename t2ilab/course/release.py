"""Student versions of the lessons, in nbgrader's "source" convention.

Solution regions (`### BEGIN SOLUTION` … `### END SOLUTION`) become `# YOUR CODE HERE` and
`raise NotImplementedError()`; hidden tests (`### BEGIN HIDDEN TESTS` … `### END HIDDEN TESTS`)
are removed; outputs of exercise cells are cleared.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from ..errors import T2ILabError

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
_SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION[ \t]*\n?", re.S | re.M)
_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\n.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", re.S | re.M)


def student_source(source: str) -> str:
    """One cell's source with solutions replaced and hidden tests removed."""
    if source.count("### BEGIN SOLUTION") != source.count("### END SOLUTION"):
        raise T2ILabError("a cell has unmatched ### BEGIN SOLUTION / ### END SOLUTION markers: fix the lesson")
    source = _SOLUTION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()\n", source)
    return _HIDDEN.sub("", source)


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of a lesson notebook."""
    for cell in nb.cells:
        grader = cell.metadata.get("nbgrader", {})
        if grader.get("solution") or grader.get("grade"):
            cell.source = student_source(cell.source)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
    return nb


def release(to: str | Path, lessons: Path = LESSONS) -> list[Path]:
    """Write student versions of every lesson into `to`; returns the written paths."""
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted(lessons.glob("*.ipynb")):
        nb = student_notebook(nbformat.read(src, as_version=4))
        nbformat.write(nb, to / src.name)
        written.append(to / src.name)
    return written
