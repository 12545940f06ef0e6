"""The limited child process of `t2ilab grade`: where a student's code runs.

    python -I -m t2ilab.course.sandbox REPLY_FD

One such process (a "zygote") imports torch and the library once, then reads one line per
submission on stdin: the path of a private request file (the submission's cells, the exercises,
the secret seeds) and a time limit. It never reads the file itself, so no later fork of it holds
another submission's code or the solution's values. For every request it forks:

    zygote ── C (reads and deletes the request; new session; new network, PID and mount
               │  namespaces where the kernel allows; the work folder a small tmpfs)
               └── R  (PID 1 of the new namespaces: runs the lesson's SETUP, then for each exercise)
                    └── S  (one per exercise: rlimits, stubs for the forbidden functions, Landlock,
                            no capabilities; then the student's cells and probe(seed) for each seed)

S sends each case's value as one JSON line on its own pipe; R reads it (bounded), keeps at most a
little of S's printed output, enforces the exercise's wall-clock limit and kills whatever S left
behind before the next exercise; then R writes the submission's answer to a private file next to
the request and the zygote answers "done" on REPLY_FD. Nothing S does reaches the grading process
except these JSON lines, which the grading process validates and compares with the solution's
values itself.
"""
from __future__ import annotations

import builtins
import ctypes
import importlib
import json
import math
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
import types

RESULT_BYTES = 4 << 20   # JSON an exercise may send back
LINE_BYTES = 1 << 20     # one case
PRELOAD = ["numpy", "torch.nn.functional", "t2ilab.losses", "t2ilab.metrics", "t2ilab.toys.gan1d",
           "t2ilab.course.checks", "t2ilab.errors"]
LINUX = sys.platform.startswith("linux")  # elsewhere: only the rlimits the system has, and the in-process stubs
_libc = ctypes.CDLL(None, use_errno=True)
if LINUX:
    _libc.syscall.restype = ctypes.c_long
    _libc.prctl.restype = ctypes.c_int
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000


def _prctl(option: int, arg: int = 0) -> int:
    if not LINUX:
        return -1
    return _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


# ---------------------------------------------------------------- namespaces (in C)

def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def unshare_namespaces(workdir: str, disk_mb: float) -> list[str]:
    """New network, PID and mount namespaces (and a user namespace when not root), the work folder a
    small tmpfs. Returns what took effect."""
    if not LINUX:
        return []
    uid, gid = os.getuid(), os.getgid()
    base = CLONE_NEWNET | CLONE_NEWPID
    tries = [(base | CLONE_NEWNS, False), (base, False), (CLONE_NEWUSER | base | CLONE_NEWNS, True),
             (CLONE_NEWUSER | base, True)]
    for flags, user in tries:
        if not user and os.geteuid() != 0:
            continue
        if _libc.unshare(ctypes.c_int(flags)) != 0:
            continue
        if user:
            try:
                _write("/proc/self/setgroups", "deny")
                _write("/proc/self/uid_map", f"{uid} {uid} 1")
                _write("/proc/self/gid_map", f"{gid} {gid} 1")
            except OSError:
                pass
        done = ["network namespace (no network)", "PID namespace"]
        if flags & CLONE_NEWNS:
            ms_rec, ms_private, ms_nosuid, ms_nodev = 16384, 1 << 18, 2, 4
            private = _libc.mount(None, b"/", None, ctypes.c_ulong(ms_rec | ms_private), None) == 0
            if private and _libc.mount(b"tmpfs", workdir.encode(), b"tmpfs", ctypes.c_ulong(ms_nosuid | ms_nodev),
                                       f"size={int(disk_mb)}m,mode=0700".encode()) == 0:
                done.append(f"work folder a {int(disk_mb)} MB tmpfs")
        return done
    return []


# ---------------------------------------------------------------- limits (in S)

_FS_READ = (1 << 0) | (1 << 2) | (1 << 3)            # execute, read file, read dir
_FILE_RIGHTS = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 14) | (1 << 15)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]


def landlock(write_dir: str, read_paths: list[str]) -> str | None:
    """Files: read only `read_paths`, write only in `write_dir`; no TCP; no signals out. None if unavailable."""
    if not LINUX:
        return None
    sc = _libc.syscall
    abi = sc(ctypes.c_long(444), None, ctypes.c_long(0), ctypes.c_long(1))
    if abi < 1:
        return None
    fs = (1 << 13) - 1
    fs |= (1 << 13) if abi >= 2 else 0
    fs |= (1 << 14) if abi >= 3 else 0
    fs |= (1 << 15) if abi >= 5 else 0
    attr = _RulesetAttr(fs, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    rfd = sc(ctypes.c_long(444), ctypes.byref(attr), ctypes.c_long(size), ctypes.c_long(0))
    if rfd < 0:  # the grader reported Landlock: never grade without it, unannounced
        raise OSError(ctypes.get_errno(), "Landlock is available but its ruleset could not be made")
    rules = [(p, _FS_READ) for p in read_paths] + [(write_dir, fs), ("/dev/null", (1 << 1) | (1 << 2))]
    for path, access in rules:
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        if not os.path.isdir(path):
            access &= _FILE_RIGHTS
        rule = _PathBeneath(access & fs, pfd)
        sc(ctypes.c_long(445), ctypes.c_long(rfd), ctypes.c_long(1), ctypes.byref(rule), ctypes.c_long(0))
        os.close(pfd)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    ok = sc(ctypes.c_long(446), ctypes.c_long(rfd), ctypes.c_long(0)) == 0
    os.close(rfd)
    if not ok:
        raise OSError(ctypes.get_errno(), "Landlock is available but could not be applied")
    return f"Landlock ABI {abi}: files readable only under the Python installation, writable only in the work folder" + (
        "; no TCP" if abi >= 4 else "") + ("; no signals to other processes" if abi >= 6 else "")


def drop_capabilities() -> None:
    if not LINUX:
        return
    for cap in range(64):
        _prctl(PR_CAPBSET_DROP, cap)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    _libc.capset(header, data)


def _threads_of_uid(uid: int) -> int:
    n = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    n += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return n


def set_limits(memory_mb: float, cpu_s: float, file_mb: float) -> None:
    cpu = max(1, math.ceil(cpu_s))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(file_mb * 2**20),) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if LINUX:  # address space on top of what is mapped now (torch maps a lot it never touches)
        with open("/proc/self/status") as f:
            vm_kb = next((int(line.split()[1]) for line in f if line.startswith("VmSize:")), 0)
        cap = vm_kb * 1024 + int(memory_mb * 2**20)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        procs = _threads_of_uid(os.getuid()) + 64
        resource.setrlimit(resource.RLIMIT_NPROC, (procs, procs))


def forbid(dotted: str, namespace: dict) -> None:
    """Replace a library function by a stub that says it is unavailable, wherever it is bound."""
    modname, _, attr = dotted.rpartition(".")
    original = getattr(importlib.import_module(modname), attr)
    message = (f"{attr} is the library's answer to this exercise and is unavailable during grading: "
               "write it yourself")
    code = compile(f"def {attr}(*args, **kwargs):\n    raise RuntimeError({message!r})\n", f"<{dotted}>", "exec")
    stub_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    if isinstance(original, types.FunctionType) and not original.__code__.co_freevars:
        # every reference to the function (aliases, from-imports, references kept elsewhere) now runs the stub
        original.__code__, original.__defaults__, original.__kwdefaults__ = stub_code, None, None
        return
    stub = types.FunctionType(stub_code, {"__builtins__": builtins})
    for module in list(sys.modules.values()):
        d = getattr(module, "__dict__", None)
        if isinstance(d, dict):
            for k, v in list(d.items()):
                if v is original:
                    d[k] = stub
    for k, v in list(namespace.items()):
        if v is original:
            namespace[k] = stub


def _no_network() -> None:
    import socket

    def blocked(*args, **kwargs):
        raise OSError("network access is blocked during grading")

    for name in ("connect", "connect_ex", "sendto", "bind"):
        setattr(socket.socket, name, blocked)
    socket.create_connection = socket.getaddrinfo = blocked


def _no_reimport(modules: set[str]) -> None:
    """The modules that hold forbidden functions cannot be imported afresh or reloaded."""

    class Refuse:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name in modules:
                raise ImportError(f"{name} cannot be imported again during grading")
            return None

    sys.meta_path.insert(0, Refuse)

    def reload(module):
        raise ImportError("importlib.reload is unavailable during grading")

    importlib.reload = reload


# ---------------------------------------------------------------- values (in S)

def plain(v, depth: int = 0):
    """A probe's value as JSON data: numbers, strings, None, lists, dicts, {"__array__": shape, "data": [...]}."""
    import numpy as np
    import torch

    if depth > 16:
        raise TypeError("the value is nested too deeply")
    if v is None or type(v) in (bool, str):
        return v
    if type(v) in (int, float):
        return float(v)
    if isinstance(v, torch.Tensor):
        with torch._C.DisableTorchFunction():
            t = torch.Tensor.detach(v).to("cpu")
            if t.is_complex():
                raise TypeError("complex tensors cannot be graded")
            return {"__array__": list(t.shape), "data": t.to(torch.float64).flatten().tolist()}
    if isinstance(v, np.ndarray) and v.dtype.kind in "biuf":
        return {"__array__": list(v.shape), "data": v.astype(np.float64).ravel().tolist()}
    if isinstance(v, (np.integer, np.floating, np.bool_)):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [plain(x, depth + 1) for x in v]
    if isinstance(v, dict) and all(type(k) is str for k in v):
        return {k: plain(x, depth + 1) for k, x in v.items()}
    raise TypeError(f"returned an object of type {type(v).__name__}: return numbers, tensors, tuples or lists")


def describe(e: BaseException) -> str:
    """'Kind: message (cell X, line N)' for an exception raised by a student's code."""
    try:
        text = str(e)
    except BaseException:
        text = ""
    where, tb = "", e.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.startswith("<cell "):
            where = f" ({name[1:-1]}, line {tb.tb_lineno})"
        tb = tb.tb_next
    kind = type(e).__name__ if isinstance(type(e).__name__, str) else "Exception"
    return f"{kind}: {text[:400]}{where}" if text else f"{kind}{where}"


class _IPython:
    """Enough of get_ipython() for cells with magics: they do nothing during grading."""

    def __getattr__(self, name):
        return lambda *a, **k: None


# ---------------------------------------------------------------- one exercise (S, in R's fork)

def _exercise_child(ex: dict, req: dict, namespace: dict, res_w: int, out_w: int) -> None:
    send = os.write
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    _close_fds_except(res_w)

    def emit(obj) -> None:
        data = (json.dumps(obj, allow_nan=True) + "\n").encode()
        if len(data) > LINE_BYTES:
            data = (json.dumps({"case": obj.get("case"), "error": "the value is too large to grade"}) + "\n").encode()
        while data:
            data = data[send(res_w, data):]

    limits = req["limits"]
    modules = {name.rpartition(".")[0] for name in ex["forbidden"]}
    try:
        for name in ex["forbidden"]:
            forbid(name, namespace)
        _no_reimport(modules)
        _no_network()
        set_limits(limits["memory_mb"], ex["timeout"] + 1, limits["file_mb"])
        landlock(req["workdir"], req["read_paths"])
        drop_capabilities()
    except BaseException as e:  # our own failure: say so rather than grade without limits
        emit({"fatal": f"the grading sandbox could not start: {describe(e)}"})
        os._exit(0)
    for gid in ex["solutions"]:
        source = req["cells"].get(gid)
        if source is None:
            emit({"missing": gid})
            continue
        try:
            exec(compile(source, f"<cell {gid}>", "exec"), namespace)
        except BaseException as e:
            emit({"cell": gid, "error": describe(e)})
    try:
        exec(compile(ex["probe"], "<probe>", "exec"), namespace)
        probe = namespace["probe"]
    except BaseException as e:
        emit({"fatal": f"the exercise's probe failed to load: {describe(e)}"})
        os._exit(0)
    for i, seed in enumerate(ex["seeds"]):
        try:
            out = probe(seed)
            if type(out) is not dict or "value" not in out:
                raise TypeError("probe(seed) must return {'what': ..., 'value': ...}")
            emit({"case": i, "what": str(out.get("what", ""))[:300], "value": plain(out["value"])})
        except BaseException as e:
            emit({"case": i, "error": describe(e)})
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    emit({"done": True})
    os._exit(0)


def _reap_namespace() -> None:
    """In R only, as PID 1 of its own namespace: kill everything the student's code left behind.

    Repeated until no process is left: a process that was forking when it was killed can leave a
    child the first kill(-1) missed (a fork bomb)."""
    deadline = time.monotonic() + 10
    while True:
        if os.getpid() == 1:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return  # no children (orphans in the namespace are R's children too)
        if os.getpid() != 1 or time.monotonic() > deadline:
            return
        time.sleep(0.005)


def run_exercise(ex: dict, req: dict, namespace: dict) -> dict:
    res_r, res_w = os.pipe()
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(res_r)
            os.close(out_r)
            _exercise_child(ex, req, namespace, res_w, out_w)
        finally:
            os._exit(70)
    os.close(res_w)
    os.close(out_w)
    keep_out = req["limits"]["output_bytes"]
    result, output, printed, status = bytearray(), bytearray(), 0, None
    deadline = time.monotonic() + ex["timeout"]
    open_fds = {res_r, out_r}
    timed_out = too_big = False
    while True:
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
        if status is not None and res_r not in open_fds:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = status is None
            break
        if not open_fds:
            time.sleep(min(0.02, left))
            continue
        ready, _, _ = select.select(list(open_fds), [], [], min(0.05, left))
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.discard(fd)
                os.close(fd)
            elif fd == res_r:
                result += chunk
                if len(result) > RESULT_BYTES:
                    too_big = True
            else:
                printed += len(chunk)
                if len(output) < keep_out:
                    output += chunk[:keep_out - len(output)]
        if too_big:
            break
    if status is None:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    for fd in open_fds:
        # what is still buffered (S left a process behind holding the pipes: it is killed next)
        os.set_blocking(fd, False)
        try:
            while (chunk := os.read(fd, 1 << 16)):
                if fd == res_r and len(result) <= RESULT_BYTES:
                    result += chunk
                elif fd == out_r:
                    printed += len(chunk)
                    output += chunk[:max(0, keep_out - len(output))]
        except OSError:
            pass
        os.close(fd)
    _reap_namespace()
    lines = []
    for raw in bytes(result[:RESULT_BYTES]).splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            lines.append({"garbled": True})
    exit_info = {}
    if os.WIFSIGNALED(status):
        exit_info["signal"] = os.WTERMSIG(status)
    elif os.WIFEXITED(status):
        exit_info["exit"] = os.WEXITSTATUS(status)
    return {"grade_id": ex["grade_id"], "lines": lines, "timed_out": timed_out, "too_big": too_big,
            "printed": printed, "output": output.decode("utf-8", "replace"), **exit_info}


# ---------------------------------------------------------------- one submission (R)

def run_submission(req: dict) -> dict:
    os.chdir(req["workdir"])
    os.environ["TMPDIR"] = os.environ["HOME"] = req["workdir"]
    tempfile.tempdir = req["workdir"]
    namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _IPython,
                 "display": lambda *a, **k: None}
    try:
        exec(compile(req["setup"], "<setup>", "exec"), namespace)
    except BaseException as e:
        return {"setup_error": describe(e)}
    return {"exercises": [run_exercise(ex, req, namespace) for ex in req["exercises"]]}


def _close_fds_except(*keep: int) -> None:
    top = max(3, min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 1 << 16))
    edges = sorted(k for k in set(keep) if 3 <= k < top)
    start = 3
    for k in edges:
        os.closerange(start, k)
        start = k + 1
    os.closerange(start, top)


def _submission_child(msg: dict, reply_w: int) -> None:
    """C: reads its request (the zygote never does), a new session and namespaces, then R as PID 1."""
    os.setsid()
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the zygote stopped (the grader was interrupted): so does C, then R
    _close_fds_except(reply_w)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    with open(msg["path"], "rb") as f:
        req = json.loads(f.read())
    os.unlink(msg["path"])  # gone before any student code runs
    req.update(workdir=msg["workdir"], read_paths=msg["read_paths"])
    isolation = unshare_namespaces(msg["workdir"], req["limits"].get("disk_mb", 64))
    pid = os.fork()
    if pid == 0:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # (the zygote also kills C's process group, R included)
        _prctl(PR_SET_DUMPABLE, 0)
        try:
            out = run_submission(req)
        except BaseException as e:
            out = {"setup_error": f"the grading sandbox failed: {describe(e)}"}
        out["isolation"] = isolation
        # the answer goes to a private file next to the request, not through the zygote: no later
        # fork of the zygote can find the solution's values (or a classmate's) in its memory
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(msg["path"]))
        data = json.dumps(out).encode()
        while data:
            data = data[os.write(fd, data):]
        os.close(fd)
        os.replace(tmp, msg["path"] + ".out")  # replaces whatever else might have been put there
        os._exit(0)
    os.close(reply_w)
    try:
        os.waitpid(pid, 0)
    finally:
        os._exit(0)


def serve(msg: dict, paths: list[str]) -> dict:
    """In the zygote: one submission in a fresh fork and work folder; the JSON that came back.

    `msg` holds the path of the request file and the submission's time limit: the zygote never reads
    a submission's code, so no fork of it can find another submission (or the solution) in its memory."""
    workdir = tempfile.mkdtemp(prefix="t2ilab-grade-")
    os.chmod(workdir, 0o700)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _submission_child({**msg, "workdir": workdir, "read_paths": paths}, w)
        finally:
            os._exit(70)
    os.close(w)
    deadline = time.monotonic() + float(msg["seconds"])
    killed = False
    while True:  # nothing is ever written to r: it closes when C and R have exited
        left = deadline - time.monotonic()
        if left <= 0:
            killed = True
            break
        if select.select([r], [], [], left)[0] and not os.read(r, 1 << 16):
            break
    os.close(r)
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    shutil.rmtree(workdir, ignore_errors=True)
    if killed:
        return {"setup_error": "the submission ran past the time limit of the whole submission and was stopped"}
    return {"done": True}


def read_paths() -> list[str]:
    """What a student's code may read: the Python installation, system libraries and the t2ilab
    package (a student may import any of it), not the lessons, the submissions or anything else."""
    import t2ilab

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc",
             "/proc", "/sys", "/dev", "/opt", os.path.dirname(t2ilab.__file__)}
    paths.update(p for p in sys.path if p and os.path.isdir(p) and not os.path.isdir(os.path.join(p, "t2ilab")))
    return sorted(p for p in paths if os.path.exists(p))


def preload(extra: list[str]) -> None:
    import torch

    torch.set_num_threads(1)
    for name in PRELOAD + list(extra):
        try:
            importlib.import_module(name)
        except Exception:
            pass
    # the first optimiser step imports ~900 modules (torch._dynamo): once here, not in every child
    p = torch.nn.Parameter(torch.ones(3))
    for opt in (torch.optim.SGD([p], lr=0.1, momentum=0.9), torch.optim.Adam([p])):
        opt.zero_grad()
        (p ** 2).sum().backward()
        opt.step()


def main(argv: list[str]) -> None:
    reply = int(argv[0])
    _prctl(PR_SET_DUMPABLE, 0)  # no process of the same user may read this one's memory
    preload(argv[1:])
    paths = read_paths()
    abi = _libc.syscall(ctypes.c_long(444), None, ctypes.c_long(0), ctypes.c_long(1)) if LINUX else 0
    os.write(reply, (json.dumps({"ready": True, "landlock": max(0, abi)}) + "\n").encode())
    for line in sys.stdin:
        req = json.loads(line)
        if "warm" in req:  # the lessons' SETUP (trusted): imported once here, inherited by every fork
            try:
                exec(compile(req["warm"], "<setup>", "exec"), {"__name__": "__warm__"})
                out = {"warmed": True}
            except BaseException as e:
                out = {"warmed": False, "error": describe(e)}
        else:
            out = serve(req, paths)
        data = (json.dumps(out) + "\n").encode()
        while data:
            data = data[os.write(reply, data):]


if __name__ == "__main__":
    main(sys.argv[1:])
