"""MSE and MAE: hand-computed values, per-image reduction, shape mistakes."""

from __future__ import annotations

import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.metrics import mae, mse


def test_mse_mae_hand_computed():
    a = torch.zeros(2, 1, 2, 2)
    b = torch.tensor([[[[1.0, 1.0], [1.0, 1.0]]], [[[2.0, 0.0], [0.0, -2.0]]]])
    # image 0: all errors 1 -> mse 1, mae 1; image 1: errors 2, 0, 0, -2 -> mse 2, mae 1
    assert torch.allclose(mse(a, b, reduction="none"), torch.tensor([1.0, 2.0]))
    assert torch.allclose(mae(a, b, reduction="none"), torch.tensor([1.0, 1.0]))
    assert mse(a, b).item() == pytest.approx(1.5)
    assert mae(a, b).item() == pytest.approx(1.0)
    assert mse(b, b).item() == 0.0


def test_mse_is_differentiable():
    x = torch.tensor([[1.0, 3.0]], requires_grad=True)
    mse(x, torch.zeros(1, 2)).backward()
    assert torch.allclose(x.grad, torch.tensor([[1.0, 3.0]]))  # d/dx mean(x^2) = 2x / n


@pytest.mark.parametrize(
    "bad",
    [
        lambda: mse(torch.zeros(2, 3), torch.zeros(3, 2)),
        lambda: mae(torch.zeros(2, 3), torch.zeros(2, 3, 1)),
        lambda: mse(torch.zeros(0), torch.zeros(0)),
        lambda: mse(torch.zeros(2), torch.zeros(2), reduction="sum"),
    ],
)
def test_pixel_mistakes_raise(bad):
    with pytest.raises(T2ILabError):
        bad()
