"""Precision and recall with k-NN manifolds: identical, disjoint, collapsed, half-covered; chunking and speed."""

from __future__ import annotations


import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.metrics import in_manifold, knn_radii, precision_recall


def _randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_knn_radii_and_membership_by_hand():
    points = torch.tensor([[0.0], [1.0], [3.0], [6.0]])
    assert torch.equal(knn_radii(points, k=1), torch.tensor([1.0, 1.0, 2.0, 3.0], dtype=torch.float64))
    assert torch.equal(knn_radii(points, k=2), torch.tensor([3.0, 2.0, 3.0, 5.0], dtype=torch.float64))
    radii = knn_radii(points, k=1)  # balls [-1, 1], [0, 2], [1, 5], [3, 9]
    inside = in_manifold(torch.tensor([[-1.5], [4.5], [9.0], [9.5]]), points, radii)
    assert inside.tolist() == [False, True, True, False]


def test_duplicates_are_exactly_zero_apart():
    points = 10.0 * _randn(50, 16, seed=5)
    with_copy = torch.cat([points, points[:1]])  # point 0 twice
    radii = knn_radii(with_copy, k=1)
    assert radii[0].item() == 0.0 and radii[50].item() == 0.0  # nearest other point: its exact copy
    assert in_manifold(points[:1], points[:1].expand(4, 16), torch.zeros(4)).item()  # a radius-0 ball holds its centre


def test_identical_sets():
    f = _randn(300, 8, seed=0)
    assert precision_recall(f, f.clone(), k=3) == (1.0, 1.0)


def test_disjoint_far_sets():
    real = _randn(300, 8, seed=0)
    assert precision_recall(real, _randn(300, 8, seed=1) + 100.0, k=3) == (0.0, 0.0)


def test_collapsed_generator():
    real = _randn(500, 8, seed=0)
    fake = real[7].expand(500, 8).clone()  # every generated image is the same real one
    precision, recall = precision_recall(real, fake, k=3)
    assert precision == 1.0
    assert recall == pytest.approx(1 / 500)  # only the copied image itself is covered


def test_half_covered_modes():
    # real data: two far clusters; the generator only makes the first one
    real = torch.cat([_randn(400, 4, seed=0), _randn(400, 4, seed=1) + 20.0])
    fake = _randn(400, 4, seed=2)
    precision, recall = precision_recall(real, fake, k=5)
    assert precision > 0.95
    assert 0.4 < recall <= 0.5


def test_chunked_matches_brute_force():
    real, fake = _randn(2000, 64, seed=3), 0.8 * _randn(2000, 64, seed=4) + 0.1
    precision, recall = precision_recall(real, fake, k=3)
    r, f = real.double(), fake.double()
    r_rad = torch.cdist(r, r).kthvalue(4, dim=1).values
    f_rad = torch.cdist(f, f).kthvalue(4, dim=1).values
    d = torch.cdist(f, r)
    assert precision == pytest.approx(float((d <= r_rad).any(1).double().mean()), abs=1e-3)
    assert recall == pytest.approx(float((d.T <= f_rad).any(1).double().mean()), abs=1e-3)
    assert 0.05 < precision < 1.0 and 0.0 < recall < 0.95  # a genuinely partial overlap


def test_manifold_mistakes_raise():
    with pytest.raises(T2ILabError):
        precision_recall(torch.zeros(10, 3), torch.zeros(10, 4))
    with pytest.raises(T2ILabError):
        precision_recall(torch.zeros(3, 2), torch.zeros(10, 2), k=3)  # k must be < N
    with pytest.raises(T2ILabError):
        precision_recall(torch.zeros(0, 2), torch.zeros(10, 2))
