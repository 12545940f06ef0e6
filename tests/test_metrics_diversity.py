"""Diversity: hand-computed mean pairwise distance, a collapsed generator, the ratio to real data."""

from __future__ import annotations

import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.metrics import diversity, diversity_ratio


def test_diversity_hand_computed():
    assert diversity(torch.tensor([[0.0], [3.0]])) == pytest.approx(3.0)
    assert diversity(torch.tensor([0.0, 1.0, 3.0])) == pytest.approx(2.0)  # pairs 1, 3, 2
    square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert diversity(square) == pytest.approx((4 * 1.0 + 2 * 2**0.5) / 6)


def test_collapsed_generator_has_zero_diversity():
    one = torch.randn(3, 8, 8)
    assert diversity(one.expand(50, 3, 8, 8)) == 0.0  # images are flattened


def test_diversity_ratio():
    real = torch.randn(200, 6, generator=torch.Generator().manual_seed(0))
    assert diversity_ratio(0.5 * real + 2.0, real) == pytest.approx(0.5)
    assert diversity_ratio(real[:1].expand(10, 6), real) == 0.0
    with pytest.raises(T2ILabError):
        diversity_ratio(real, real[:1].expand(10, 6))  # real images all identical
    with pytest.raises(T2ILabError):
        diversity(torch.zeros(1, 4))
    with pytest.raises(T2ILabError):
        diversity_ratio(torch.zeros(5, 3), real)
