"""Student versions and the workspace: solutions out, hidden tests out, edited notebooks never overwritten."""
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

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


def ran(path):
    """What JupyterLab does when a student runs every cell and saves: outputs, no edits."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = 1
            cell.outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    cell.metadata["collapsed"] = True
    nbformat.write(nb, path)


def edit(path, old="YOUR CODE HERE", new="my answer"):
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace(old, new)
    nbformat.write(nb, path)


def test_workspace_outputs_are_not_edits(tmp_path):
    src, ws = tmp_path / "src", tmp_path / "ws"
    lesson(src)
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "added"}
    ran(ws / "01_x.ipynb")
    saved = (ws / "01_x.ipynb").read_bytes()
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "unchanged"}
    assert (ws / "01_x.ipynb").read_bytes() == saved  # the student's outputs stay
    lesson(src, "intro, improved")  # the course is updated; the student only ran the lesson
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "updated"}
    assert "improved" in (ws / "01_x.ipynb").read_text()
    assert sorted(p.name for p in ws.glob("*.ipynb")) == ["01_x.ipynb"]  # no .new beside it


def test_workspace_never_overwrites_an_edited_notebook(tmp_path):
    src, ws = tmp_path / "src", tmp_path / "ws"
    lesson(src)
    workspace(ws, lessons=src)
    edit(ws / "01_x.ipynb")  # the student works
    mine = (ws / "01_x.ipynb").read_bytes()
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "kept your edited copy (no newer version)"}
    assert not (ws / "01_x.new.ipynb").exists()  # the lesson has not changed: nothing to offer beside it
    lesson(src, "intro, improved")
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "kept your edited copy; the new version is 01_x.new.ipynb"}
    new_copy = (ws / "01_x.new.ipynb").read_text()
    assert "improved" in new_copy and "my answer" not in new_copy  # the new version is the course's
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "kept your edited copy; a newer version is in 01_x.new.ipynb"}
    edit(ws / "01_x.new.ipynb", new="my second try")  # the student works in the .new copy too
    second = (ws / "01_x.new.ipynb").read_bytes()
    lesson(src, "intro, improved again")
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "kept your edited copy; the new version is 01_x.new2.ipynb"}
    assert (ws / "01_x.ipynb").read_bytes() == mine and (ws / "01_x.new.ipynb").read_bytes() == second  # nothing lost
    assert "improved again" in (ws / "01_x.new2.ipynb").read_text()


def test_workspace_keeps_a_file_it_did_not_write_and_reads_the_old_record(tmp_path):
    src, ws = tmp_path / "src", tmp_path / "ws"
    lesson(src)
    ws.mkdir()
    (ws / "01_x.ipynb").write_text("not a notebook")  # a student's file that happens to have the name
    assert workspace(ws, lessons=src) == {"01_x.ipynb": "kept your edited copy; the new version is 01_x.new.ipynb"}
    assert (ws / "01_x.ipynb").read_text() == "not a notebook"
    old = tmp_path / "old"  # a workspace from before: the record held the sha256 of each file's bytes
    workspace(old, lessons=src)
    (old / ".t2ilab-workspace.json").write_text(json.dumps({"01_x.ipynb": hashlib.sha256((old / "01_x.ipynb").read_bytes()).hexdigest()}))
    lesson(src, "intro, improved")
    assert workspace(old, lessons=src) == {"01_x.ipynb": "updated"}


def test_no_lessons_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(T2ILabError, match="no lessons found in .*empty"):
        workspace(tmp_path / "ws", lessons=tmp_path / "empty")
    with pytest.raises(T2ILabError, match="no lessons found"):
        release(tmp_path / "rel", lessons=tmp_path / "empty")
    assert not (tmp_path / "rel").exists()


def test_the_package_finds_its_lessons():
    from t2ilab.course.release import LESSONS

    assert LESSONS == pathlib.Path(__file__).resolve().parents[1] / "lessons"


@pytest.mark.slow  # a minute on a busy machine
def test_a_non_editable_install_carries_the_lessons(tmp_path):
    """pip install . (a wheel) ships lessons/ as t2ilab.lessons, and workspace finds them there."""
    root = pathlib.Path(__file__).resolve().parents[1]
    tree = tmp_path / "tree"
    skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.egg-info", "build", "*.safetensors")  # weights: not the point here
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(root / name, tmp_path)
    shutil.copytree(root / "t2ilab", tmp_path / "t2ilab", ignore=skip)
    shutil.copytree(root / "lessons", tmp_path / "lessons", ignore=skip)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1"}
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(tmp_path)],
                   check=True, env=env, cwd=tmp_path)
    [wheel] = (tmp_path / "dist").glob("t2ilab-*.whl")
    lessons = sorted(p.name for p in (root / "lessons").glob("*.ipynb"))
    inside = zipfile.ZipFile(wheel).namelist()
    assert lessons and sorted(n.split("/")[-1] for n in inside if n.startswith("t2ilab/lessons/")) == lessons
    subprocess.run(pip + ["install", "--no-deps", "--target", str(tree), str(wheel)], check=True, env=env)
    out = subprocess.run([sys.executable, "-m", "t2ilab.cli", "workspace", "--to", "ws"], cwd=tmp_path / "dist",
                         env={**env, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "dist" / "ws").glob("*.ipynb")) == lessons
    assert out.stdout.splitlines() == [f"{name}: added" for name in lessons]
    where = subprocess.run([sys.executable, "-c", "from t2ilab.course.release import LESSONS; print(LESSONS)"],
                           cwd=tmp_path / "dist", env={**env, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    assert where.stdout.strip() == str((tree / "t2ilab" / "lessons").resolve())  # the installed copy, not the checkout


def test_release_never_writes_into_the_source_lessons(tmp_path, monkeypatch):
    src = tmp_path / "src"
    lesson(src)
    source = (src / "01_x.ipynb").read_bytes()
    with pytest.raises(T2ILabError, match="holds the source lessons"):
        release(src, lessons=src)
    monkeypatch.chdir(src)
    with pytest.raises(T2ILabError, match="holds the source lessons"):
        release(".", lessons=src)
    assert (src / "01_x.ipynb").read_bytes() == source and sorted(p.name for p in src.iterdir()) == ["01_x.ipynb"]


def test_release_overwrites_only_what_it_wrote(tmp_path):
    src, rel = tmp_path / "src", tmp_path / "rel"
    lesson(src)
    rel.mkdir()
    (rel / "01_x.ipynb").write_text("the instructor's own notes")
    with pytest.raises(T2ILabError, match="not written by t2ilab release.*--force"):
        release(rel, lessons=src)
    assert (rel / "01_x.ipynb").read_text() == "the instructor's own notes"
    release(rel, lessons=src, force=True)
    lesson(src, "intro, improved")
    release(rel, lessons=src)  # its own file: replaced without --force
    assert "improved" in (rel / "01_x.ipynb").read_text()
    (rel / ".t2ilab-release.json").unlink()  # a release folder from before the record: identical files are fine
    release(rel, lessons=src)
    edit(rel / "01_x.ipynb", new="hand-tuned")
    with pytest.raises(T2ILabError, match="changed since"):
        release(rel, lessons=src)


def test_release_cli_refuses_in_one_line(tmp_path, capsys):
    from t2ilab.cli import main
    from t2ilab.course.release import LESSONS

    assert main(["release", "--to", str(LESSONS)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds the source lessons" in err


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


JUPYTER_CONFIG = r'''
import json, sys
from jupyter_server.serverapp import ServerApp
from jupyterlab_server.config import get_page_config
app = ServerApp()
app.initialize(argv=["--ServerApp.root_dir=" + sys.argv[1]], new_httpserver=False)  # loads config; binds no port
enabled = sorted(n for n, e in app.extension_manager.extensions.items() if e.enabled)
lab = get_page_config([], logger=app.log).get("disabledExtensions", {})
lab = [k for k, v in lab.items() if v] if isinstance(lab, dict) else list(lab)  # a list once merged
print(json.dumps({"server": enabled, "lab_disabled": sorted(lab)}))
'''


@pytest.mark.slow  # a minute on a busy machine
def test_the_students_lab_has_no_nbgrader_menus_and_the_instructors_has_them(tmp_path):
    pytest.importorskip("nbgrader")
    root = pathlib.Path(__file__).resolve().parents[1]
    makefile = (root / "Makefile").read_text()
    student = root / "t2ilab" / "course" / "jupyter_student"
    assert f'JUPYTER_CONFIG_PATH="$(CURDIR)/{student.relative_to(root)}' in makefile.split("\nlab:")[1].split("\n\n")[0]
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CONFIG_PATH"}
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "home")  # the user's own ~/.jupyter plays no part
    runs = {who: subprocess.Popen([sys.executable, "-c", JUPYTER_CONFIG, str(tmp_path)], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True,
                                  env={**env, "JUPYTER_CONFIG_PATH": str(student)} if who == "student" else env)
            for who in ("student", "instructor")}
    seen = {who: json.loads(run.communicate(timeout=300)[0].splitlines()[-1]) for who, run in runs.items()}
    nbgrader = {"nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list",
                "nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.validate_assignment"}
    assert nbgrader <= set(seen["instructor"]["server"]) and "@jupyter/nbgrader" not in seen["instructor"]["lab_disabled"]
    assert not nbgrader & set(seen["student"]["server"]) and "@jupyter/nbgrader" in seen["student"]["lab_disabled"]
    assert {"jupyterlab", "jupyter_server_terminals"} <= set(seen["student"]["server"])  # the rest of the lab is there


def test_the_nbgrader_course_folder_keeps_what_the_instructor_changed(tmp_path):
    from t2ilab.course.nbgrading import course, demonstration

    src, root = tmp_path / "src", tmp_path / "course"
    lesson(src)
    assert course(root, lessons=src) == {"source/01_x/01_x.ipynb": "added", "nbgrader_config.py": "added"}
    assert (root / "source" / "01_x" / "01_x.ipynb").read_bytes() == (src / "01_x.ipynb").read_bytes()  # source form
    assert "alembic" in (root / "nbgrader_config.py").read_text()
    assert set(course(root, lessons=src).values()) == {"unchanged"}
    lesson(src, "intro, improved")
    assert course(root, lessons=src)["source/01_x/01_x.ipynb"] == "updated"
    (root / "nbgrader_config.py").write_text("c = get_config()  # the instructor's own\n")
    assert course(root, lessons=src)["nbgrader_config.py"].startswith("kept")
    assert (root / "nbgrader_config.py").read_text() == "c = get_config()  # the instructor's own\n"
    nb = nbformat.read(src / "01_x.ipynb", as_version=4)
    setup, demo = nbformat.v4.new_code_cell("import math"), nbformat.v4.new_code_cell("train()")
    tagged = nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["run-in-grading"]})
    assert not demonstration(setup, True) and demonstration(demo, False) and not demonstration(tagged, False)
    assert not demonstration(nb.cells[1], False) and not demonstration(nb.cells[0], False)  # exercises, markdown

