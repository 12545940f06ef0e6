"""A class on a real JupyterHub (PyPI jupyterhub + npm configurable-http-proxy) on 127.0.0.1.

Three students log in through the hub's REST API; each server starts with their lessons
(`t2ilab workspace`, run by classroom/t2ilab-singleuser); each student's kernel, reached through the
hub's proxy, generates the source articles' image; one student edits a lesson, the course is
updated, and the edit survives a restart; the instructor collects everyone's notebooks and grades
them. The hub, its proxy and every server are stopped at the end, also when a test fails.

The course the servers see is a copy of the package and its lessons (on PYTHONPATH), so that
"the course is updated" can be what `pip install -U t2ilab` does: a lesson in the package changes.
Slow (3 to 6 minutes on the shared 2-core machine, most of it servers starting): marked `hub`;
`make test` leaves it out, `make test-hub` runs it (and .ci/run runs both).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import requests

from jupyterhub_local import ADMIN_PASSWORD, BIN, ROOT, Kernel, LocalHub, missing

pytestmark = pytest.mark.hub
if missing():
    pytest.skip(missing(), allow_module_level=True)

STUDENTS = ["ada", "bo", "chen"]
PROMPT = "a grassland under a blue sky with a tree in the middle"
LESSON00 = f"""
import json, os, torch
from t2ilab.generate import generate
images, labels = generate({PROMPT!r}, n=8, seed=0)
print(json.dumps({{"shape": list(images.shape), "min": images.min().item(), "max": images.max().item(),
                   "sum": images.double().sum().item(), "labels": labels.tolist(),
                   "threads": torch.get_num_threads(), "cwd": os.getcwd(), "home": os.environ["HOME"]}}))
"""
MY_NOTE = "My own notes: the discriminator wants D(real) high."
UPDATE_NOTE = "Course update: a clearer explanation."


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the package with its lessons: what the students' servers import."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "t2ilab", root / "t2ilab", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "lessons", root / "lessons")
    (root / "t2ilab" / "lessons").symlink_to(root / "lessons")  # where an installed wheel has them
    lessons = sorted(p.name for p in (root / "lessons").glob("*.ipynb"))
    assert len(lessons) >= 2, "the classroom test needs two lessons"
    return root


@pytest.fixture(scope="module")
def hub(tmp_path_factory, course):
    state = tmp_path_factory.mktemp("hub")
    with LocalHub(state, STUDENTS, cpu_limit=1, env={"PYTHONPATH": str(course)}) as h:
        h.tokens = {name: h.login(name) for name in STUDENTS}
        with ThreadPoolExecutor(len(STUDENTS)) as pool:  # a class arrives at once
            urls = pool.map(lambda n: h.start_server(n, h.tokens[n]), STUDENTS)
        h.servers = dict(zip(STUDENTS, urls))
        yield h


def home(hub, name: str) -> Path:
    return hub.state / "homes" / name


def lesson_names(course) -> list[str]:
    return sorted(p.name for p in (course / "lessons").glob("*.ipynb"))


def test_only_the_class_logs_in_and_only_with_the_password(hub):
    assert hub.api("POST", "/users/ada/tokens", json={"auth": {"username": "ada", "password": "wrong-password"}}).status_code == 403
    assert hub.api("POST", "/users/eve/tokens", json={"auth": {"username": "eve", "password": "lesson-zero-password"}}).status_code == 403
    assert hub.api("GET", "/users/bo", hub.tokens["ada"]).status_code == 404  # a student cannot see another
    users = hub.api("GET", "/users", hub.login("instructor", ADMIN_PASSWORD)).json()
    assert {u["name"] for u in users} == {*STUDENTS, "instructor"}
    assert all(u["servers"][""]["ready"] for u in users if u["name"] in STUDENTS)


def test_each_server_starts_with_the_student_lessons(hub, course):
    from t2ilab.course.release import student_notebook

    for name in STUDENTS:
        lessons = home(hub, name) / "lessons"
        assert sorted(p.name for p in lessons.glob("*.ipynb")) == lesson_names(course)
        for nb in lessons.glob("*.ipynb"):
            expected = nbformat.writes(student_notebook(nbformat.read(course / "lessons" / nb.name, as_version=4)))
            assert nb.read_text() == expected, f"{name}/{nb.name} is not the student version"
            assert "### BEGIN SOLUTION" not in expected and "BEGIN HIDDEN TESTS" not in expected
    # the server's file browser (through the proxy) lists them where default_url points
    r = requests.get(f"{hub.servers['ada']}api/contents/lessons", headers={"Authorization": f"token {hub.tokens['ada']}"}, timeout=30)
    assert r.status_code == 200 and sorted(e["name"] for e in r.json()["content"] if e["type"] == "notebook") == lesson_names(course)


def test_every_kernel_makes_the_source_image_on_one_thread_through_the_proxy(hub):
    import torch

    from t2ilab.generate import generate

    expected, labels = generate(PROMPT, n=8, seed=0)

    def run(name):
        try:
            with Kernel(hub.servers[name], hub.tokens[name]) as k:
                out = k.execute(LESSON00)
        except Exception as e:  # what the hub and the servers said is what tells why
            raise AssertionError(f"{name}'s kernel: {type(e).__name__}: {e}\n--- hub log ---\n{hub.log_tail(6000)}") from e
        if k.reconnects:
            warnings.warn(f"{name}'s kernel websocket was dropped and opened again {k.reconnects} time(s)", stacklevel=1)
        assert out["error"] is None, f"{name}: {out['error']}"
        return json.loads(out["stdout"].strip().splitlines()[-1])

    with ThreadPoolExecutor(len(STUDENTS)) as pool:
        results = dict(zip(STUDENTS, pool.map(run, STUDENTS)))
    for name, r in results.items():
        assert r["shape"] == [8, 3, 32, 32]
        assert 0.0 <= r["min"] < r["max"] <= 1.0
        assert r["labels"] == labels.tolist()  # the same attributes: grassland, blue sky, tree, middle
        assert r["sum"] == pytest.approx(expected.double().sum().item(), rel=1e-5)  # the same seed, the same images
        assert r["threads"] == 1, f"{name}'s kernel uses {r['threads']} torch threads under a 1-CPU limit"
        assert r["cwd"] == r["home"] == str(home(hub, name))
    assert torch.get_num_threads() >= 1


def _with_markdown(nb: dict, text: str) -> dict:
    nb = json.loads(json.dumps(nb))
    nb["cells"].insert(1, {"cell_type": "markdown", "id": f"note-{len(nb['cells'])}", "metadata": {}, "source": text})
    return nb


def test_an_edited_lesson_survives_a_course_update_and_a_restart(hub, course):
    edited, untouched = lesson_names(course)[:2]
    auth = {"Authorization": f"token {hub.tokens['ada']}"}
    url = f"{hub.servers['ada']}api/contents/lessons/{edited}"
    nb = requests.get(url, headers=auth, timeout=30).json()["content"]  # as JupyterLab opens it
    r = requests.put(url, json={"type": "notebook", "format": "json", "content": _with_markdown(nb, MY_NOTE)},
                     headers=auth, timeout=30)  # ... and saves it
    assert r.status_code == 200, r.text
    mine = (home(hub, "ada") / "lessons" / edited).read_text()
    assert MY_NOTE in mine

    for name in (edited, untouched):  # the course is updated: the package's lessons change
        src = course / "lessons" / name
        src.write_text(nbformat.writes(nbformat.from_dict(_with_markdown(json.loads(src.read_text()), UPDATE_NOTE))))
    hub.stop_server("ada", hub.tokens["ada"])
    hub.servers["ada"] = hub.start_server("ada", hub.tokens["ada"])

    lessons = home(hub, "ada") / "lessons"
    assert (lessons / edited).read_text() == mine  # the student's edit wins, byte for byte
    assert UPDATE_NOTE in (lessons / edited.replace(".ipynb", ".new.ipynb")).read_text()  # the update waits beside it
    assert UPDATE_NOTE in (lessons / untouched).read_text()  # an untouched lesson is simply updated
    assert not (lessons / untouched.replace(".ipynb", ".new.ipynb")).exists()
    with Kernel(hub.servers["ada"], hub.tokens["ada"]) as k:  # the restarted server works
        assert k.execute("print(6 * 7)")["stdout"].strip() == "42"


def _collect(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "classroom" / "collect.py"), *args], capture_output=True,
                          text=True, timeout=300, env=env)


def test_the_instructor_collects_everyones_notebooks(hub, course, tmp_path):
    import os

    token = hub.login("instructor", ADMIN_PASSWORD)
    env = {**os.environ, "JUPYTERHUB_API_TOKEN": token}
    via_hub, via_homes = tmp_path / "via-hub", tmp_path / "via-homes"
    r = _collect("--hub", hub.url, "--out", str(via_hub), env=env)
    assert r.returncode == 0, r.stderr
    r2 = _collect("--homes", str(hub.state / "homes"), "--out", str(via_homes))
    assert r2.returncode == 0, r2.stderr
    for name in STUDENTS:
        got = sorted(p.name for p in (via_hub / name).glob("*.ipynb"))
        assert got == lesson_names(course)  # NAME.new.ipynb is not a submission
        for nb in got:
            on_disk = (home(hub, name) / "lessons" / nb).read_text()
            assert (via_hub / name / nb).read_text() == on_disk == (via_homes / name / nb).read_text()
    # collecting again after a student changed a notebook keeps the earlier submission unless --update
    target = via_hub / "ada" / lesson_names(course)[1]
    target.write_text(target.read_text() + " ")
    again = _collect("--hub", hub.url, "--out", str(via_hub), env=env)
    assert again.returncode == 0 and "kept the earlier submission" in again.stdout
    assert target.read_text().endswith(" ")
    assert _collect("--hub", hub.url, "--out", str(via_hub), env={**os.environ, "JUPYTERHUB_API_TOKEN": "nonsense"}).returncode == 2


def _solved(student_nb: dict, source_nb: dict) -> dict:
    """The student's notebook with every solution cell answered as the lesson's author did."""
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source_nb["cells"]
               if c["metadata"].get("nbgrader", {}).get("solution")}
    nb = json.loads(json.dumps(student_nb))
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            source = answers[grade_id] if isinstance(answers[grade_id], str) else "".join(answers[grade_id])
            cell["source"] = "\n".join(line for line in source.splitlines() if "### BEGIN SOLUTION" not in line
                                       and "### END SOLUTION" not in line)
    return nb


def test_the_instructor_grades_the_collected_notebooks(hub, course, tmp_path):
    import csv
    import os

    lesson = "02_gan.ipynb"
    assert (course / "lessons" / lesson).exists(), f"{lesson} is not in the released course"
    # bo answers lesson 02 in her notebook and saves it (through the proxy, as JupyterLab does)
    auth = {"Authorization": f"token {hub.tokens['bo']}"}
    url = f"{hub.servers['bo']}api/contents/lessons/{lesson}"
    mine = requests.get(url, headers=auth, timeout=30).json()["content"]
    answered = _solved(mine, json.loads((course / "lessons" / lesson).read_text()))
    assert requests.put(url, json={"type": "notebook", "format": "json", "content": answered}, headers=auth,
                        timeout=30).status_code == 200

    token = hub.login("instructor", ADMIN_PASSWORD)
    subs, grades = tmp_path / "submissions", tmp_path / "grades"
    r = _collect("--hub", hub.url, "--lesson", lesson[:-len(".ipynb")], "--out", str(subs),
                 env={**os.environ, "JUPYTERHUB_API_TOKEN": token})
    assert r.returncode == 0, r.stderr
    assert sorted(p.parent.name for p in subs.glob(f"*/{lesson}")) == STUDENTS
    g = subprocess.run([str(BIN / "t2ilab"), "grade", str(subs), "--out", str(grades), "--jobs", "2"],
                       capture_output=True, text=True, timeout=600)
    assert g.returncode == 0, g.stderr
    with open(grades / "grades.csv") as f:
        rows = [row for row in csv.DictReader(f) if row["lesson"] == lesson[:-len(".ipynb")]]
    total = {s: sum(float(r["points"]) for r in rows if r["student"] == s) for s in STUDENTS}
    best = sum(float(r["max_points"]) for r in rows if r["student"] == "bo")
    assert best > 0 and total["bo"] == best, rows  # the answered notebook gets every point
    assert total["ada"] == total["chen"] == 0  # the untouched student versions get none
