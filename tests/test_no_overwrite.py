"""Images t2ilab saves carry a mark; a file without it (a user's photo, notes) is never replaced
unless --force says so, and the check comes before any work."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from t2ilab.cli import main
from t2ilab.data import shapes
from t2ilab.data.preview import preview
from t2ilab.errors import T2ILabError
from t2ilab.generate import save_grid
from t2ilab.validate import written_by_t2ilab

IMAGES = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))


def users_photo(path):
    Image.new("RGB", (5, 5), (10, 200, 30)).save(path)
    return path.read_bytes()


@pytest.mark.parametrize("name", ["grid.png", "grid.jpg"])
def test_save_grid_replaces_its_own_image_and_refuses_a_users(tmp_path, name):
    ours = save_grid(IMAGES, tmp_path / name)
    assert written_by_t2ilab(ours)
    save_grid(IMAGES[:1], ours)  # written again: it is ours
    assert Image.open(ours).size == (32, 32)  # one 8x8 image, 4 times larger

    photo = tmp_path / f"photo{ours.suffix}"
    before = users_photo(photo)
    assert not written_by_t2ilab(photo)
    with pytest.raises(T2ILabError, match="t2ilab did not write it: choose another file, or pass --force"):
        save_grid(IMAGES, photo)
    assert photo.read_bytes() == before
    save_grid(IMAGES, photo, force=True)
    assert Image.open(photo).size == (70, 36) and written_by_t2ilab(photo)


def test_a_text_file_with_an_image_name_is_not_ours(tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("my notes")
    assert not written_by_t2ilab(notes)
    with pytest.raises(T2ILabError, match="already exists"):
        preview(shapes(20, seed=0), notes, n=4)
    assert notes.read_text() == "my notes"
    preview(shapes(20, seed=0), notes, n=4, force=True)
    assert written_by_t2ilab(notes)
    preview(shapes(20, seed=0), notes, n=9)  # ours now: replaced without --force


def test_generate_refuses_a_users_file_in_one_line(tmp_path, capsys):
    photo = tmp_path / "holiday.png"
    before = users_photo(photo)
    code = main(["generate", "a red circle", "--model", "shapes-gan", "-n", "1", "-o", str(photo)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--force" in err
    assert photo.read_bytes() == before
    assert main(["generate", "a red circle", "--model", "shapes-gan", "-n", "1", "-o", str(photo), "--force"]) == 0
    assert np.array(Image.open(photo)).shape == (128, 128, 3)


def test_the_command_leaves_at_once_with_a_whole_png_and_its_exit_code(tmp_path):
    """`t2ilab generate` skips torch's teardown (os._exit): the PNG and the printed path must be whole."""
    out = tmp_path / "one.png"
    cmd = [sys.executable, "-m", "t2ilab", "generate", "a red circle", "--model", "shapes-gan", "-n", "1", "-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == f"{out}\n"
    image = Image.open(out)
    image.load()  # every byte is there
    assert image.size == (128, 128) and written_by_t2ilab(out)
    out.write_text("now the user's")
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and again.stderr.startswith("t2ilab generate: output") and again.stdout == ""
    assert out.read_text() == "now the user's"
