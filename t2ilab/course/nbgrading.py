"""Grading with nbgrader itself: the course folder in nbgrader's layout, and its configuration.

    python -m t2ilab.course.nbgrading course      # course/source/NN_name/NN_name.ipynb + nbgrader_config.py

`make nbgrader-grade` then runs `nbgrader generate_assignment` and `nbgrader autograde` there.
The configuration written beside the lessons makes the documented path work from a virtual
environment that is not activated, and quickly:

- nbgrader runs `alembic` from PATH to create its gradebook: the config puts the folder of the
  Python running nbgrader first on PATH;
- grading runs what the exercises need, not the demonstrations: a lesson's graded cells depend
  only on its first code cell (the set-up) and on its nbgrader cells (tests/test_nbgrader.py
  checks this for every lesson), so `SkipDemonstrations` tags every other code cell
  `skip-in-grading` and nbgrader's kernel skips it (a cell tagged `run-in-grading` runs anyway);
  `T2ILAB_FAST=1` in case one trains, and a cell timeout of 120 s instead of 30 s, so a busy
  machine does not fail a correct submission;
- hidden tests: nbgrader stores a test cell's checksum *with* its hidden tests, and the student
  copy has them removed, so every untouched submission warned "Attribute 'checksum' for cell ...
  has changed!" (nbgrader issue 1961). `OverwriteCells` below restores the hidden tests of an
  untouched cell silently and still warns when a student changed a locked cell.
"""
from __future__ import annotations

import functools
import hashlib
import json
import sys
from pathlib import Path

from ..errors import T2ILabError
from .release import LESSONS, lesson_paths

SKIP_TAG = "skip-in-grading"
RUN_TAG = "run-in-grading"
RECORD = ".t2ilab-course.json"

CONFIG = f'''"""nbgrader's configuration for the t2ilab course (written by `python -m t2ilab.course.nbgrading`)."""
import os
import sys

c = get_config()  # noqa: F821 - nbgrader provides it
c.CourseDirectory.course_id = "t2ilab"

# nbgrader runs `alembic` from PATH: use the one beside this Python, activated or not.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
# The kernels nbgrader starts train with the short budgets (t2ilab.train.loop.fast).
os.environ.setdefault("T2ILAB_FAST", "1")
c.Execute.timeout = 120  # seconds per cell; nbgrader's 30 s fails correct work on a busy machine
# Only the set-up cell and the exercises run when grading (c.SkipDemonstrations.enabled = False: all).
c.Execute.skip_cells_with_tag = "{SKIP_TAG}"
# Untouched hidden-test cells are restored without a false "checksum ... has changed" warning.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "t2ilab.course.nbgrading.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
    "t2ilab.course.nbgrading.SkipDemonstrations",
]
'''


@functools.cache
def _overwrite_cells_class():
    from nbgrader.api import MissingEntry
    from nbgrader.preprocessors import ClearHiddenTests
    from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells

    class OverwriteCells(NbgraderOverwriteCells):
        """nbgrader's OverwriteCells, minus the false alarm for a locked cell whose only change is
        that its hidden tests were removed (which is how the student copy was released)."""

        def preprocess_cell(self, cell, resources, cell_index):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id is not None:
                try:
                    source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
                except MissingEntry:
                    source_cell = None
                if source_cell is not None and source_cell.locked and cell.source != source_cell.source:
                    released = type(cell)(source=source_cell.source, cell_type=source_cell.cell_type)
                    ClearHiddenTests(parent=self)._remove_hidden_test_region(released)
                    if released.source == cell.source:  # exactly the released copy: put the tests back
                        cell.source = source_cell.source
            return super().preprocess_cell(cell, resources, cell_index)

    OverwriteCells.__module__ = __name__
    return OverwriteCells


def demonstration(cell, first_code: bool) -> bool:
    """True for a code cell grading does not need: not the set-up, not an exercise, not tagged to run."""
    return (cell.cell_type == "code" and not first_code and "nbgrader" not in cell.metadata
            and RUN_TAG not in cell.metadata.get("tags", []))


@functools.cache
def _skip_demonstrations_class():
    from nbgrader.preprocessors import NbGraderPreprocessor

    class SkipDemonstrations(NbGraderPreprocessor):
        """Tag the demonstration cells `skip-in-grading`, so that nbgrader's kernel skips them."""

        def preprocess(self, nb, resources):
            code = [cell for cell in nb.cells if cell.cell_type == "code"]
            for i, cell in enumerate(code):
                tags = cell.metadata.setdefault("tags", [])
                if demonstration(cell, i == 0) and SKIP_TAG not in tags:
                    tags.append(SKIP_TAG)
            return nb, resources

    SkipDemonstrations.__module__ = __name__
    return SkipDemonstrations


def __getattr__(name: str):
    # nbgrader is an instructor extra: its classes are imported only when nbgrader asks for them
    if name == "OverwriteCells":
        return _overwrite_cells_class()
    if name == "SkipDemonstrations":
        return _skip_demonstrations_class()
    raise AttributeError(name)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def course(to: str | Path = "course", lessons: Path | None = None) -> dict[str, str]:
    """Lay out an nbgrader course folder: source/NN_name/NN_name.ipynb for every lesson and
    nbgrader_config.py. Files it wrote before are refreshed; a file it did not write (or one the
    instructor changed since) is kept. Returns {path in the course: what happened}."""
    lessons = LESSONS if lessons is None else Path(lessons)
    sources = lesson_paths(lessons)
    to = Path(to)
    if to.exists() and not to.is_dir():
        raise T2ILabError(f"{to} is a file, not a folder: pass a folder for the nbgrader course")
    to.mkdir(parents=True, exist_ok=True)
    record_path = to / RECORD
    try:
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
    except ValueError:
        record = {}
    wanted = {f"source/{src.stem}/{src.name}": src.read_bytes() for src in sources}
    wanted["nbgrader_config.py"] = CONFIG.encode()
    report = {}
    for rel, data in wanted.items():
        dst = to / rel
        if dst.exists() and dst.read_bytes() == data:
            report[rel] = "unchanged"
        elif dst.exists() and record.get(rel) != _sha(dst):
            report[rel] = "kept (not written by t2ilab, or changed since); move it away to get the current one"
            continue
        else:
            report[rel] = "updated" if dst.exists() else "added"
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(data)
        record[rel] = _sha(dst)
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True))
    return report


def main(argv: list[str]) -> int:
    try:
        for rel, what in course(argv[0] if argv else "course").items():
            print(f"{rel}: {what}")
    except T2ILabError as e:
        print(f"nbgrading: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
