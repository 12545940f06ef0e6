"""Student versions of the lessons, in nbgrader's "source" convention.

Solution regions (`### BEGIN SOLUTION` … `### END SOLUTION`) become `# YOUR CODE HERE` and
`raise NotImplementedError()`; hidden tests (`### BEGIN HIDDEN TESTS` … `### END HIDDEN TESTS`)
are removed; outputs of exercise cells are cleared.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from pathlib import Path

import nbformat

from ..errors import T2ILabError

RECORD = ".t2ilab-release.json"


def _lessons() -> Path:
    """The source lessons: package data `t2ilab.lessons` (mapped onto `lessons/` by setup.py, so an
    editable and a non-editable install agree), else the checkout's `lessons/` folder."""
    spec = importlib.util.find_spec("t2ilab.lessons")
    for place in (spec.submodule_search_locations or []) if spec else []:
        if any(Path(place).glob("*.ipynb")):
            return Path(place).resolve()
    return Path(__file__).resolve().parents[2] / "lessons"


LESSONS = _lessons()
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


def lesson_paths(lessons: Path) -> list[Path]:
    """The lesson notebooks in `lessons`; a clear error when there are none."""
    found = sorted(Path(lessons).glob("*.ipynb"))
    if not found:
        raise T2ILabError(f"no lessons found in {lessons}: reinstall t2ilab (pip install t2ilab, or make setup in a checkout)")
    return found


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def release(to: str | Path, lessons: Path | None = None, force: bool = False) -> list[Path]:
    """Write student versions of every lesson into `to`; returns the written paths.

    Never writes into the source lessons, and never overwrites a file in `to` that release did
    not write (or that was changed since) unless `force`: a record in `to` keeps the sha256 of
    each file it wrote.
    """
    lessons = LESSONS if lessons is None else Path(lessons)
    sources = lesson_paths(lessons)
    to = Path(to)
    if to.resolve() == lessons.resolve() or any((to / s.name).exists() and (to / s.name).samefile(s) for s in sources):
        raise T2ILabError(f"{to} holds the source lessons (solutions and hidden tests): release into another folder, e.g. --to release")
    if to.exists() and not to.is_dir():
        raise T2ILabError(f"{to} is a file, not a folder: pass --to a folder for the student versions")
    record_path = to / RECORD
    try:
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
    except ValueError:
        record = {}
    texts = {src.name: nbformat.writes(student_notebook(nbformat.read(src, as_version=4))) for src in sources}
    data = {name: (text if text.endswith("\n") else text + "\n").encode() for name, text in texts.items()}
    if not force:
        for name in texts:
            dst = to / name
            if dst.exists() and _sha(dst.read_bytes()) not in (record.get(name), _sha(data[name])):
                raise T2ILabError(f"{dst} was not written by t2ilab release (or was changed since): move it away, or pass --force to overwrite it")
    to.mkdir(parents=True, exist_ok=True)
    written = []
    for name in texts:
        (to / name).write_bytes(data[name])
        record[name] = _sha(data[name])
        written.append(to / name)
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True))
    return written
