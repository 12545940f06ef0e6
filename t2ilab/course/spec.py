"""The grading spec format: what `t2ilab grade` runs for one exercise, and how the spec of a lesson is found.

A lesson `lessons/NN_name.ipynb` is graded by the module `t2ilab/course/specs/lessonNN.py`, which
defines `SETUP` (the imports the solution cells need, never training) and `EXERCISES`, a list of
`Exercise`. The grader runs SETUP, the student's solution cells and the `probe` code in a limited
child process, calls `probe(seed)` for `cases` secret seeds and compares the plain-data values that
come back with the same probe run on the source lesson's own solution cells.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from types import ModuleType

from ..errors import T2ILabError


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    grade_id:  the lesson's graded test cell; its nbgrader `points` are the exercise's points.
    solutions: grade_ids of the solution cells to run, in this order (earlier exercises' cells may be
               listed when the student may build on them).
    probe:     source defining `probe(seed) -> {"what": str, "value": ...}`; `what` describes the
               input (shown to the student, so it must not reveal the input), `value` is made of
               numbers, tensors, arrays, strings, lists, tuples and dicts (None where a value is
               missing, e.g. no gradient). The probe runs after the student's cells in the same
               namespace: name its helpers `_probe_...` so they cannot replace a student's names.
    forbidden: dotted names of library functions that compute the exercise's answer; the student's
               code gets a stub that raises a clear error instead.
    cases:     how many secret seeds; atol/rtol: tolerances for every number.
    timeout:   wall-clock seconds for this exercise (cells + all cases); None: the grader's default.
    """

    grade_id: str
    solutions: list[str]
    probe: str
    forbidden: list[str] = field(default_factory=list)
    cases: int = 3
    atol: float = 1e-5
    rtol: float = 1e-4
    timeout: float | None = None

    def __post_init__(self):
        if not self.solutions:
            raise T2ILabError(f"exercise {self.grade_id}: list the solution cells to run in `solutions`")
        if "def probe(" not in self.probe:
            raise T2ILabError(f"exercise {self.grade_id}: `probe` must define `def probe(seed):`")
        if self.cases < 1:
            raise T2ILabError(f"exercise {self.grade_id}: `cases` must be at least 1")


@dataclass(frozen=True)
class Spec:
    lesson: str           # the lesson's file stem, e.g. "02_gan"
    module: str           # e.g. "t2ilab.course.specs.lesson02"
    setup: str
    exercises: list[Exercise]


def spec_module_name(lesson: str) -> str:
    """'02_gan' (or '02_gan.ipynb', or '02') -> 't2ilab.course.specs.lesson02'."""
    m = re.match(r"(\d+)", lesson)
    if not m:
        raise T2ILabError(f"{lesson!r} is not a lesson name: lessons are named NN_name.ipynb (e.g. 02_gan.ipynb)")
    return f"t2ilab.course.specs.lesson{m.group(1)}"


def load_spec(lesson: str) -> Spec:
    """The grading spec of a lesson, or a T2ILabError saying there is none."""
    name = spec_module_name(lesson)
    try:
        module: ModuleType = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name != name:
            raise
        raise T2ILabError(f"lesson {lesson} has no grading spec: write {name.replace('.', '/')}.py "
                          "(SETUP and EXERCISES, see t2ilab/course/spec.py)") from None
    exercises = list(getattr(module, "EXERCISES", []))
    if not exercises or not all(isinstance(e, Exercise) for e in exercises):
        raise T2ILabError(f"{name} must define EXERCISES, a non-empty list of t2ilab.course.spec.Exercise")
    ids = [e.grade_id for e in exercises]
    if len(set(ids)) != len(ids):
        raise T2ILabError(f"{name}: two exercises share a grade_id")
    return Spec(lesson=lesson, module=name, setup=str(getattr(module, "SETUP", "")), exercises=exercises)
