"""`t2ilab doctor` reports every check in one plain line and fails only on what is required."""
from t2ilab import doctor as doc


def test_doctor_lines(capsys):
    code = doc.doctor()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(doc.checks())
    assert any("torch 2.14.1" in l for l in lines) and any("widgets extension" in l for l in lines)
    assert all(l[:4] in ("ok  ", "MISS", "note") for l in lines)
    assert code in (0, 1)


def test_doctor_fails_only_on_a_required_check(monkeypatch, capsys):
    monkeypatch.setattr(doc, "checks", lambda: [(True, True, "fine"), (False, False, "optional gone")])
    assert doc.doctor() == 0
    assert capsys.readouterr().out.splitlines() == ["ok    fine", "note  optional gone"]
    monkeypatch.setattr(doc, "checks", lambda: [(True, True, "fine"), (False, True, "required gone")])
    assert doc.doctor() == 1
    assert capsys.readouterr().out.splitlines() == ["ok    fine", "MISS  required gone"]


def test_a_missing_manifest_is_a_required_line_saying_reinstall(monkeypatch, tmp_path):
    from t2ilab import hub

    monkeypatch.setattr(hub, "MANIFEST", tmp_path / "manifest.json")
    ok, required, line = next(c for c in doc.checks() if "manifest" in c[2] or "shipped models" in c[2])
    assert not ok and required and "reinstall" in line


def test_missing_fashion_is_a_note_with_the_fix(monkeypatch, tmp_path):
    import importlib

    fashion = importlib.import_module("t2ilab.data.fashion")
    monkeypatch.setattr(fashion, "SYSTEM_DIR", tmp_path / "none")
    monkeypatch.setattr(fashion, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.delenv("T2ILAB_DATA", raising=False)
    line = next(l for ok, req, l in doc.checks() if "Fashion-MNIST" in l)
    assert "not found" in line and "dataset-fashion-mnist" in line


def test_damaged_weights_are_required_and_named(monkeypatch, tmp_path):
    from t2ilab import hub

    (tmp_path / "x.safetensors").write_bytes(b"broken")
    monkeypatch.setattr(hub, "WEIGHTS", tmp_path)
    monkeypatch.setattr(hub, "manifest", lambda path=None: {"x": {"file": "x.safetensors", "sha256": "0" * 64}})
    ok, required, line = next(c for c in doc.checks() if "weights" in c[2] or "models verified" in c[2])
    assert not ok and required and "x" in line and "make pretrained" in line


def test_missing_chinese_font_is_a_note_with_the_fix(monkeypatch):
    from t2ilab import fonts

    monkeypatch.setattr(fonts, "cjk_font_file", lambda: None)
    ok, required, line = doc.cjk_check()
    assert not ok and not required and "fonts-noto-cjk" in line and "T2ILAB_CJK_FONT" in line
