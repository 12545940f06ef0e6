"""A real JupyterHub for a class on this one machine, for the tests and the classroom benchmark.

    T2ILAB_HUB_STATE=/tmp/hub jupyterhub -f classroom/jupyterhub_config_local.py

Loads jupyterhub_config.py (limits, lessons on start, culling), then changes only what a single
machine without one Unix account per student needs:

- everything on 127.0.0.1 (hub, proxy and its API on ports from T2ILAB_HUB_PORT, _API_PORT, _HUB_API_PORT);
- JupyterHub's shared-password authenticator (the dummy authenticator's successor for a password,
  JupyterHub >= 5.3): students in T2ILAB_HUB_STUDENTS log in with T2ILAB_HUB_PASSWORD, the
  instructor ("instructor", an admin) with T2ILAB_HUB_ADMIN_PASSWORD (32 characters or more);
- each student's server is a local process running as the hub's own user, with its home at
  $T2ILAB_HUB_STATE/homes/<student> (JupyterHub's SimpleLocalProcessSpawner); the CPU limit is
  kept by pinning the server to that many cores (a local process has no cgroup of its own), so
  torch's threads follow it as they follow a container's quota; memory is not limited here;
- the proxy is the project's own configurable-http-proxy (classroom/node_modules, `make setup`);
- database, cookie secret and proxy pid file in $T2ILAB_HUB_STATE.
"""
import math
import os
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner

c = get_config()  # noqa: F821 (JupyterHub's config loader provides it)
HERE = Path(__file__).resolve().parent
load_subconfig(str(HERE / "jupyterhub_config.py"))  # noqa: F821

STATE = Path(os.environ.get("T2ILAB_HUB_STATE", "hub-state")).resolve()
STATE.mkdir(parents=True, exist_ok=True)
(STATE / "pids").mkdir(exist_ok=True)

# Network: loopback only.
c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ.get('T2ILAB_HUB_PORT', '8000')}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ.get('T2ILAB_HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('T2ILAB_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every student's server
c.JupyterHub.cleanup_proxy = True

# State: nothing outside $T2ILAB_HUB_STATE.
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")

# Who may log in: the class list and one instructor.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ.get("T2ILAB_HUB_PASSWORD", "")
c.SharedPasswordAuthenticator.admin_password = os.environ.get("T2ILAB_HUB_ADMIN_PASSWORD", "")
c.Authenticator.admin_users = {"instructor"}
c.Authenticator.allowed_users = set(os.environ.get("T2ILAB_HUB_STUDENTS", "").split())


class ClassroomLocalSpawner(SimpleLocalProcessSpawner):
    """A student's server as a local process: own home folder, CPU limit kept by core pinning."""

    def make_preexec_fn(self, name):
        chdir_home = super().make_preexec_fn(name)
        cores = sorted(os.sched_getaffinity(0))
        keep = max(1, math.ceil(self.cpu_limit)) if self.cpu_limit else len(cores)
        start = sum(map(ord, name)) % len(cores)  # spread the students over the cores
        pinned = {cores[(start + i) % len(cores)] for i in range(min(keep, len(cores)))}

        def preexec():
            chdir_home()
            os.sched_setaffinity(0, pinned)

        return preexec

    async def start(self):
        ip_port = await super().start()
        (STATE / "pids" / f"{self.user.name}.pid").write_text(str(self.pid))  # for a cleanup after a crash
        return ip_port


c.JupyterHub.spawner_class = ClassroomLocalSpawner
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
c.Spawner.cmd = [str(HERE / "t2ilab-singleuser")]
c.Spawner.notebook_dir = str(STATE / "homes" / "{username}")
if os.getuid() == 0:  # this machine runs as root: Jupyter refuses without being told
    c.Spawner.args = [*c.Spawner.args, "--allow-root"]
