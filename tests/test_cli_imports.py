"""What a command loads: `import t2ilab` and `t2ilab --help` never import torch (nor torchvision)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent


def _modules_after(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_and_help_do_not_load_torch():
    loaded = _modules_after("import t2ilab\nfrom t2ilab.cli import build_parser\nbuild_parser().format_help()")
    assert "t2ilab.cli" in loaded and "torch" not in loaded


def test_parse_does_not_load_torch():
    loaded = _modules_after("from t2ilab.cli import main\nassert main(['parse', 'a red circle']) == 0")
    assert "t2ilab.text.parse" in loaded and "torch" not in loaded


def test_generate_does_not_load_torchvision(tmp_path):
    loaded = _modules_after(f"from t2ilab.cli import main\nassert main(['generate', 'a red circle', '--model', "
                            f"'shapes-gan', '-n', '1', '--out', {str(tmp_path / 'x.png')!r}]) == 0")
    assert "torch" in loaded and "torchvision" not in loaded and "torch._dynamo" not in loaded
    assert (tmp_path / "x.png").stat().st_size > 0


def test_train_prepares_its_final_save_without_torchvision():
    loaded = _modules_after("from t2ilab.train import run\nrun._ready_to_save()")
    assert "t2ilab.generate" in loaded and "torchvision" not in loaded
