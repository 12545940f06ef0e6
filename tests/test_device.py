import torch
import pytest

from t2ilab.device import cpu_quota, cpu_threads, device
from t2ilab.errors import T2ILabError


def test_cgroup_v2_quota_limits_threads(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # 1.5 CPUs
    assert cpu_quota(tmp_path) == 1.5
    assert cpu_threads(tmp_path) == 2  # rounded up, never more than the CPUs we may run on
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert cpu_threads(tmp_path) == 1


def test_cgroup_v1_and_unlimited(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000")
    assert cpu_quota(tmp_path) == 1.0 and cpu_threads(tmp_path) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1")
    assert cpu_quota(tmp_path) is None
    (tmp_path / "cpu.max").write_text("max 100000")
    assert cpu_quota(tmp_path) is None


def test_torch_threads_follow_quota(monkeypatch):
    from t2ilab.device import set_threads

    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("T2ILAB_THREADS", raising=False)
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert set_threads() == cpu_threads() == torch.get_num_threads()
        monkeypatch.setenv("T2ILAB_THREADS", "1")
        assert set_threads() == 1 == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def test_device_override(monkeypatch):
    monkeypatch.setenv("T2ILAB_DEVICE", "cpu")
    assert device() == torch.device("cpu")
    monkeypatch.setenv("T2ILAB_DEVICE", "banana")
    with pytest.raises(T2ILabError, match="not a device"):
        device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("T2ILAB_DEVICE", "cuda")
        with pytest.raises(T2ILabError, match="no CUDA"):
            device()
    monkeypatch.delenv("T2ILAB_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert device().type == expected


def test_quota_of_a_child_cgroup_is_found_from_the_process_own_path(tmp_path):
    # The Littlest JupyterHub: the limit sits on the student's systemd unit, not on the root.
    (tmp_path / "cpu.max").write_text("max 100000\n")
    unit = tmp_path / "system.slice" / "jupyter-ann.service"
    unit.mkdir(parents=True)
    (unit / "cpu.max").write_text("100000 100000\n")
    (tmp_path / "system.slice" / "cpu.max").write_text("400000 100000\n")
    assert cpu_quota(tmp_path, own="/system.slice/jupyter-ann.service") == 1.0  # the smallest on the way up
    assert cpu_quota(tmp_path, own="/system.slice") == 4.0
    assert cpu_quota(tmp_path, own="/") is None


def test_own_cgroup_reads_the_v2_line(tmp_path):
    from t2ilab.device import own_cgroup

    proc = tmp_path / "cgroup"
    proc.write_text("12:cpu,cpuacct:/old\n0::/user.slice/user-1000.slice\n")
    assert own_cgroup(proc) == "/user.slice/user-1000.slice"
    assert own_cgroup(tmp_path / "missing") == "/"
