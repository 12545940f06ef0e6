"""`t2ilab grade`: points from outside the student's kernel.

For every submission `SUBMISSIONS/<student>/<lesson>.ipynb` (or nbgrader's
`SUBMISSIONS/<student>/<assignment>/<lesson>.ipynb`) the grader takes the student's solution cells
by nbgrader grade_id, runs them with the lesson spec's SETUP and probes in a limited child process
(`t2ilab.course.sandbox`), and compares the plain-data values that come back, here, with the same
probes run on the source lesson's own solution cells. The student's test cells are never run, so
nothing in the notebook (patched checks, objects equal to everything, edited tests) can change a grade.
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import queue
import re
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import T2ILabError
from .release import LESSONS, student_source
from .spec import Exercise, Spec, load_spec

MARKER = ".t2ilab-grade"
TIMED_OUT = "did not finish within"
NOTEBOOK_BYTES = 50 << 20
COLUMNS = ["student", "lesson", "exercise", "points", "max_points", "message"]


@dataclass
class Row:
    student: str
    lesson: str
    exercise: str
    points: float
    max_points: float
    message: str


@dataclass(frozen=True)
class Limits:
    timeout: float = 20.0        # wall-clock seconds per exercise (cells + all hidden cases)
    memory_mb: float = 2048.0    # memory the student's code may add
    file_mb: float = 16.0        # largest file it may write (in its own folder)
    disk_mb: float = 64.0        # its folder, a tmpfs of this size where the kernel allows
    output_bytes: int = 65536    # printed output kept (the rest is counted and dropped)
    overhead_s: float = 30.0     # per submission, on top of the exercises' time

    def as_request(self) -> dict:
        return {"memory_mb": self.memory_mb, "file_mb": self.file_mb, "disk_mb": self.disk_mb,
                "output_bytes": self.output_bytes, "overhead_s": self.overhead_s}


# ---------------------------------------------------------------- finding and reading submissions

def _number(name: str) -> str | None:
    m = re.match(r"(?:lesson)?(\d+)", name)
    return m.group(1) if m else None


def find_submissions(root: Path, lesson: str | None = None, lessons_dir: Path = LESSONS) -> list[tuple[str, str, Path]]:
    """(student, lesson, path) for `root/<student>/<lesson>.ipynb` and `root/<student>/<assignment>/<lesson>.ipynb`.

    A renamed copy ("02_gan-Copy1.ipynb") counts as the course's lesson of that number when the
    student has no file of the lesson's own name."""
    sources = {_number(p.stem): p.stem for p in lessons_dir.glob("[0-9]*.ipynb")}
    found: dict[tuple[str, str], Path] = {}
    for student in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        paths = sorted(student.glob("*.ipynb")) + sorted(student.glob("*/*.ipynb"))
        for path in paths:
            if ".ipynb_checkpoints" in path.parts or path.name.startswith("."):
                continue
            name = sources.get(_number(path.stem), path.stem)
            if lesson and not (path.stem == lesson or _number(path.stem) == _number(lesson)):
                continue
            key = (student.name, name)
            if key not in found or (path.stem == name and found[key].stem != name):
                found[key] = path
    return [(s, lesson_, p) for (s, lesson_), p in sorted(found.items())]


def read_notebook(path: Path) -> list[dict]:
    """The cells of a submitted notebook, or a T2ILabError saying why it cannot be read."""
    if path.stat().st_size > NOTEBOOK_BYTES:
        raise T2ILabError(f"the notebook is larger than {NOTEBOOK_BYTES >> 20} MB: clear its outputs and submit again")
    try:
        nb = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as e:
        raise T2ILabError(f"the file is not a notebook (not valid JSON: {str(e)[:80]}): submit the .ipynb saved by Jupyter") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise T2ILabError("the file is JSON but not a Jupyter notebook (no list of cells): submit the .ipynb saved by Jupyter")
    cells = []
    for c in nb["cells"]:
        if not isinstance(c, dict):
            continue
        src = c.get("source", "")
        src = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else src
        meta = c.get("metadata") if isinstance(c.get("metadata"), dict) else {}
        grader = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
        cells.append({"type": c.get("cell_type"), "source": src if isinstance(src, str) else "", "nbgrader": grader})
    return cells


def _by_grade_id(cells: list[dict]) -> tuple[dict[str, dict], set[str]]:
    out, dups = {}, set()
    for c in cells:
        gid = c["nbgrader"].get("grade_id")
        if isinstance(gid, str):
            if gid in out:
                dups.add(gid)
            else:
                out[gid] = c
    return out, dups


def _python(source: str) -> str:
    """Jupyter magics (%, !) as plain Python that does nothing during grading."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def _same(a: str, b: str) -> bool:
    return [ln.rstrip() for ln in a.strip().splitlines()] == [ln.rstrip() for ln in b.strip().splitlines()]


# ---------------------------------------------------------------- the sandbox processes

_PRIVATE: list[str] = []


def _private_dir() -> str:
    if not _PRIVATE:
        _PRIVATE.append(tempfile.mkdtemp(prefix="t2ilab-requests-"))  # 0700
    return _PRIVATE[0]


def _read_answer(path: str) -> dict:
    try:
        if os.path.getsize(path) > 64 << 20:
            return {"setup_error": "the grading sandbox's answer is too large"}
        with open(path, "rb") as f:
            out = json.loads(f.read())
        return out if isinstance(out, dict) else {"setup_error": "the grading sandbox's answer is garbled"}
    except (OSError, ValueError):
        return {"setup_error": "the grading sandbox returned no result (it was killed)"}


class Zygote:
    """One `python -m t2ilab.course.sandbox`: torch imported once, each submission in a fresh fork of it."""

    def __init__(self, warm: list[str]):
        r, w = os.pipe()
        self.log = tempfile.TemporaryFile()
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "T2ILAB_FAST", "T2ILAB_DEVICE")}
        env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="", PYTHONDONTWRITEBYTECODE="1",
                   HOME=tempfile.gettempdir())
        self.proc = subprocess.Popen([sys.executable, "-I", "-m", "t2ilab.course.sandbox", str(w)],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.log,
                                     pass_fds=(w,), env=env, cwd=tempfile.gettempdir(), start_new_session=True)
        os.close(w)
        self.reply, self.buffer = r, b""
        hello = self._line(300)
        if not hello or not hello.get("ready"):
            raise T2ILabError(f"the grading sandbox did not start: {self._stderr()}")
        self.landlock = int(hello.get("landlock") or 0)
        for setup in warm:  # a SETUP that fails here fails again in its lesson's solution run, which says so
            self.ask({"warm": setup}, 300)

    def _stderr(self) -> str:
        self.log.seek(0)
        text = self.log.read().decode("utf-8", "replace").strip()
        return text.splitlines()[-1] if text else "no message"

    def _line(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.reply], [], [], left)[0]:
                return None
            chunk = os.read(self.reply, 1 << 20)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def ask(self, req: dict, timeout: float) -> dict:
        """Grade one request. Submissions travel in a private file that only the submission's own
        child reads (and deletes); the zygote gets its path and time limit."""
        if "warm" in req:
            msg, path = req, None
        else:
            fd, path = tempfile.mkstemp(suffix=".json", dir=_private_dir())
            with os.fdopen(fd, "w") as f:
                json.dump(req, f)
            msg = {"path": path, "seconds": sum(e["timeout"] for e in req["exercises"]) + req["limits"]["overhead_s"]}
        try:
            self.proc.stdin.write((json.dumps(msg) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return {"setup_error": "the grading sandbox stopped unexpectedly", "dead": True}
        try:
            out = self._line(timeout)
            if out is not None and out.get("done"):
                out = _read_answer(path + ".out")
        finally:
            for p in (path, path and path + ".out"):
                if p and os.path.exists(p):
                    os.unlink(p)
        if out is None:
            self.close()
            return {"setup_error": "the grading sandbox did not answer in time", "dead": True}
        return out

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, 9)
        except OSError:
            pass
        self.proc.wait()
        os.close(self.reply)
        self.reply = -1


class Pool:
    """`jobs` zygotes; each submission goes to whichever is free."""

    def __init__(self, jobs: int, warm: list[str]):
        self.free: queue.Queue = queue.Queue()
        self.warm, self.all = warm, []
        self.isolation: list[str] = []
        self.lock = threading.Lock()
        self.stopped = False
        for _ in range(jobs):  # all started at once (a few seconds each: torch is imported once per zygote)
            threading.Thread(target=self._start, daemon=True).start()

    def _start(self) -> None:
        try:
            z = Zygote(self.warm)
            with self.lock:
                self.all.append(z)
        except Exception:
            z = None  # tried again, with its error, on first use
        self.free.put(z)

    def ask(self, req: dict, timeout: float) -> dict:
        z = self.free.get()
        try:
            if self.stopped:
                return {"setup_error": "grading was interrupted", "dead": True}
            if z is None or not z.alive() or z.reply < 0:
                z = Zygote(self.warm)
                with self.lock:
                    self.all.append(z)
            out = z.ask(req, timeout)
            if isinstance(out.get("isolation"), list):
                self.isolation = out["isolation"] + ([f"Landlock ABI {z.landlock} (files, TCP, signals)"]
                                                     if z.landlock else ["no Landlock: files are not confined"])
            return out
        finally:
            self.free.put(z)

    def kill(self) -> None:
        self.stopped = True
        with self.lock:
            for z in self.all:
                try:
                    os.killpg(z.proc.pid, 9)  # its children die with it (PR_SET_PDEATHSIG)
                except OSError:
                    pass

    def close(self) -> None:
        for z in self.all:
            if z.reply >= 0:
                z.close()
        while _PRIVATE:
            shutil.rmtree(_PRIVATE.pop(), ignore_errors=True)


# ---------------------------------------------------------------- comparing values (in the grading process)

def _norm(v, depth=0):
    if depth > 20:
        raise ValueError("too deep")
    if isinstance(v, dict) and set(v) == {"__array__", "data"}:
        shape, data = v["__array__"], v["data"]
        if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape) and isinstance(data, list)
                and all(type(x) in (int, float) for x in data) and len(data) == math.prod(shape)):
            raise ValueError("bad array")
        return np.asarray(data, dtype=np.float64).reshape(shape)
    if isinstance(v, dict):
        return {str(k): _norm(x, depth + 1) for k, x in v.items()}
    if isinstance(v, list):
        items = [_norm(x, depth + 1) for x in v]
        if items and all(isinstance(i, np.ndarray) for i in items) and len({i.shape for i in items}) == 1:
            return np.stack(items)
        return items
    if type(v) in (int, float, bool):
        return np.asarray(float(v))
    if v is None or type(v) is str:
        return v
    raise ValueError(f"unexpected {type(v).__name__}")


def _show(a) -> str:
    if isinstance(a, np.ndarray):
        if a.ndim == 0:
            return f"{float(a):.6g}"
        flat = [float(f"{x:.4g}") for x in a.ravel()[:6]]
        return f"shape {tuple(a.shape)} {flat}{'…' if a.size > 6 else ''}"
    if isinstance(a, list):
        return f"a list of {len(a)}"
    if isinstance(a, dict):
        return f"a dict with keys {sorted(a)}"
    return repr(a)[:80]


def compare(got, expected, atol: float, rtol: float, path: str = "") -> str | None:
    """None when `got` matches `expected` within the tolerances; otherwise what differs, in words."""
    at = f"{path} " if path else ""
    if isinstance(expected, np.ndarray):
        if got is None:
            return f"{at}is None, expected {_show(expected)} (a missing `return`, or no gradient reaches the inputs?)"
        if not isinstance(got, np.ndarray):
            return f"{at}is {_show(got)}, expected numbers: {_show(expected)}"
        if got.shape != expected.shape:
            return (f"{at}has shape {tuple(got.shape)}, expected {tuple(expected.shape)}: "
                    "check which dimensions you sum or average over")
        bad_nan = ~np.isfinite(got) & np.isfinite(expected)
        if bad_nan.any():
            return f"{at}contains NaN or inf ({_show(got)}), expected {_show(expected)}: compute from logits with a stable function"
        close = np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
        if not close.all():
            if got.ndim == 0:
                return f"{at}returned {_show(got)}, expected {_show(expected)}"
            i = np.unravel_index(int(np.argmin(close)), got.shape)
            return (f"{at}returned {_show(got)}, expected {_show(expected)} "
                    f"(first difference at index {tuple(int(x) for x in i)}: {got[i]:.6g} instead of {expected[i]:.6g})")
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return f"{at}is {_show(got)}, expected {_show(expected)}"
        for k in expected:
            msg = compare(got[k], expected[k], atol, rtol, f"{path}{k}" if not path else f"{path}[{k!r}]")
            if msg:
                return msg
        return None
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return f"{at}is {_show(got)}, expected {_show(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            msg = compare(g, e, atol, rtol, f"{path}[{i}]")
            if msg:
                return msg
        return None
    return None if got == expected else f"{at}returned {_show(got)}, expected {_show(expected)}"


# ---------------------------------------------------------------- turning sandbox answers into points

def _error_message(error: str, limits: Limits) -> str:
    if error.startswith("NotImplementedError"):
        return f"not implemented: your code raised {error}; replace `raise NotImplementedError()` with your code"
    if "unavailable during grading" in error:
        return f"{error.split(': ', 1)[-1]} (it earns nothing)"
    if error.startswith("MemoryError") or "can't allocate memory" in error or "Cannot allocate memory" in error:
        return f"ran out of memory (your code may use {limits.memory_mb:g} MB during grading): {error[:160]}"
    if "network" in error.lower() and ("blocked" in error or "unreachable" in error.lower()):
        return f"tried to use the network, which is blocked during grading: {error[:160]}"
    if error.startswith("PermissionError"):
        return (f"{error[:200]}: during grading your code may only compute (no reading other files, writing "
                "outside its folder, signalling other processes or using the network)")
    return f"your code raised {error[:300]}"


def score(ex: Exercise, points: float, got: dict | None, expected: list[dict], limits: Limits,
          notes: list[str], timeout: float) -> tuple[float, str]:
    """(points, message) for one exercise from the sandbox's answer and the solution's values."""
    n = len(expected)
    lines = [x for x in (got or {}).get("lines", []) if isinstance(x, dict)]
    notes = list(notes)
    for x in lines:
        if "missing" in x and isinstance(x["missing"], str):
            notes.append(f"cell {x['missing']} is missing from your notebook (deleted, renamed or made markdown): it was not run")
        elif "cell" in x and isinstance(x.get("error"), str):
            notes.append(f"cell {x['cell']} raised {x['error'][:200]}")
        elif x.get("garbled"):
            notes.append("part of the result was garbled")
    printed = (got or {}).get("printed", 0)
    if isinstance(printed, int) and printed > limits.output_bytes:
        notes.append(f"your code printed {printed / 2**20:.1f} MB; only the first {limits.output_bytes >> 10} KiB are kept")
    fatal = next((x["fatal"] for x in lines if isinstance(x.get("fatal"), str)), None)
    cases = {x["case"]: x for x in lines if type(x.get("case")) is int}
    problem = None
    if got is None:
        problem = "the grading process stopped before this exercise"
    elif fatal:
        problem = fatal
    for i in range(n):
        if problem:
            break
        what = expected[i].get("what") or "a hidden input"
        where = f"hidden case {i + 1} of {n} ({what})"
        c = cases.get(i)
        if c is None:
            if got.get("too_big"):
                problem = f"{where}: your code sent back more data than can be graded"
            elif got.get("timed_out"):
                problem = f"{where}: {TIMED_OUT} {timeout:g} s (an endless loop, or far too slow)"
            elif got.get("signal") == 24:
                problem = f"{where}: used more than {timeout:g} s of CPU time"
            elif "signal" in got:
                problem = f"{where}: your code was killed by signal {got['signal']} (out of memory, or it crashed)"
            else:
                problem = f"{where}: your code ended the grading process early (exit code {got.get('exit')})"
        elif isinstance(c.get("error"), str):
            problem = f"{where}: {_error_message(c['error'], limits)}"
        else:
            try:
                value = _norm(c.get("value"))
            except ValueError:
                problem = f"{where}: the value that came back cannot be graded"
                continue
            diff = compare(value, expected[i]["value"], ex.atol, ex.rtol)
            if diff:
                problem = f"{where}: {diff}"
    if problem is None:
        return points, "; ".join([f"passed all {n} hidden cases"] + notes)
    return 0.0, "; ".join([problem] + notes)


# ---------------------------------------------------------------- the grade run

def case_seeds(secret: int, lesson: str, grade_id: str, n: int) -> list[int]:
    """Secret seeds: from the run's secret only, never from anything in a notebook."""
    return [int.from_bytes(hashlib.sha256(f"{secret}:{lesson}:{grade_id}:{i}".encode()).digest()[:4], "big") & 0x7FFFFFFF
            for i in range(n)]


def _request(spec: Spec, cells: dict[str, str], seeds: dict[str, list[int]], limits: Limits) -> dict:
    return {"setup": spec.setup, "cells": cells, "limits": limits.as_request(),
            "exercises": [{"grade_id": e.grade_id, "solutions": list(e.solutions), "probe": e.probe,
                           "forbidden": list(e.forbidden), "seeds": seeds[e.grade_id],
                           "timeout": e.timeout or limits.timeout} for e in spec.exercises]}


def _deadline(req: dict) -> float:
    return sum(e["timeout"] for e in req["exercises"]) + req["limits"]["overhead_s"] + 30


class Lesson:
    """A lesson's spec, points and the solution's values (computed once per run)."""

    def __init__(self, stem: str, lessons_dir: Path, secret: int):
        self.stem = stem
        self.spec = load_spec(stem)
        source = lessons_dir / f"{stem}.ipynb"
        if not source.exists():
            raise T2ILabError(f"there is no source lesson {source}: grade submissions of the course's lessons")
        self.cells, _ = _by_grade_id(read_notebook(source))
        self.points: dict[str, float] = {}
        for e in self.spec.exercises:
            cell = self.cells.get(e.grade_id)
            if cell is None or not cell["nbgrader"].get("grade"):
                raise T2ILabError(f"{self.spec.module}: {stem}.ipynb has no graded cell {e.grade_id}: fix the spec")
            missing = [g for g in e.solutions if g not in self.cells]
            if missing:
                raise T2ILabError(f"{self.spec.module}: {stem}.ipynb has no cell {missing[0]}: fix the spec")
            self.points[e.grade_id] = float(cell["nbgrader"].get("points") or 0)
        self.seeds = {e.grade_id: case_seeds(secret, stem, e.grade_id, e.cases) for e in self.spec.exercises}
        self.expected: dict[str, list[dict]] = {}

    def solution_request(self, limits: Limits) -> dict:
        cells = {g: c["source"] for g, c in self.cells.items() if c["type"] == "code"}
        return _request(self.spec, cells, self.seeds, limits)

    def set_expected(self, reply: dict) -> None:
        if "setup_error" in reply:
            raise T2ILabError(f"{self.spec.module}: the lesson's own solution cannot be graded: {reply['setup_error']}: fix the spec")
        for e, res in zip(self.spec.exercises, reply["exercises"]):
            cases = {x["case"]: x for x in res["lines"] if type(x.get("case")) is int and "value" in x}
            bad = next((x for x in res["lines"] if "error" in x or "fatal" in x or "missing" in x), None)
            if bad or len(cases) != e.cases:
                why = bad or ("timed out" if res.get("timed_out") else f"{len(cases)} of {e.cases} cases came back")
                raise T2ILabError(f"{self.spec.module}: exercise {e.grade_id} fails on the lesson's own solution "
                                  f"({why}): fix the spec")
            self.expected[e.grade_id] = [{"what": cases[i]["what"], "value": _norm(cases[i]["value"])}
                                         for i in range(e.cases)]

    def locked_edits(self, by_id: dict[str, dict]) -> set[str]:
        edited = set()
        for gid, src in self.cells.items():
            g = src["nbgrader"]
            if not (g.get("locked") or g.get("grade")) or g.get("solution"):
                continue
            mine = by_id.get(gid)
            if mine is None or not (_same(mine["source"], src["source"]) or _same(mine["source"], student_source(src["source"]))):
                edited.add(gid)
        return edited


def _dumpable(flag: bool) -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, int(flag), 0, 0, 0)  # PR_SET_DUMPABLE (Linux)
    except Exception:
        pass


def _check_out(out: Path, submissions: Path, force: bool) -> None:
    out_r, sub_r = out.resolve(), submissions.resolve()
    if out_r == sub_r or sub_r in out_r.parents:
        raise T2ILabError(f"--out {out} is inside the submissions folder: grades go elsewhere, submissions are never modified")
    if out_r in sub_r.parents:
        raise T2ILabError(f"--out {out} contains the submissions folder: choose a separate folder for grades")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists() and not force)):
        raise T2ILabError(f"{out} exists and was not written by t2ilab grade: choose another --out, or pass --force to overwrite it")


def grade(submissions: str | Path, out: str | Path, jobs: int | None = None, lesson: str | None = None,
          seed: int | None = None, limits: Limits = Limits(), force: bool = False,
          lessons_dir: Path = LESSONS, progress=None) -> list[Row]:
    """Grade every submission; write grades.csv, grades.json and feedback/<student>/<lesson>.md under `out`."""
    submissions, out = Path(submissions), Path(out)
    if not submissions.is_dir():
        raise T2ILabError(f"{submissions} is not a folder: pass the folder that holds <student>/<lesson>.ipynb")
    _check_out(out, submissions, force)
    found = find_submissions(submissions, lesson, lessons_dir)
    if not found:
        raise T2ILabError(f"no notebooks in {submissions}: expected {submissions}/<student>/<lesson>.ipynb"
                          + (f" for lesson {lesson}" if lesson else ""))
    if jobs is not None and jobs < 1:
        raise T2ILabError(f"--jobs {jobs}: grade at least one submission at a time (--jobs 1 or more)")
    if not limits.timeout > 0 or not limits.memory_mb > 0:
        raise T2ILabError("--timeout and --memory must be positive")
    secret = seed if seed is not None else secrets.randbits(62)
    lessons: dict[str, Lesson | str] = {}
    for stem in sorted({name for _, name, _ in found}):
        try:
            lessons[stem] = Lesson(stem, lessons_dir, secret)
        except T2ILabError as e:
            lessons[stem] = f"not graded: {e}"
        except Exception as e:  # a spec that does not even import
            lessons[stem] = f"not graded: the grading spec of {stem} fails to load ({type(e).__name__}: {e}): fix the spec"
    ready = [x for x in lessons.values() if isinstance(x, Lesson)]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(found) + len(ready)))
    pool = Pool(jobs, [x.spec.setup for x in ready])
    rows: dict[int, list[Row]] = {}
    _dumpable(False)  # (where Landlock is missing) no child of the same user can read this process's memory
    ex = ThreadPoolExecutor(jobs)
    try:
        refs = {x.stem: ex.submit(pool.ask, r := x.solution_request(limits), _deadline(r)) for x in ready}
        for x in ready:
            try:
                x.set_expected(refs[x.stem].result())
            except T2ILabError as e:  # the other lessons are still graded
                lessons[x.stem] = f"not graded: {e}"
        if progress:
            for stem, x in lessons.items():
                if isinstance(x, str):
                    progress(f"note: {stem}: {x}")
        futures = {i: ex.submit(_grade_one, pool, student, lessons[stem], stem, path, limits)
                   for i, (student, stem, path) in enumerate(found)}
        for i, f in futures.items():
            rows[i] = f.result()
            if progress:
                got, top = sum(r.points for r in rows[i]), sum(r.max_points for r in rows[i])
                progress(f"{found[i][0]:>20s}  {found[i][1]:<16s} {got:g} / {top:g}")
        # a submission that ran out of time is graded again, alone: a busy machine (or a
        # classmate's fork bomb in the next process) must not cost it its points
        for i in [i for i, rs in rows.items() if any(TIMED_OUT in r.message for r in rs)]:
            student, stem, path = found[i]
            rows[i] = _grade_one(pool, student, lessons[stem], stem, path, limits)
            if progress:
                got, top = sum(r.points for r in rows[i]), sum(r.max_points for r in rows[i])
                progress(f"{student:>20s}  {stem:<16s} {got:g} / {top:g}  (graded again alone after a time-out)")
    except BaseException:  # interrupted: stop the sandboxes now, so the waiting threads return at once
        pool.kill()
        raise
    finally:
        ex.shutdown(wait=True, cancel_futures=True)
        pool.close()
        _dumpable(True)
    result = [r for i in sorted(rows) for r in rows[i]]
    _write(out, result, pool.isolation)
    if progress:
        progress("sandbox: " + (", ".join(pool.isolation) or "no namespaces") + "; rlimits on memory, CPU, file size, processes")
    return result


def _grade_one(pool: Pool, student: str, lesson: Lesson | str, stem: str, path: Path, limits: Limits) -> list[Row]:
    if isinstance(lesson, str):
        return [Row(student, stem, "", 0.0, 0.0, lesson)]
    exercises = lesson.spec.exercises

    def zero(message: str) -> list[Row]:
        return [Row(student, stem, e.grade_id, 0.0, lesson.points[e.grade_id], message) for e in exercises]

    try:
        cells = read_notebook(path)
    except T2ILabError as e:
        return zero(str(e))
    except OSError as e:
        return zero(f"the file cannot be read ({e.strerror})")
    by_id, dups = _by_grade_id(cells)
    edited = lesson.locked_edits(by_id)
    wanted = {g for e in exercises for g in e.solutions}
    code = {g: _python(c["source"]) for g, c in by_id.items() if c["type"] == "code" and g in wanted}
    reply = pool.ask(req := _request(lesson.spec, code, lesson.seeds, limits), _deadline(req))
    results = {r.get("grade_id"): r for r in reply.get("exercises", []) if isinstance(r, dict)}
    rows = []
    for e in exercises:
        notes = []
        if e.grade_id in edited:
            notes.append(f"you edited or deleted the locked test cell {e.grade_id}: it is ignored "
                         "(points come from hidden cases the grader runs)")
        notes += [f"two cells share the grade_id {g}: the first was graded" for g in sorted(dups) if g in e.solutions]
        if "setup_error" in reply:
            rows.append(Row(student, stem, e.grade_id, 0.0, lesson.points[e.grade_id],
                            "; ".join([reply["setup_error"]] + notes)))
            continue
        pts, msg = score(e, lesson.points[e.grade_id], results.get(e.grade_id), lesson.expected[e.grade_id],
                         limits, notes, e.timeout or limits.timeout)
        rows.append(Row(student, stem, e.grade_id, pts, lesson.points[e.grade_id], msg))
    return rows


# ---------------------------------------------------------------- writing the grades

def feedback(student: str, lesson: str, rows: list[Row]) -> str:
    got, top = sum(r.points for r in rows), sum(r.max_points for r in rows)
    lines = [f"# {lesson}: feedback for {student}", "", f"**{got:g} / {top:g} points**", ""]
    for r in rows:
        name = f"`{r.exercise}`" if r.exercise else "this notebook"
        lines.append(f"- {name} — {r.points:g} / {r.max_points:g}: {r.message}")
    lines += ["", "Your solution cells were run on hidden inputs drawn afresh for this grading run and "
              "compared with the course's solution; the inputs are described, not shown. Your copies of "
              "the test cells are not run during grading.", ""]
    return "\n".join(lines)


def _write(out: Path, rows: list[Row], isolation: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by t2ilab grade; sandbox: " + ", ".join(isolation) + "\n")
    with open(out / "grades.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow(asdict(r))
    (out / "grades.json").write_text(json.dumps([asdict(r) for r in rows], indent=1, ensure_ascii=False) + "\n")
    groups: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        groups.setdefault((r.student, r.lesson), []).append(r)
    for (student, lesson), group in groups.items():
        path = out / "feedback" / student / f"{lesson}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(feedback(student, lesson, group))
