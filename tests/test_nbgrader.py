"""Real nbgrader on every lesson, as an instructor runs it: generate_assignment, then autograde.

One course folder (t2ilab.course.nbgrading.course) holds every lesson. Three students submit: the
solution copy (the source lesson itself), the untouched student copy nbgrader released, and (for
one lesson) a copy whose locked test cell was changed. nbgrader runs from a PATH without the
virtual environment's bin (as from a venv that is not activated): the course's config must find
`alembic` itself. A few minutes in all on a busy 2-core machine (marked `slow`; `make test` runs it).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from t2ilab.course.nbgrading import SKIP_TAG, course
from t2ilab.course.release import LESSONS

pytest.importorskip("nbgrader")
pytestmark = pytest.mark.slow

NBGRADER = Path(sys.executable).parent / "nbgrader"
NAMES = sorted(p.stem for p in LESSONS.glob("*.ipynb"))
TAMPERED = "02_gan" if "02_gan" in NAMES else NAMES[0]  # the lesson a third student tampers with


def nbgrader(root: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "T2ILAB_FAST")}
    env["PATH"] = os.pathsep.join(p for p in ("/usr/bin", "/bin") if os.path.isdir(p))  # no venv bin on PATH
    run = subprocess.run([str(NBGRADER), *args], cwd=root, env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout + run.stderr


def first_locked_test(nb):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.metadata["nbgrader"].get("locked"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course(root)
    nbgrader(root, "generate_assignment", "*", "--force")
    for name in NAMES:
        for student, copy in (("solution", root / "source" / name), ("blank", root / "release" / name)):
            (root / "submitted" / student / name).mkdir(parents=True)
            shutil.copy(copy / f"{name}.ipynb", root / "submitted" / student / name)
    nb = nbformat.read(root / "release" / TAMPERED / f"{TAMPERED}.ipynb", as_version=4)
    cell = first_locked_test(nb)
    cell.source = "pass  # the student emptied the test\n"
    (root / "submitted" / "tamper" / TAMPERED).mkdir(parents=True)
    nbformat.write(nb, root / "submitted" / "tamper" / TAMPERED / f"{TAMPERED}.ipynb")
    log = nbgrader(root, "autograde", "*", "--create", "--force")
    # the log, per submission: nbgrader says "Sanitizing .../submitted/STUDENT/LESSON/LESSON.ipynb" for each
    logs, key = {}, None
    for line in log.splitlines():
        if m := re.search(r"Sanitizing .*submitted/([^/]+)/([^/]+)/", line):
            key = (m.group(1), m.group(2))
        if key:
            logs.setdefault(key, []).append(line)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {(s, n): (gb.find_submission_notebook(n, n, s).score, gb.find_submission_notebook(n, n, s).max_score)
                  for s in ("solution", "blank") for n in NAMES}
        scores["tamper", TAMPERED] = (lambda x: (x.score, x.max_score))(gb.find_submission_notebook(TAMPERED, TAMPERED, "tamper"))
    return {"root": root, "logs": {k: "\n".join(v) for k, v in logs.items()}, "scores": scores, "tampered": cell}


def test_there_are_lessons_to_grade():
    assert len(NAMES) >= 3


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_gets_full_marks(graded, name):
    score, max_score = graded["scores"]["solution", name]
    assert max_score > 0 and score == max_score


@pytest.mark.parametrize("name", NAMES)
def test_the_untouched_student_copy_gets_zero(graded, name):
    score, max_score = graded["scores"]["blank", name]
    assert max_score == graded["scores"]["solution", name][1] and score == 0


@pytest.mark.parametrize("name", NAMES)
def test_no_checksum_warnings_for_untouched_copies(graded, name):
    for student in ("solution", "blank"):
        log = graded["logs"][student, name]
        assert "Sanitizing" in log and "has changed" not in log, log


@pytest.mark.parametrize("name", NAMES)
def test_grading_runs_the_set_up_and_the_exercises_only(graded, name):
    """The graded cells need only the set-up cell and the exercises: no error outside the
    exercises, and the demonstrations (training included) are not run."""
    nb = nbformat.read(graded["root"] / "autograded" / "solution" / name / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    skipped = [c for c in code if SKIP_TAG in c.metadata.get("tags", [])]
    assert code[0].execution_count is not None and SKIP_TAG not in code[0].metadata.get("tags", [])  # the set-up ran
    assert all(not c.outputs and c.execution_count is None for c in skipped)
    assert not [c.source[:80] for c in code if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert all(SKIP_TAG not in c.metadata.get("tags", []) for c in code if "nbgrader" in c.metadata)


def test_a_changed_test_cell_is_still_noticed_and_restored(graded):
    log = graded["logs"]["tamper", TAMPERED]
    grade_id = graded["tampered"].metadata["nbgrader"]["grade_id"]
    assert f"Attribute 'checksum' for cell {grade_id} has changed" in log
    assert graded["scores"]["tamper", TAMPERED][0] == 0  # the test ran again (restored), and failed
    nb = nbformat.read(graded["root"] / "autograded" / "tamper" / TAMPERED / f"{TAMPERED}.ipynb", as_version=4)
    restored = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    source = next(c for c in nbformat.read(LESSONS / f"{TAMPERED}.ipynb", as_version=4).cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    assert restored.source == source.source  # hidden tests included


def test_the_config_works_without_an_activated_venv(graded):
    """The fixture ran nbgrader with only /usr/bin:/bin on PATH: the gradebook exists, so alembic was found."""
    assert (graded["root"] / "gradebook.db").stat().st_size > 0
    text = (graded["root"] / "nbgrader_config.py").read_text()
    assert "os.path.dirname(sys.executable)" in text and 'os.environ.setdefault("T2ILAB_FAST", "1")' in text
