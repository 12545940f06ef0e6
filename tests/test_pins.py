"""constraints.txt (pip) and environment.yml (conda) must name the same packages and versions."""
import pathlib
import re

ROOT = pathlib.Path(__file__).parents[1]
CONDA_NAMES = {"pytorch": "torch"}


def pins_pip():
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return dict(l.split("==") for l in lines if l.strip() and not l.startswith("#"))


def pins_conda():
    found = re.findall(r"^\s+- ([A-Za-z0-9_.-]+)=([0-9][^\s]*)$", (ROOT / "environment.yml").read_text(), re.M)
    return {CONDA_NAMES.get(k, k): v for k, v in found if k != "python"}


def test_environment_yml_matches_constraints():
    assert pins_pip() == pins_conda()


def test_torch_is_pinned_exactly_everywhere():
    assert pins_pip()["torch"] == "2.14.1" and pins_pip()["torchvision"] == "0.29.1"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"torch==2.14.1"' in pyproject and '"torchvision==0.29.1"' in pyproject


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version

    for name, v in pins_pip().items():
        assert version(name) == v, f"{name}: installed {version(name)}, pinned {v}; run make setup"
