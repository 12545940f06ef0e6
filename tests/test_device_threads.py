"""Torch's threads are set wherever t2ilab uses torch, and nowhere else.

`t2ilab.device` sets them when it is first imported (`set_threads()`, which follows the cgroup CPU
quota); `import t2ilab` and the parser stay free of torch. Every t2ilab module that imports torch
at module level must import `t2ilab.device` too: itself, through a package above it, or through
another t2ilab module it imports at module level.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "t2ilab"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """Modules imported when the module runs (not inside functions, not under `if TYPE_CHECKING`)."""
    found: set[str] = set()
    here = name if is_package else name.rpartition(".")[0]

    def visit(nodes):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)  # `from . import device`
            for field in ("body", "orelse", "finalbody", "handlers"):
                visit(getattr(node, field, []) or [])

    visit(tree.body)
    return found


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        graph[name] = _top_level_imports(ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py")
    return graph


def _sets_threads(graph: dict[str, set[str]]) -> set[str]:
    """The t2ilab modules whose import runs t2ilab.device (fixed point over the import graph)."""
    done = {"t2ilab.device"}
    changed = True
    while changed:
        changed = False
        for name, imports in graph.items():
            parents = {name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1)}
            if name not in done and (imports | parents) & done:
                done.add(name)
                changed = True
    return done


def test_every_module_that_imports_torch_sets_its_threads():
    graph = _graph()
    uses_torch = {n for n, imports in graph.items() if any(i == "torch" or i.startswith("torch.") for i in imports)}
    assert {"t2ilab.device", "t2ilab.models", "t2ilab.hub", "t2ilab.generate"} <= uses_torch | {"t2ilab.device"}
    missing = sorted(uses_torch - _sets_threads(graph))
    assert not missing, f"these modules use torch without importing t2ilab.device (add `from .. import device`): {missing}"


def test_the_checker_sees_a_module_that_forgets(tmp_path):
    graph = {"t2ilab.device": {"torch"}, "t2ilab.a": {"torch", "t2ilab.device"}, "t2ilab.b": {"torch", "t2ilab.a"},
             "t2ilab.pkg": {"t2ilab.device"}, "t2ilab.pkg.c": {"torch"}, "t2ilab.d": {"torch", "t2ilab.errors"}}
    assert _sets_threads(graph) == {"t2ilab.device", "t2ilab.a", "t2ilab.b", "t2ilab.pkg", "t2ilab.pkg.c"}
    tree = ast.parse("import torch\nfrom .. import device\nfrom ..models import build\n"
                     "def f():\n    from ..hub import load\n"
                     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..rl import update\n")
    assert _top_level_imports(tree, "t2ilab.train.loop", False) == {
        "torch", "t2ilab", "t2ilab.device", "t2ilab.models", "t2ilab.models.build", "typing", "typing.TYPE_CHECKING"}


def _run(code: str, **env: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if k not in ("T2ILAB_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**environ, **env}, cwd=PACKAGE.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["t2ilab.losses.gan", "t2ilab.generate"])
def test_threads_are_set_by_importing_a_module_that_uses_torch(module):
    code = ("import json, sys, importlib\n"
            f"importlib.import_module({module!r})\n"
            "import torch\n"
            "print(json.dumps({'threads': torch.get_num_threads(), 'device': 't2ilab.device' in sys.modules}))")
    assert _run(code, T2ILAB_THREADS="1") == {"threads": 1, "device": True}


def test_a_threads_setting_of_your_own_after_import_wins_and_omp_is_followed():
    code = ("import json, torch\nimport t2ilab.models\nfirst = torch.get_num_threads()\n"
            "torch.set_num_threads(2)\nimport t2ilab.hub\n"
            "print(json.dumps([first, torch.get_num_threads()]))")
    assert _run(code, OMP_NUM_THREADS="1") == [1, 2]  # set once, at the first import; never again behind your back


def test_a_bad_thread_count_is_one_clear_line():
    from t2ilab.device import wanted_threads
    from t2ilab.errors import T2ILabError

    os.environ.pop("OMP_NUM_THREADS", None)
    for bad in ("two", "0", "-1", "1.5"):
        os.environ["T2ILAB_THREADS"] = bad
        try:
            with pytest.raises(T2ILabError, match="T2ILAB_THREADS=.* is not a number of threads"):
                wanted_threads()
        finally:
            del os.environ["T2ILAB_THREADS"]
