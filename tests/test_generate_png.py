"""save_grid writes with PIL: the same pixels torchvision's save_image wrote, without importing it."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from t2ilab.generate import generate, save_grid


@pytest.mark.parametrize("n, channels", [(1, 3), (1, 1), (3, 3), (9, 1), (16, 3)])
def test_pixels_equal_torchvisions(tmp_path, n, channels):
    save_image = pytest.importorskip("torchvision.utils").save_image
    images = torch.rand(n, channels, 8, 8, generator=torch.Generator().manual_seed(n))
    images[0, 0, 0, :2] = torch.tensor([1.3, -0.2])  # out of range: clamped alike
    ours = save_grid(images, tmp_path / "ours.png")
    big = torch.nn.functional.interpolate(images, scale_factor=4, mode="nearest")
    save_image(big, tmp_path / "theirs.png", nrow=min(8, n), padding=2, pad_value=1.0)
    a, b = np.array(Image.open(ours)), np.array(Image.open(tmp_path / "theirs.png"))
    assert a.shape == b.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)


def test_a_generated_image_is_torchvisions_for_the_same_seed(tmp_path):
    save_image = pytest.importorskip("torchvision.utils").save_image
    images, _ = generate("a red circle", model="shapes-gan", n=1, seed=3)
    save_grid(images, tmp_path / "ours.png")
    save_image(torch.nn.functional.interpolate(images, scale_factor=4, mode="nearest"), tmp_path / "theirs.png",
               nrow=1, padding=2, pad_value=1.0)
    ours = np.array(Image.open(tmp_path / "ours.png"))
    assert ours.shape == (128, 128, 3) and ours.std() > 0
    assert np.array_equal(ours, np.array(Image.open(tmp_path / "theirs.png")))
