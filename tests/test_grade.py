"""`t2ilab grade`: solutions get full marks, blank copies zero, and a hostile class cannot change a grade.

One grading run (module fixture) grades a whole class: the solution and the released student copy
of every lesson that has a spec, and for lesson 02 a corpus of hostile submissions, each trying one
of the holes of grading inside the student's kernel. Short limits keep it quick.
"""
import hashlib
import json
import socket
import threading
from pathlib import Path

import nbformat
import pytest

from t2ilab.cli import main
from t2ilab.course.grade import Limits, case_seeds, compare, find_submissions, grade, _norm
from t2ilab.course.release import LESSONS, student_notebook
from t2ilab.course.spec import load_spec
from t2ilab.errors import T2ILabError

SPEC_LESSONS = []
for _path in sorted(LESSONS.glob("*.ipynb")):
    try:
        load_spec(_path.stem)
        SPEC_LESSONS.append(_path.stem)
    except T2ILabError:
        pass

SEED = 424242
LIMITS = Limits(timeout=10, memory_mb=512, overhead_s=20)  # (the memory scan takes ~5 s on a loaded machine)
D, G, STEP = "gan_d_loss_solution", "gan_g_loss_solution", "gan_step_solution"
RIGHT_D = "def my_discriminator_loss(r, f):\n    return -F.logsigmoid(r).mean() - F.logsigmoid(-f).mean()\n"
RIGHT_G = "def my_generator_loss(f):\n    return -F.logsigmoid(f).mean()\n"


# Reads all of its own process's memory for the lesson's solution text (which sits after "### BEGIN
# SOLUTION" in the source lesson) and would evaluate what it finds.
MEMORY_SCAN = """\
import re, time
def _scan():
    needle = ("### BEGIN " + "SOLUTION\\n    return ").encode()
    hits, scanned = [], 0
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if not parts[1].startswith("rw") or hi - lo > 256 * 2**20:
                continue
            try:
                mem.seek(lo)
                chunk = mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
            scanned += len(chunk)
            for m in re.finditer(re.escape(needle), chunk):
                if chunk[m.end():m.end() + 6] == b"-F.log":
                    hits.append(chunk[m.end():m.end() + 80].split(b"\\n")[0].decode())
    return hits, scanned
t0 = time.perf_counter()
HITS, SCANNED = _scan()
def my_discriminator_loss(real_logits, fake_logits):
    if not HITS:
        raise RuntimeError(f"solution not found in {SCANNED >> 20} MB of memory ({time.perf_counter() - t0:.1f} s)")
    return eval(HITS[0])
"""


def _lesson02():
    return nbformat.read(LESSONS / "02_gan.ipynb", as_version=4)


def _set(nb, grade_id, source):
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source = source
    return nb


def _hostile(tmp: Path, port: int) -> dict:
    """student name -> (notebook or raw bytes) for lesson 02."""
    canary, outside = tmp / "canary.txt", tmp / "written-by-a-student.txt"
    corpus = {}

    nb = _set(_lesson02(), D, "import t2ilab.course.checks as checks\nchecks.check_close = lambda *a, **k: None\n"
              "def my_discriminator_loss(r, f):\n    return torch.tensor(0.0)\n")
    corpus["patch_checks"] = nb

    corpus["eq_everything"] = _set(_lesson02(), D, (
        "class AlwaysEqual(float):\n    def __eq__(self, other):\n        return True\n"
        "    __ne__ = lambda self, other: False\n"
        "def my_discriminator_loss(r, f):\n    return AlwaysEqual(0.5)\n"))

    nb = _set(_lesson02(), D, "def my_discriminator_loss(r, f):\n    return discriminator_loss(r, f)\n")
    _set(nb, G, "import sys\nsys.modules.pop('t2ilab.losses.gan')\nimport t2ilab.losses.gan as fresh\n"
         "def my_generator_loss(f):\n    return fresh.generator_loss_nonsaturating(f)\n")
    _set(nb, STEP, "import t2ilab.evaluate  # a module nothing imported yet: importing it is fine\n"
         "from t2ilab.toys.gan1d import gan_step\n"
         "def my_gan_step(G, D, opt_g, opt_d, real, z):\n    return gan_step(G, D, opt_g, opt_d, real, z)\n")
    corpus["library"] = nb

    nb = _set(_lesson02(), D, f"def my_discriminator_loss(r, f):\n    exec(open({str(LESSONS / '02_gan.ipynb')!r}).read())\n")
    _set(nb, G, f"import os\nos.remove({str(canary)!r})\n" + RIGHT_G)
    _set(nb, STEP, f"open({str(outside)!r}, 'w').write('hello')\n")
    corpus["files"] = nb

    nb = _set(_lesson02(), D, "def my_discriminator_loss(r, f):\n    while True:\n        pass\n")
    corpus["endless_loop"] = nb  # its other exercises are right: they still get their points

    nb = _set(_lesson02(), D, "def my_discriminator_loss(r, f):\n    hog = bytearray(64 * 2**30)\n    return hog\n")
    _set(nb, G, "def my_generator_loss(f):\n    hog = torch.ones(2**34)\n    return hog.sum()\n")
    corpus["memory_hog"] = nb

    nb = _set(_lesson02(), D, "print('x' * 30_000_000)\n" + RIGHT_D)  # right, but loud
    _set(nb, G, "def my_generator_loss(f):\n    print('y' * 10_000_000)\n    return f.sum()\n")
    corpus["printer"] = nb

    nb = _set(_lesson02(), D, "def my_discriminator_loss(r, f):\n    raise ValueError('my own bug')\n")
    _set(nb, G, "import os\ndef my_generator_loss(f):\n    os._exit(3)\n")
    corpus["raises"] = nb

    nb = _set(_lesson02(), D, "import os, signal\ndef my_discriminator_loss(r, f):\n"
              "    os.kill(os.getppid(), signal.SIGKILL)\n    return torch.tensor(0.0)\n")
    corpus["kills_its_parent"] = nb

    nb = _set(_lesson02(), D, "import socket\ndef my_discriminator_loss(r, f):\n"
              f"    s = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
              "    return torch.tensor(float(s.recv(64)))\n")
    _set(nb, G, "import _socket\ndef my_generator_loss(f):\n    s = _socket.socket()\n"
         f"    s.connect(('127.0.0.1', {port}))\n    return torch.tensor(0.0)\n")
    corpus["network"] = nb

    nb = _lesson02()
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != D]
    corpus["deleted_cell"] = nb

    nb = _lesson02()
    nb.cells = nb.cells[::-1]
    corpus["reordered"] = nb

    nb = _set(student_notebook(_lesson02()), "gan_d_loss_tests", "print('visible tests passed')\n")
    _set(nb, D, "def my_discriminator_loss(r, f):\n    return r.mean() - f.mean()\n")
    corpus["edited_locked_cell"] = nb

    # a blank copy (no solution text of its own) that looks for the solution in its memory
    corpus["memory_scan"] = _set(student_notebook(_lesson02()), D, MEMORY_SCAN)
    own = _set(_lesson02(), D, MEMORY_SCAN)  # the same scan finds solution text that is there: its own
    corpus["memory_scan_finds_its_own"] = own

    corpus["disk_filler"] = _set(_lesson02(), D, (
        "open('notes.txt', 'w').write('mine')\nassert open('notes.txt').read() == 'mine'  # its own folder works\n"
        "for i in range(100):\n    open(f'junk{i}', 'wb').write(b'x' * 10_000_000)\n" + RIGHT_D))

    corpus["not_json"] = b"this is not a notebook at all"
    corpus["not_a_notebook"] = b'{"hello": "world"}'
    return corpus


class Listener:
    """A TCP server on 127.0.0.1 that would hand out the right answer: no submission may reach it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port, self.connections, self.stop = self.sock.getsockname()[1], 0, False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.sendall(b"0.6931")
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def _broken_lesson(lessons: Path) -> None:
    """Lesson 97, whose spec fails on the lesson's own solution (a spec author's mistake)."""
    import sys
    import types

    from t2ilab.course.spec import Exercise

    nb = nbformat.v4.new_notebook()
    meta = {"schema_version": 3, "locked": False, "task": False}
    nb.cells = [nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n",
                                          metadata={"nbgrader": {**meta, "solution": True, "grade": False, "grade_id": "f_solution"}}),
                nbformat.v4.new_code_cell("assert f(1) == 2\n", metadata={"nbgrader": {
                    **meta, "solution": False, "grade": True, "locked": True, "points": 1, "grade_id": "f_tests"}})]
    nbformat.write(nb, lessons / "97_broken.ipynb")
    spec = types.ModuleType("t2ilab.course.specs.lesson97")
    spec.SETUP, spec.EXERCISES = "", [Exercise(grade_id="f_tests", solutions=["f_solution"],
                                               probe="def probe(seed):\n    return {'what': 'x', 'value': f(no_such_name)}\n")]
    sys.modules[spec.__name__] = spec


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import shutil
    import sys

    tmp = tmp_path_factory.mktemp("grading")
    subs, lessons = tmp / "submitted", tmp / "lessons"
    lessons.mkdir()
    for path in LESSONS.glob("*.ipynb"):
        shutil.copy(path, lessons)
    _broken_lesson(lessons)
    (tmp / "canary.txt").write_text("keep me")
    for stem in SPEC_LESSONS:
        source = nbformat.read(LESSONS / f"{stem}.ipynb", as_version=4)
        (subs / "solution" / "ps1").mkdir(parents=True, exist_ok=True)  # nbgrader's <student>/<assignment>/ layout
        nbformat.write(source, subs / "solution" / "ps1" / f"{stem}.ipynb")
        (subs / "blank").mkdir(parents=True, exist_ok=True)
        nbformat.write(student_notebook(source), subs / "blank" / f"{stem}.ipynb")
    listener = Listener()
    try:
        for student, nb in _hostile(tmp, listener.port).items():
            (subs / student).mkdir(parents=True)
            path = subs / student / "02_gan.ipynb"
            path.write_bytes(nb) if isinstance(nb, bytes) else nbformat.write(nb, path)
        (subs / "blank" / "99_future.ipynb").write_bytes(nbformat.writes(nbformat.v4.new_notebook()).encode())
        shutil.copy(lessons / "97_broken.ipynb", subs / "blank")
        before = _tree_hash(subs)
        lines = []
        rows = grade(subs, tmp / "grades", jobs=2, seed=SEED, limits=LIMITS, progress=lines.append, lessons_dir=lessons)
    finally:
        listener.close()
        sys.modules.pop("t2ilab.course.specs.lesson97", None)
    by = {(r.student, r.lesson, r.exercise): r for r in rows}
    return {"rows": rows, "by": by, "tmp": tmp, "subs": subs, "out": tmp / "grades", "before": before,
            "connections": listener.connections, "lines": lines}


def needs(run, what):
    """Skip where the kernel lacks a protection (the grader then says so in its `sandbox:` line)."""
    line = next(x for x in run["lines"] if x.startswith("sandbox: "))
    if what not in line:
        pytest.skip(f"no {what} on this machine ({line})")


def _lesson_rows(run, student, lesson="02_gan"):
    return [r for r in run["rows"] if r.student == student and r.lesson == lesson]


@pytest.mark.parametrize("stem", SPEC_LESSONS)
def test_the_solution_gets_full_marks_and_the_blank_copy_zero(run, stem):
    spec = load_spec(stem)
    sol, blank = _lesson_rows(run, "solution", stem), _lesson_rows(run, "blank", stem)
    assert [r.exercise for r in sol] == [e.grade_id for e in spec.exercises]
    assert all(r.points == r.max_points > 0 for r in sol), [r.message for r in sol]
    assert all(r.points == 0 and "not implemented" in r.message for r in blank), [r.message for r in blank]
    top = sum(r.max_points for r in sol)
    source = nbformat.read(LESSONS / f"{stem}.ipynb", as_version=4)
    assert top == sum(c.metadata["nbgrader"].get("points", 0) for c in source.cells
                      if c.metadata.get("nbgrader", {}).get("grade"))


def test_the_lessons_with_specs_include_the_existing_ones():
    assert {"02_gan", "03_vae", "05_evaluation"} <= set(SPEC_LESSONS)


def points(run, student):
    return [r.points for r in _lesson_rows(run, student)]


def message(run, student, exercise="gan_d_loss_tests"):
    return run["by"][student, "02_gan", exercise].message


def test_patched_checks_and_objects_equal_to_everything_earn_nothing(run):
    assert points(run, "patch_checks") == [0, 2, 3]
    assert "returned 0, expected" in message(run, "patch_checks")
    assert points(run, "eq_everything") == [0, 2, 3]
    assert "object of type AlwaysEqual" in message(run, "eq_everything")


def test_the_librarys_own_answer_is_unavailable(run):
    assert points(run, "library") == [0, 0, 0]
    assert "discriminator_loss is the library's answer to this exercise and is unavailable during grading" in message(run, "library")
    assert "cannot be imported again during grading" in message(run, "library", "gan_g_loss_tests")
    assert "gan_step is the library's answer" in message(run, "library", "gan_step_tests")
    assert "cell gan_step_solution raised" not in message(run, "library", "gan_step_tests")  # its import worked


def test_files_outside_its_folder_cannot_be_read_deleted_or_written(run):
    needs(run, "Landlock")
    assert points(run, "files") == [0, 0, 0]
    assert "PermissionError" in message(run, "files")  # the source lesson (with its hidden tests) is unreadable
    assert "cell gan_g_loss_solution raised PermissionError" in message(run, "files", "gan_g_loss_tests")
    assert "PermissionError" in message(run, "files", "gan_step_tests")
    assert (run["tmp"] / "canary.txt").read_text() == "keep me"
    assert not (run["tmp"] / "written-by-a-student.txt").exists()


def test_filling_the_disk_stops_at_the_work_folders_size(run):
    needs(run, "tmpfs")
    assert points(run, "disk_filler") == [0, 2, 3]
    assert "No space left on device" in message(run, "disk_filler")


def test_an_endless_loop_costs_only_its_own_exercise(run):
    assert points(run, "endless_loop") == [0, 2, 3]
    assert f"did not finish within {LIMITS.timeout:g} s" in message(run, "endless_loop")
    # graded again alone (a busy machine must not cost a submission its points), with the same result
    assert any("endless_loop" in x and "graded again alone after a time-out" in x for x in run["lines"])


def test_a_memory_hog_runs_out_of_memory(run):
    assert points(run, "memory_hog") == [0, 0, 3]
    assert "ran out of memory" in message(run, "memory_hog")
    assert "ran out of memory" in message(run, "memory_hog", "gan_g_loss_tests")


def test_printing_megabytes_is_cut_short_and_does_not_change_the_grade(run):
    assert points(run, "printer") == [2, 0, 3]
    assert "printed 28.6 MB; only the first 64 KiB are kept" in message(run, "printer")
    assert "returned" in message(run, "printer", "gan_g_loss_tests")


def test_code_that_raises_or_exits_gets_a_message(run):
    assert points(run, "raises") == [0, 0, 3]
    assert "your code raised ValueError: my own bug (cell gan_d_loss_solution, line 2)" in message(run, "raises")
    assert "ended the grading process early (exit code 3)" in message(run, "raises", "gan_g_loss_tests")


def test_killing_its_parent_changes_nothing_for_anyone(run):
    assert points(run, "kills_its_parent")[0] == 0 and points(run, "kills_its_parent")[1:] == [2, 3]
    assert "PermissionError" in message(run, "kills_its_parent") or "killed" in message(run, "kills_its_parent")


def test_the_network_is_blocked(run):
    needs(run, "network namespace")
    assert points(run, "network") == [0, 0, 3]
    assert "network" in message(run, "network")
    assert "Network is unreachable" in message(run, "network", "gan_g_loss_tests") or \
        "PermissionError" in message(run, "network", "gan_g_loss_tests")
    assert run["connections"] == 0  # nothing reached the server on 127.0.0.1


def test_the_solution_is_not_in_the_students_memory(run):
    assert points(run, "memory_scan") == [0, 0, 0]
    assert "solution not found in" in message(run, "memory_scan")
    # the scan works: in a copy that carries solution text (of the next exercise), it finds it
    assert "solution not found" not in message(run, "memory_scan_finds_its_own")


def test_deleted_reordered_and_edited_cells(run):
    assert points(run, "deleted_cell") == [0, 2, 3]
    assert "cell gan_d_loss_solution is missing from your notebook" in message(run, "deleted_cell")
    assert points(run, "reordered") == [2, 2, 3]
    assert points(run, "edited_locked_cell") == [0, 0, 0]
    assert "you edited or deleted the locked test cell gan_d_loss_tests: it is ignored" in message(run, "edited_locked_cell")
    assert "returned" in message(run, "edited_locked_cell")


def test_files_that_are_not_notebooks(run):
    assert points(run, "not_json") == [0, 0, 0] and "not valid JSON" in message(run, "not_json")
    assert points(run, "not_a_notebook") == [0, 0, 0] and "not a Jupyter notebook" in message(run, "not_a_notebook")


def test_a_lesson_without_a_spec_or_with_a_broken_one_is_named(run):
    [row] = _lesson_rows(run, "blank", "99_future")
    assert row.points == row.max_points == 0 and row.message.startswith("not graded") and "has no grading spec" in row.message
    [row] = _lesson_rows(run, "blank", "97_broken")  # the other lessons were graded all the same
    assert row.message.startswith("not graded") and "fails on the lesson's own solution" in row.message
    assert "NameError: name 'no_such_name' is not defined" in row.message and "fix the spec" in row.message


def test_outputs_feedback_and_untouched_submissions(run):
    out = run["out"]
    assert _tree_hash(run["subs"]) == run["before"]
    header = (out / "grades.csv").read_text().splitlines()[0]
    assert header == "student,lesson,exercise,points,max_points,message"
    data = json.loads((out / "grades.json").read_text())
    assert len(data) == len(run["rows"]) and set(data[0]) == {"student", "lesson", "exercise", "points", "max_points", "message"}
    fb = (out / "feedback" / "patch_checks" / "02_gan.md").read_text()
    assert "**5 / 7 points**" in fb and "expected" in fb and "real and" in fb  # which input (described), expected, got
    seeds = [s for stem in SPEC_LESSONS for e in load_spec(stem).exercises for s in case_seeds(SEED, stem, e.grade_id, e.cases)]
    every = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert not any(str(s) in every for s in seeds)  # the secret seeds never leave the grading process
    assert any(line.startswith("sandbox: ") for line in run["lines"])


def test_compare_checks_shapes_values_and_nan():
    exp = _norm({"__array__": [2], "data": [1.0, 2.0]})
    assert compare(_norm([1.0, 2.0 + 1e-7]), exp, 1e-5, 1e-4) is None
    assert "shape (3,), expected (2,)" in compare(_norm([1.0, 2.0, 3.0]), exp, 1e-5, 1e-4)
    assert "NaN or inf" in compare(_norm([float("nan"), 2.0]), exp, 1e-5, 1e-4)
    assert "instead of 2" in compare(_norm([1.0, 2.5]), exp, 1e-5, 1e-4)
    assert "expected numbers" in compare("0.5", _norm(0.5), 1e-5, 1e-4)
    assert compare(_norm({"a": 1.0}), _norm({"a": 1.0}), 0, 0) is None
    with pytest.raises(ValueError):
        _norm({"__array__": [3], "data": [1.0]})  # a shape that does not fit its data
    assert case_seeds(1, "02_gan", "x", 3) != case_seeds(2, "02_gan", "x", 3)


def test_find_submissions_both_layouts(tmp_path):
    (tmp_path / "ann" / "ps1").mkdir(parents=True)
    (tmp_path / "ann" / "ps1" / "02_gan.ipynb").write_text("{}")
    (tmp_path / "ben").mkdir()
    (tmp_path / "ben" / "03_vae.ipynb").write_text("{}")
    (tmp_path / "ben" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "ben" / ".ipynb_checkpoints" / "03_vae-checkpoint.ipynb").write_text("{}")
    assert [(s, name) for s, name, _ in find_submissions(tmp_path)] == [("ann", "02_gan"), ("ben", "03_vae")]
    assert [(s, name) for s, name, _ in find_submissions(tmp_path, lesson="03")] == [("ben", "03_vae")]
    (tmp_path / "cy").mkdir()
    (tmp_path / "cy" / "02_gan-Copy1.ipynb").write_text("{}")  # renamed: still lesson 02
    (tmp_path / "ann" / "02_gan-Copy1.ipynb").write_text("{}")  # ann also has 02_gan.ipynb: that one counts
    found = {(s, name): p.name for s, name, p in find_submissions(tmp_path)}
    assert found[("cy", "02_gan")] == "02_gan-Copy1.ipynb" and found[("ann", "02_gan")] == "02_gan.ipynb"


def test_the_cli_refuses_an_out_folder_it_did_not_write(tmp_path, capsys):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    (tmp_path / "subs" / "ann" / "02_gan.ipynb").write_text("{}")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("an instructor's notes")
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "mine")]) == 2
    assert "was not written by t2ilab grade" in capsys.readouterr().err
    assert (tmp_path / "mine" / "notes.txt").read_text() == "an instructor's notes"
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "subs" / "grades")]) == 2
    assert "inside the submissions folder" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "g")]) == 2
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g"), "--jobs", "0"]) == 2
