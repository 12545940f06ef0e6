"""t2ilab on a JupyterHub on one server: per-student CPU and memory limits, lessons on start, culling.

The Littlest JupyterHub (TLJH, up to ~100 students on one machine) reads it as a drop-in:

    sudo cp classroom/jupyterhub_config.py /opt/tljh/config/jupyterhub_config.d/t2ilab.py
    sudo tljh-config reload hub

A plain JupyterHub reads it with `jupyterhub -f classroom/jupyterhub_config.py`, with a spawner
that enforces the limits (TLJH's SystemdSpawner, or DockerSpawner with classroom/Dockerfile's
image); the local test configuration (jupyterhub_config_local.py) loads this file first.

Each student's server runs `t2ilab-singleuser` (the lessons into ~/lessons, then
jupyterhub-singleuser). The CPU limit becomes the server's cgroup quota, and torch's thread count
follows it (T2ILAB_THREADS, set here from the limit), so a 1-CPU student trains on one thread.

Environment overrides: T2ILAB_CPU_LIMIT (CPUs per student, default 1, unless TLJH's limits.cpu is
set), T2ILAB_MEM_LIMIT (default 2G, unless limits.memory is), T2ILAB_CULL_TIMEOUT (seconds before an idle server is stopped, default 3600),
T2ILAB_KERNEL_CULL_TIMEOUT (seconds before an idle kernel is shut down, default 1200).
"""
import math
import os
import sys

c = get_config()  # noqa: F821 (JupyterHub's config loader provides it)

CPU_LIMIT = float(os.environ.get("T2ILAB_CPU_LIMIT", "1"))
MEM_LIMIT = os.environ.get("T2ILAB_MEM_LIMIT", "2G")
CULL_TIMEOUT = int(os.environ.get("T2ILAB_CULL_TIMEOUT", "3600"))
KERNEL_CULL_TIMEOUT = int(os.environ.get("T2ILAB_KERNEL_CULL_TIMEOUT", "1200"))

# Per student: a hard CPU and memory limit (enforced by SystemdSpawner, DockerSpawner, KubeSpawner).
# Limits set before this file (TLJH: `tljh-config set limits.cpu 2`) are kept; these fill the gaps.
if c.Spawner.get("cpu_limit") is None:
    c.Spawner.cpu_limit = CPU_LIMIT
if c.Spawner.get("mem_limit") is None:
    c.Spawner.mem_limit = MEM_LIMIT

# torch's threads = the CPU limit. In a pod t2ilab also reads the container's cgroup quota, but a
# systemd unit (TLJH) has no cgroup namespace, so the limit is also passed on explicitly.
c.Spawner.environment = {"T2ILAB_THREADS": str(max(1, math.ceil(float(c.Spawner.cpu_limit))))}

# The lessons into ~/lessons on every start (a student's edits always win), then the server.
c.Spawner.cmd = ["t2ilab-singleuser"]
c.Spawner.default_url = "/lab/tree/lessons"
c.Spawner.start_timeout = 120  # the first start imports torch from a cold disk
c.Spawner.http_timeout = 90
# Idle kernels give their memory back; a training cell counts as activity.
c.Spawner.args = [
    f"--MappingKernelManager.cull_idle_timeout={KERNEL_CULL_TIMEOUT}",
    "--MappingKernelManager.cull_interval=120",
]

# Idle culling: a server nobody used for CULL_TIMEOUT seconds is stopped (the home folder stays).
# TLJH already runs its own culler ("cull-idle"; `tljh-config set services.cull.timeout`): keep that one.
if not isinstance(c.JupyterHub.services, list):
    c.JupyterHub.services = []
if not isinstance(c.JupyterHub.load_roles, list):
    c.JupyterHub.load_roles = []
if not any(s.get("name") in ("cull-idle", "idle-culler") for s in c.JupyterHub.services):
    c.JupyterHub.services.append({
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={CULL_TIMEOUT}"],
    })
    c.JupyterHub.load_roles.append({
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    })
