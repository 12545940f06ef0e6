"""classroom/ without a hub (fast, part of `make test`): the hub configurations, collect.py on home
folders, and that values.yaml and the Dockerfile agree with them. The real hub: test_jupyterhub.py."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = ROOT / "classroom"


def load_config(name: str, preset: dict | None = None, env: dict | None = None, monkeypatch=None) -> Config:
    """Run a jupyterhub_config*.py the way JupyterHub does (get_config / load_subconfig) into a Config."""
    c = Config()
    for key, value in (preset or {}).items():
        section, trait = key.split(".")
        setattr(c[section], trait, value)
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)

    def load_subconfig(path):
        exec(compile(Path(path).read_text(), str(path), "exec"), {"get_config": lambda: c, "__file__": str(path)})

    path = CLASSROOM / name
    exec(compile(path.read_text(), str(path), "exec"),
         {"get_config": lambda: c, "load_subconfig": load_subconfig, "__file__": str(path)})
    return c


def test_one_server_config_limits_each_student_and_culls(monkeypatch):
    monkeypatch.delenv("T2ILAB_CPU_LIMIT", raising=False)
    c = load_config("jupyterhub_config.py", monkeypatch=monkeypatch)
    assert c.Spawner.cpu_limit == 1.0 and c.Spawner.mem_limit == "2G"
    assert c.Spawner.environment == {"T2ILAB_THREADS": "1"}  # torch threads = the CPU limit
    assert c.Spawner.cmd == ["t2ilab-singleuser"] and c.Spawner.default_url == "/lab/tree/lessons"
    assert "--MappingKernelManager.cull_idle_timeout=1200" in c.Spawner.args
    (culler,) = c.JupyterHub.services
    assert culler["name"] == "idle-culler" and "--timeout=3600" in culler["command"]
    (role,) = c.JupyterHub.load_roles
    assert role["services"] == ["idle-culler"] and {"list:users", "delete:servers"} <= set(role["scopes"])


def test_limits_set_before_it_are_kept_and_tljhs_culler_is_not_doubled(monkeypatch):
    c = load_config("jupyterhub_config.py", {"Spawner.cpu_limit": 2.0, "Spawner.mem_limit": "4G",
                                             "JupyterHub.services": [{"name": "cull-idle", "command": ["cull"]}]},
                    monkeypatch=monkeypatch)
    assert c.Spawner.cpu_limit == 2.0 and c.Spawner.mem_limit == "4G"
    assert c.Spawner.environment == {"T2ILAB_THREADS": "2"}
    assert [s["name"] for s in c.JupyterHub.services] == ["cull-idle"]
    c = load_config("jupyterhub_config.py", env={"T2ILAB_CPU_LIMIT": "1.5", "T2ILAB_CULL_TIMEOUT": "600"},
                    monkeypatch=monkeypatch)
    assert c.Spawner.cpu_limit == 1.5 and c.Spawner.environment == {"T2ILAB_THREADS": "2"}
    assert "--timeout=600" in c.JupyterHub.services[0]["command"]


def test_local_config_stays_on_loopback_inside_its_state_folder(tmp_path, monkeypatch):
    c = load_config("jupyterhub_config_local.py", env={"T2ILAB_HUB_STATE": str(tmp_path), "T2ILAB_HUB_PORT": "18000",
                                                       "T2ILAB_HUB_STUDENTS": "ada bo"}, monkeypatch=monkeypatch)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:18000"
    assert c.JupyterHub.hub_bind_url.startswith("http://127.0.0.1:")
    assert c.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    assert c.ConfigurableHTTPProxy.command == [str(CLASSROOM / "node_modules" / ".bin" / "configurable-http-proxy")]
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path / 'jupyterhub.sqlite'}"
    assert c.Authenticator.allowed_users == {"ada", "bo"} and c.Authenticator.admin_users == {"instructor"}
    assert c.Spawner.cmd == [str(CLASSROOM / "t2ilab-singleuser")]
    assert c.Spawner.cpu_limit == 1.0  # from jupyterhub_config.py, loaded first


def collect(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CLASSROOM / "collect.py"), *args], capture_output=True, text=True)


def notebook(text: str) -> str:
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": text}], "metadata": {},
                       "nbformat": 4, "nbformat_minor": 5})


def test_collect_from_home_folders(tmp_path):
    homes, out = tmp_path / "home", tmp_path / "submissions"
    for student in ("ada", "bo"):
        lessons = homes / f"jupyter-{student}" / "lessons"
        lessons.mkdir(parents=True)
        (lessons / "02_gan.ipynb").write_text(notebook(f"{student}'s answer"))
        (lessons / "02_gan.new.ipynb").write_text(notebook("the course's update"))  # not a submission
        (lessons / "scratch.ipynb").write_text(notebook("not a lesson"))
    (homes / "root").mkdir()  # not a student (no prefix)
    r = collect("--homes", str(homes), "--prefix", "jupyter-", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.ipynb")) == ["ada/02_gan.ipynb", "bo/02_gan.ipynb"]
    assert (out / "ada" / "02_gan.ipynb").read_text() == notebook("ada's answer")

    # a later collection never silently replaces an earlier submission
    (homes / "jupyter-ada" / "lessons" / "02_gan.ipynb").write_text(notebook("ada, after the deadline"))
    r = collect("--homes", str(homes), "--prefix", "jupyter-", "--out", str(out))
    assert r.returncode == 0 and "ada/02_gan.ipynb: kept the earlier submission" in r.stdout
    assert "bo/02_gan.ipynb: unchanged" in r.stdout
    assert (out / "ada" / "02_gan.ipynb").read_text() == notebook("ada's answer")
    r = collect("--homes", str(homes), "--prefix", "jupyter-", "--out", str(out), "--update")
    assert "ada/02_gan.ipynb: updated" in r.stdout
    assert (out / "ada" / "02_gan.ipynb").read_text() == notebook("ada, after the deadline")
    # --lesson picks one lesson
    r = collect("--homes", str(homes), "--prefix", "jupyter-", "--out", str(tmp_path / "only"), "--lesson", "03_vae")
    assert r.returncode == 2 and "no lesson notebooks found" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["--homes", "/nonexistent-homes"], "is not a folder"),
    (["--hub", "http://127.0.0.1:9"], "set JUPYTERHUB_API_TOKEN"),
])
def test_collect_mistakes_are_one_line_and_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    r = collect(*args, "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_values_yaml_matches_the_one_server_config(monkeypatch):
    values = yaml.safe_load((CLASSROOM / "values.yaml").read_text())
    one = load_config("jupyterhub_config.py", monkeypatch=monkeypatch)
    user = values["singleuser"]
    assert user["cmd"] == "t2ilab-singleuser" and user["defaultUrl"] == one.Spawner.default_url
    assert user["cpu"]["limit"] == one.Spawner.cpu_limit and user["memory"]["limit"] == one.Spawner.mem_limit
    assert user["cpu"]["guarantee"] <= user["cpu"]["limit"]
    assert user["extraEnv"]["T2ILAB_THREADS"] == str(int(user["cpu"]["limit"]))
    assert values["cull"]["enabled"] and values["cull"]["timeout"] == 3600
    assert values["scheduling"]["userPlaceholder"]["enabled"]
    assert values["hub"]["config"]["KubeSpawner"]["args"] == one.Spawner.args


def test_the_image_installs_the_pins_and_starts_with_the_lessons():
    docker = (CLASSROOM / "Dockerfile").read_text()
    assert 'pip install -c constraints.txt ".[classroom]"' in docker
    assert 'CMD ["t2ilab-singleuser"]' in docker and "classroom/t2ilab-singleuser /usr/local/bin/" in docker
    ignore = (CLASSROOM / "Dockerfile.dockerignore").read_text().split()
    for copied in ("constraints.txt", "pyproject.toml", "setup.py", "t2ilab/", "lessons/", "classroom/t2ilab-singleuser"):
        assert f"!{copied}" in ignore
    script = (CLASSROOM / "t2ilab-singleuser").read_text()
    assert 't2ilab workspace --to "$lessons"' in script and 'exec jupyterhub-singleuser "$@"' in script
    pkg = json.loads((CLASSROOM / "package.json").read_text())
    lock = json.loads((CLASSROOM / "package-lock.json").read_text())
    assert pkg["dependencies"]["configurable-http-proxy"] == lock["packages"]["node_modules/configurable-http-proxy"]["version"]
