"""Where tensors live and how many CPU threads torch may use.

`device()` picks CUDA, then Apple MPS, then the CPU; `T2ILAB_DEVICE` overrides. `cpu_quota()`
reads the container's CPU limit (cgroup v2 `cpu.max`, or v1 `cfs_quota_us`) so that a JupyterHub
pod with 2 CPUs on a 64-core host uses 2 threads, not 64.

Importing this module sets torch's threads once (`set_threads()`, at the bottom). Every t2ilab
module that uses torch imports it, directly or through its package (tests/test_device.py checks
this), so that `import t2ilab` and `t2ilab parse` stay free of torch while any model, loss or
training step runs on the right number of threads. A later `torch.set_num_threads` of your own
wins; `T2ILAB_THREADS` or `OMP_NUM_THREADS` in the environment choose the number instead.
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from pathlib import Path

import torch

from .errors import T2ILabError

_CGROUP = Path("/sys/fs/cgroup")


def device() -> torch.device:
    """The device to train and generate on: `$T2ILAB_DEVICE`, else CUDA, else MPS, else CPU."""
    wanted = os.environ.get("T2ILAB_DEVICE", "").strip()
    if wanted:
        try:
            dev = torch.device(wanted)
        except RuntimeError:
            raise T2ILabError(f"T2ILAB_DEVICE={wanted!r} is not a device: use cpu, cuda, cuda:0 or mps") from None
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise T2ILabError(f"T2ILAB_DEVICE={wanted!r} but no CUDA GPU is visible: unset it or use cpu")
        if dev.type == "mps" and not torch.backends.mps.is_available():
            raise T2ILabError(f"T2ILAB_DEVICE={wanted!r} but Apple MPS is not available: unset it or use cpu")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def own_cgroup(proc: Path = Path("/proc/self/cgroup")) -> str:
    """This process's cgroup v2 path (the "0::" line of /proc/self/cgroup), "/" when unknown.

    In a container with its own cgroup namespace it is "/"; under systemd (The Littlest JupyterHub
    runs each student as a unit) or in a child cgroup it names the folder that holds the limit.
    """
    try:
        for line in proc.read_text().splitlines():
            if line.startswith("0::"):
                return line[3:].strip() or "/"
    except OSError:
        pass
    return "/"


def cpu_quota(root: Path = _CGROUP, own: str | None = None) -> float | None:
    """CPUs granted by the cgroup (e.g. 2.0), or None when unlimited or unknown.

    cgroup v2: the smallest `cpu.max` from this process's own cgroup (`own`, read from
    /proc/self/cgroup) up to `root`; cgroup v1: `cpu.cfs_quota_us` / `cpu.cfs_period_us`.
    """
    folder = root / (own if own is not None else own_cgroup()).lstrip("/")
    quotas = []
    while True:
        try:
            quota, period = (folder / "cpu.max").read_text().split()[:2]  # "200000 100000" or "max 100000"
            if quota != "max":
                quotas.append(int(quota) / int(period))
        except (OSError, ValueError):
            pass
        if folder == root or root not in folder.parents:
            break
        folder = folder.parent
    if quotas:
        return min(quotas)
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())  # cgroup v1
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def cpu_threads(root: Path = _CGROUP) -> int:
    """Threads torch should use: the CPUs this process may run on, capped by the cgroup quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        cores = os.cpu_count() or 1
    quota = cpu_quota(root)
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return max(1, cores)


def wanted_threads() -> int:
    """`$T2ILAB_THREADS`, else `$OMP_NUM_THREADS` (which torch itself follows), else `cpu_threads()`."""
    for name in ("T2ILAB_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value:
            if not value.isdigit() or not 1 <= int(value) <= 4096:
                raise T2ILabError(f"{name}={value!r} is not a number of threads: set it to a whole number "
                                  "such as 2, or unset it to follow the CPUs this process may use")
            return int(value)
    return cpu_threads()


def set_threads() -> int:
    """Make torch use `wanted_threads()` threads; returns the number set."""
    n = wanted_threads()
    torch.set_num_threads(n)
    return n


@contextmanager
def single_thread():
    """Run torch on one thread inside the block (also usable as a decorator: `@single_thread()`).

    Measured here: a 256×256 eigendecomposition (Fréchet distance) took 1–6 s with two threads on a
    busy 2-core machine, 0.02 s with one; tiny networks (the 1-D GAN) are fastest on one thread too.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


set_threads()  # once, when the first torch-using t2ilab module is imported (see the module's docstring)
