"""Your own images, end to end, through the command line: preview, train (VAE, GAN, judge),
generate from the folder's own prompts, evaluate with the judge trained on the folder.

The folder is made here: three classes of 12 drawn pictures (36 images, fewer than a preview's
64 and far fewer than the 50,000 a built-in dataset draws), one class with captions.
"""
from __future__ import annotations

import json
import shutil

import pytest
import torch
from PIL import Image, ImageDraw

from t2ilab import hub
from t2ilab.cli import main
from t2ilab import schema as schema_module

CLASSES = {"red_squares": (220, 30, 30), "blue_circles": (30, 30, 220), "green_bars": (30, 200, 30)}


def make_folder(root, captions=False):
    g = torch.Generator().manual_seed(0)
    lines = ["filename,caption"]
    for cls, color in CLASSES.items():
        (root / cls).mkdir(parents=True)
        for i in range(12):
            img = Image.new("RGB", (40, 40), (255, 255, 255))
            x, y = (int(v) for v in torch.randint(2, 20, (2,), generator=g))
            box = [x, y, x + 15, y + (6 if cls == "green_bars" else 15)]
            (ImageDraw.Draw(img).ellipse if cls == "blue_circles" else ImageDraw.Draw(img).rectangle)(box, fill=color)
            img.save(root / cls / f"{i:03d}.png")
            text = cls.replace("_", " ")
            lines.append(f"{cls}/{i:03d}.png,{'a ' + text + ' on white' if i % 2 else text}")
    if captions:
        (root / "captions.csv").write_text("\n".join(lines) + "\n")
    return root


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The folder and a VAE, a GAN and a judge trained on it for a few steps through the CLI."""
    base = tmp_path_factory.mktemp("e2e")
    root = make_folder(base / "my images", captions=True)
    runs = {}
    for kind in ("vae", "gan", "judge"):
        runs[kind] = base / f"{kind}-run"
        assert main(["train", kind, "--dataset", str(root), "--steps", "3", "--out", str(runs[kind])]) == 0
    return root, runs


def test_preview_of_a_small_folder(capsys, tmp_path):
    root = make_folder(tmp_path / "pics")
    out = cli(capsys, "preview", root, "-n", "16", "-o", tmp_path / "grid.png")
    assert out.strip() == str(tmp_path / "grid.png") and Image.open(tmp_path / "grid.png").size[0] > 200
    cli(capsys, "preview", root, "-n", "100", "-o", tmp_path / "all.png")      # more than it holds: all 36


def test_training_saves_a_run_that_carries_the_folders_prompts(trained):
    root, runs = trained
    for kind, out in runs.items():
        assert (out / "model.safetensors").is_file() and json.loads((out / "history.json").read_text())["steps"][-1] == 3
        meta = hub.read_metadata(out / "model.safetensors")
        assert meta["kind"] == kind and meta["dataset"] == str(root.resolve())
        assert meta["config"]["classes"] == [3]
    assert (runs["vae"] / "samples.png").is_file() and (runs["gan"] / "samples.png").is_file()


@pytest.mark.parametrize("kind", ["vae", "gan"])
@pytest.mark.parametrize("prompt", ["blue circles", "a photo of a red square", "a green bars on white"])
def test_generate_from_the_folders_own_prompts(capsys, trained, tmp_path, kind, prompt):
    root, runs = trained
    out = tmp_path / "o.png"
    cli(capsys, "generate", prompt, "--model", runs[kind], "-n", "2", "--seed", "1", "-o", out)
    assert Image.open(out).size == (2 * 4 * 32 + 3 * 2, 4 * 32 + 2 * 2)


def test_a_folder_model_works_in_a_new_kernel_without_its_folder(capsys, trained, tmp_path, monkeypatch):
    root, runs = trained
    copy = tmp_path / "elsewhere.safetensors"
    shutil.copy(runs["vae"] / "model.safetensors", copy)
    monkeypatch.setattr(schema_module, "FOLDERS", {})                       # nothing known about the folder
    monkeypatch.setattr(schema_module, "canonical", lambda d: d)            # and its path means nothing here
    cli(capsys, "generate", "red squares", "--model", copy, "-n", "1", "-o", tmp_path / "o.png")


def test_unknown_words_name_the_folders_prompts(capsys, trained, tmp_path):
    root, runs = trained
    code = main(["generate", "a purple horse", "--model", str(runs["vae"]), "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert code == 2 and "class names" in err and "'blue_circles'" in err and err.count("\n") == 1


def test_parse_knows_the_folder(capsys, trained):
    root, _ = trained
    assert json.loads(cli(capsys, "parse", "a blue circle", "--dataset", root)) == {"label": "blue_circles"}


def test_evaluate_with_the_judge_trained_on_the_folder(capsys, trained):
    root, runs = trained
    result = json.loads(cli(capsys, "evaluate", "--model", runs["vae"], "--judge", runs["judge"],
                            "--samples", "30", "--json"))
    assert 0 <= result["prompt_accuracy"] <= 1 and result["heldout_accuracy"] is None
    assert result["fid"] >= 0 and result["samples"] == 30
    judge = json.loads(cli(capsys, "evaluate", "--model", runs["judge"], "--json"))
    assert 0 <= judge["attribute_accuracy"] <= 1 and judge["samples"] == 36     # all of the folder


def test_evaluate_of_a_folder_model_without_a_judge_says_how_to_get_one(capsys, trained):
    root, runs = trained
    code = main(["evaluate", "--model", str(runs["vae"])])
    err = capsys.readouterr().err
    assert code == 2 and "t2ilab train judge --dataset" in err and "--judge" in err and err.count("\n") == 1
