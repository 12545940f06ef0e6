"""GAN losses: hand-computed values, stability at extreme logits, the optimal discriminator."""

from __future__ import annotations

import math

import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.losses import (
    auxiliary_classifier_loss,
    discriminator_loss,
    gan_value,
    generator_loss_nonsaturating,
    generator_loss_saturating,
    hinge_discriminator_loss,
    hinge_generator_loss,
    optimal_discriminator,
)


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_value_at_zero_logits_is_minus_log_4():
    v = gan_value(torch.zeros(5), torch.zeros(3))
    assert v.item() == pytest.approx(2 * math.log(0.5), abs=1e-6)
    assert discriminator_loss(torch.zeros(5), torch.zeros(3)).item() == pytest.approx(math.log(4), abs=1e-6)


def test_value_hand_computed():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, 3.0, -2.0])
    expected = 0.5 * (math.log(sig(2.0)) + math.log(sig(-1.0))) + (
        math.log(1 - sig(0.5)) + math.log(1 - sig(3.0)) + math.log(1 - sig(-2.0))
    ) / 3
    assert gan_value(real, fake).item() == pytest.approx(expected, abs=1e-6)
    assert discriminator_loss(real, fake).item() == pytest.approx(-expected, abs=1e-6)


def test_generator_losses_hand_computed():
    fake = torch.tensor([0.0, 1.0])
    sat = 0.5 * (math.log(1 - sig(0.0)) + math.log(1 - sig(1.0)))
    nonsat = -0.5 * (math.log(sig(0.0)) + math.log(sig(1.0)))
    assert generator_loss_saturating(fake).item() == pytest.approx(sat, abs=1e-6)
    assert generator_loss_nonsaturating(fake).item() == pytest.approx(nonsat, abs=1e-6)


def test_hinge_losses_hand_computed():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    # real: max(0, 1-2)=0, max(0, 1-0.5)=0.5 -> 0.25; fake: max(0, 1-2)=0, max(0, 1+0)=1 -> 0.5
    assert hinge_discriminator_loss(real, fake).item() == pytest.approx(0.75)
    assert hinge_generator_loss(fake).item() == pytest.approx(1.0)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_extreme_logits_give_finite_values_and_gradients(sign):
    real = torch.full((4,), 100.0 * sign, requires_grad=True)
    fake = torch.full((4,), -100.0 * sign, requires_grad=True)
    losses = [
        gan_value(real, fake),
        discriminator_loss(real, fake),
        generator_loss_saturating(fake),
        generator_loss_nonsaturating(fake),
        hinge_discriminator_loss(real, fake),
        hinge_generator_loss(fake),
    ]
    for loss in losses:
        assert torch.isfinite(loss), loss
        real.grad = fake.grad = None
        loss.backward()
        for g in (real.grad, fake.grad):
            assert g is None or bool(torch.isfinite(g).all())
    if sign > 0:  # a perfect discriminator: V = 0, and G's non-saturating loss is 100 nats
        assert losses[0].item() == pytest.approx(0.0, abs=1e-6)
        assert losses[3].item() == pytest.approx(100.0, rel=1e-6)
    else:  # a perfectly fooled discriminator: V = -200
        assert losses[0].item() == pytest.approx(-200.0, rel=1e-6)


def test_saturating_gradient_vanishes_when_d_rejects_fakes():
    n = 4
    confident = torch.full((n,), -10.0, requires_grad=True)  # D(G(z)) = sigmoid(-10) ~ 4.5e-5
    generator_loss_saturating(confident).backward()
    sat_grad = confident.grad.clone()
    confident.grad = None
    generator_loss_nonsaturating(confident).backward()
    ns_grad = confident.grad.clone()
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l); d/dl -log sigmoid(l) = -(1 - sigmoid(l))
    assert torch.allclose(sat_grad, torch.full((n,), -sig(-10.0) / n), atol=1e-9)
    assert sat_grad.abs().max().item() < 1e-4 / n
    assert torch.allclose(ns_grad, torch.full((n,), -(1 - sig(-10.0)) / n), atol=1e-7)
    assert ns_grad.abs().min().item() > 0.99 / n
    # At D(G(z)) = 1/2 both push the logits up equally.
    x = torch.zeros(n, requires_grad=True)
    generator_loss_saturating(x).backward()
    g1 = x.grad.clone()
    x.grad = None
    generator_loss_nonsaturating(x).backward()
    assert torch.allclose(g1, x.grad) and g1[0].item() == pytest.approx(-0.5 / n)


def test_optimal_discriminator_values_and_errors():
    d = optimal_discriminator(torch.tensor([1.0, 0.0, 3.0, 0.0]), torch.tensor([1.0, 2.0, 1.0, 0.0]))
    assert torch.allclose(d, torch.tensor([0.5, 0.0, 0.75, 0.5]))
    with pytest.raises(T2ILabError):
        optimal_discriminator(torch.tensor([-1.0]), torch.tensor([1.0]))
    with pytest.raises(T2ILabError):
        optimal_discriminator(torch.ones(3), torch.ones(2))


def _normal_pdf(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def test_optimal_discriminator_on_two_gaussians():
    x = torch.linspace(-12, 12, 24001, dtype=torch.float64)
    dx = float(x[1] - x[0])
    p_data, p_g = _normal_pdf(x, 0.0, 1.0), _normal_pdf(x, 1.5, 1.3)
    d_star = optimal_discriminator(p_data, p_g)

    def value(d: torch.Tensor) -> float:  # V(D, G) = int p_data log D + p_g log(1 - D) dx
        return float(((p_data * torch.log(d) + p_g * torch.log1p(-d)) * dx).sum())

    m = 0.5 * (p_data + p_g)
    jsd = 0.5 * float((p_data * torch.log(p_data / m) * dx).sum()) + 0.5 * float((p_g * torch.log(p_g / m) * dx).sum())
    assert 0.05 < jsd < math.log(2)
    assert value(d_star) == pytest.approx(-math.log(4) + 2 * jsd, abs=1e-6)

    # D* maximises the integrand pointwise: scan D on a grid at a few x.
    grid = torch.linspace(1e-4, 1 - 1e-4, 9999, dtype=torch.float64)
    for i in (8000, 12000, 13500, 15000):
        a, b = p_data[i], p_g[i]
        best = grid[torch.argmax(a * torch.log(grid) + b * torch.log1p(-grid))]
        assert float(best) == pytest.approx(float(d_star[i]), abs=2e-4)
    # ... so any other discriminator does worse.
    logit_star = torch.log(p_data) - torch.log(p_g)
    for delta in (-0.5, 0.2, 1.0):
        assert value(torch.sigmoid(logit_star + delta)) < value(d_star) - 1e-4

    # The library's batch estimate of V with D*'s logits, log p_data - log p_g, agrees (Monte Carlo).
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(100_000, generator=gen, dtype=torch.float64)
    fake = 1.5 + 1.3 * torch.randn(100_000, generator=gen, dtype=torch.float64)

    def logit(z: torch.Tensor) -> torch.Tensor:
        return torch.log(_normal_pdf(z, 0.0, 1.0)) - torch.log(_normal_pdf(z, 1.5, 1.3))

    assert gan_value(logit(real), logit(fake)).item() == pytest.approx(-math.log(4) + 2 * jsd, abs=0.02)


def test_auxiliary_classifier_loss():
    labels = torch.tensor([[0, 3], [2, 1]])
    uniform = [torch.zeros(2, 3), torch.zeros(2, 4)]
    assert auxiliary_classifier_loss(uniform, labels).item() == pytest.approx(math.log(3) + math.log(4), abs=1e-6)
    a0 = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    a1 = torch.zeros(2, 4)
    ce0 = -0.5 * (math.log(math.exp(2) / (math.exp(2) + 2)) + math.log(1 / (math.e + 2)))
    assert auxiliary_classifier_loss([a0, a1], labels).item() == pytest.approx(ce0 + math.log(4), abs=1e-6)
    with pytest.raises(T2ILabError):
        auxiliary_classifier_loss([a0], labels)  # one head, two attributes
    with pytest.raises(T2ILabError):
        auxiliary_classifier_loss([a0, torch.zeros(2, 3)], labels)  # label 3 out of range for 3 classes
    with pytest.raises(T2ILabError):
        auxiliary_classifier_loss([a0, a1], labels.float())


def test_user_mistakes_raise():
    with pytest.raises(T2ILabError):
        gan_value(torch.zeros(0), torch.zeros(3))
    with pytest.raises(T2ILabError):
        generator_loss_nonsaturating(torch.tensor([]))
