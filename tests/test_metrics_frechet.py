"""Frechet distance: identical sets, 1-D closed form, shifts, a non-commuting 2x2 case, degenerate covariances."""

from __future__ import annotations

import math

import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.metrics import frechet_distance, frechet_distance_features, gaussian_stats


def _features(n: int, d: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mix = torch.randn(d, d, generator=g)
    return torch.randn(n, d, generator=g) @ mix + 3.0


def test_gaussian_stats_match_torch_cov():
    f = _features(300, 5, 0)
    mu, sigma = gaussian_stats(f)
    assert mu.dtype == torch.float64 and sigma.shape == (5, 5)
    assert torch.allclose(mu, f.double().mean(0))
    assert torch.allclose(sigma, torch.cov(f.double().T))


def test_identical_sets_give_zero():
    f = _features(500, 16, 1)
    assert frechet_distance_features(f, f.clone()) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance_features(f, f[torch.randperm(500)]) == pytest.approx(0.0, abs=1e-8)


def test_one_dimensional_closed_form():
    # N(1, 2^2) vs N(-0.5, 1^2): (1 + 0.5)^2 + (2 - 1)^2 = 3.25
    assert frechet_distance(torch.tensor([1.0]), torch.tensor([[4.0]]), torch.tensor([-0.5]), torch.tensor([[1.0]])) == pytest.approx(3.25)
    assert frechet_distance(0.0, 9.0, 0.0, 1.0) == pytest.approx(4.0)  # scalars are 1-D Gaussians


def test_shifted_set_gives_squared_shift():
    f = _features(400, 8, 2)
    shift = torch.tensor([1.0, -2.0, 0.5, 0.0, 0.0, 3.0, 0.0, 1.0])
    assert frechet_distance_features(f, f + shift) == pytest.approx(float(shift @ shift), rel=1e-6)


def test_two_by_two_against_the_trace_formula():
    # For a 2x2 matrix M with positive eigenvalues, Tr(M^{1/2}) = sqrt(Tr M + 2 sqrt(det M)).
    s1 = torch.tensor([[2.0, 0.8], [0.8, 1.0]], dtype=torch.float64)
    s2 = torch.tensor([[1.0, -0.3], [-0.3, 0.5]], dtype=torch.float64)
    m = s1 @ s2  # not symmetric: s1 and s2 do not commute
    tr_sqrt = math.sqrt(float(torch.trace(m)) + 2 * math.sqrt(float(torch.det(m))))
    mu1, mu2 = torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0])
    expected = 1.0 + float(torch.trace(s1) + torch.trace(s2)) - 2 * tr_sqrt
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(mu2, s2, mu1, s1) == pytest.approx(expected, rel=1e-9)  # symmetric


def test_rank_deficient_covariances_are_stable():
    f = _features(6, 32, 3)  # 6 samples in 32-D: covariance of rank 5
    assert frechet_distance_features(f, f) == pytest.approx(0.0, abs=1e-6)
    d = frechet_distance_features(f, _features(6, 32, 4))
    assert math.isfinite(d) and d > 1.0


def test_frechet_mistakes_raise():
    with pytest.raises(T2ILabError):
        frechet_distance_features(torch.zeros(5, 3), torch.zeros(5, 4))
    with pytest.raises(T2ILabError):
        gaussian_stats(torch.zeros(1, 3))
    with pytest.raises(T2ILabError):
        frechet_distance(torch.zeros(2), -torch.eye(2), torch.zeros(2), torch.eye(2))
    with pytest.raises(T2ILabError):
        frechet_distance(torch.zeros(2), torch.eye(3), torch.zeros(2), torch.eye(2))
