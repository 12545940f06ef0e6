"""Lesson 04's grading spec runs its probes on the lesson's own solutions, and tells a wrong answer apart."""
import pathlib

import nbformat
import pytest
import torch

from t2ilab.course.spec import load_spec

LESSON = pathlib.Path(__file__).parents[1] / "lessons" / "04_feedback.ipynb"


def _cells():
    nb = nbformat.read(LESSON, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if "nbgrader" in c.metadata}


def _plain(v):
    if isinstance(v, torch.Tensor):
        return v.detach().tolist()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _flat(v):
    if isinstance(v, dict):
        return [x for k in sorted(v) for x in _flat(v[k])]
    if isinstance(v, list):
        return [x for item in v for x in _flat(item)]
    return [float(v)]


def _run(spec, exercise, sources, seed):
    ns: dict = {}
    exec(spec.setup, ns)
    for gid in exercise.solutions:
        exec(sources[gid], ns)
    exec(exercise.probe, ns)
    return ns["probe"](seed)


SPEC = load_spec("04_feedback")


def test_spec_covers_every_graded_cell():
    graded = {gid for gid, _ in _cells().items() if gid.endswith("_tests")}
    assert {e.grade_id for e in SPEC.exercises} == graded
    for e in SPEC.exercises:
        assert e.forbidden and all(name.startswith("t2ilab.") for name in e.forbidden)


@pytest.mark.parametrize("exercise", SPEC.exercises, ids=[e.grade_id for e in SPEC.exercises])
def test_probe_runs_on_the_solution_and_is_seeded(exercise):
    sources = _cells()
    first, again, other = (_run(SPEC, exercise, sources, s) for s in (1, 1, 2))
    assert isinstance(first["what"], str) and first["what"]
    values = _flat(_plain(first["value"]))
    assert values and all(v == v for v in values)  # no NaN
    assert _plain(first["value"]) == _plain(again["value"])
    assert _plain(first["value"]) != _plain(other["value"])


WRONG = {  # a typical mistake per exercise, in place of the solution's body
    "rl_return_solution": "return (gamma ** torch.arange(1, rewards.shape[-1] + 1, dtype=rewards.dtype) * rewards).sum(-1)",
    "rl_reinforce_solution": "return -((rewards - torch.as_tensor(baseline)) * log_probs).mean()",  # no detach
    "rl_bradley_terry_solution": "return -F.logsigmoid(torch.where(prefer_a, score_b - score_a, score_a - score_b)).mean()",
    "rl_dpo_solution": "return -F.logsigmoid((logp_w - ref_w) - (logp_l - ref_l)).mean()",  # beta left out
}


@pytest.mark.parametrize("exercise", SPEC.exercises, ids=[e.grade_id for e in SPEC.exercises])
def test_a_wrong_answer_gives_other_values(exercise):
    sources = _cells()
    wrong = {gid: src.replace("### BEGIN SOLUTION", "### BEGIN SOLUTION\n    " + WRONG[gid]) for gid, src in sources.items()
             if gid in WRONG}
    differs = []
    for seed in (0, 1, 2):
        right = _flat(_plain(_run(SPEC, exercise, sources, seed)["value"]))
        got = _flat(_plain(_run(SPEC, exercise, wrong, seed)["value"]))
        differs.append(len(got) != len(right) or any(abs(a - b) > 1e-3 for a, b in zip(got, right)))
    assert any(differs)
