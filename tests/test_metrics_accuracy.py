"""Prompt accuracy and per-attribute accuracy, with open (-1) attributes ignored."""

from __future__ import annotations

import math

import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.metrics import attribute_accuracy, prompt_accuracy


def test_prompt_and_attribute_accuracy_hand_computed():
    pred = torch.tensor([[0, 1], [0, 2], [1, 1], [2, 0]])
    wanted = torch.tensor([[0, 1], [0, -1], [0, 1], [2, 1]])
    # rows: all right; right (2nd open); 1st wrong; 2nd wrong
    assert prompt_accuracy(pred, wanted) == pytest.approx(0.5)
    # attribute 0: 3 of 4 right; attribute 1: fixed in rows 0, 2, 3 -> 2 of 3 right
    assert attribute_accuracy(pred, wanted) == pytest.approx([0.75, 2 / 3])


def test_open_attributes_and_single_column():
    pred = torch.tensor([[3, 3], [1, 0]])
    everything_open = torch.full((2, 2), -1)
    assert prompt_accuracy(pred, everything_open) == 1.0
    acc = attribute_accuracy(pred, torch.tensor([[3, -1], [0, -1]]))
    assert acc[0] == 0.5 and math.isnan(acc[1])
    assert prompt_accuracy(torch.tensor([1, 2, 3]), torch.tensor([1, 2, 0])) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "pred, wanted",
    [
        (torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 2, dtype=torch.long)),
        (torch.zeros(2, 2), torch.zeros(2, 2, dtype=torch.long)),
        (torch.zeros(2, 2, dtype=torch.long), torch.full((2, 2), -2)),
        (torch.zeros(0, 2, dtype=torch.long), torch.zeros(0, 2, dtype=torch.long)),
    ],
)
def test_accuracy_mistakes_raise(pred, wanted):
    with pytest.raises(T2ILabError):
        prompt_accuracy(pred, wanted)
    with pytest.raises(T2ILabError):
        attribute_accuracy(pred, wanted)
