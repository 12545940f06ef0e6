"""VAE losses: the Gaussian KL (closed form vs Monte Carlo), reparameterisation, likelihoods, beta-ELBO."""

from __future__ import annotations

import math

import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.losses import (
    bernoulli_log_likelihood,
    beta_elbo,
    beta_schedule,
    gaussian_kl,
    gaussian_log_likelihood,
    reparameterize,
)


def test_kl_is_zero_at_the_prior_and_hand_computed():
    assert torch.equal(gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)), torch.zeros(3))
    mu = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    logvar = torch.tensor([[0.0, 0.0], [math.log(2.0), 0.0]])
    # [1, 0] -> mu^2 / 2 = 0.5; sigma^2 = 2 -> -(1 + log 2 - 2) / 2
    expected = torch.tensor([0.5, 0.5 * (1 - math.log(2.0))])
    assert torch.allclose(gaussian_kl(mu, logvar), expected, atol=1e-6)


def test_kl_matches_monte_carlo():
    mu = torch.tensor([0.5, -1.0, 0.0], dtype=torch.float64)
    logvar = torch.tensor([math.log(0.5), math.log(2.0), math.log(0.2)], dtype=torch.float64)
    n = 100_000
    gen = torch.Generator().manual_seed(0)
    z = reparameterize(mu.expand(n, 3), logvar.expand(n, 3), generator=gen)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64))
    mc = (q.log_prob(z) - p.log_prob(z)).sum(dim=1).mean().item()  # E_q[log q(z) - log p(z)]
    closed = gaussian_kl(mu.unsqueeze(0), logvar.unsqueeze(0)).item()
    # sum_j (sigma^2 + mu^2 - 1 - log sigma^2) / 2
    by_hand = 0.5 * (0.5 + 0.25 - 1 + math.log(2)) + 0.5 * (2 + 1 - 1 - math.log(2)) + 0.5 * (0.2 - 1 + math.log(5))
    assert by_hand == pytest.approx(1.27972, abs=1e-5)
    assert closed == pytest.approx(by_hand, abs=1e-9)
    assert mc == pytest.approx(closed, abs=0.02)


def test_reparameterize_statistics_seed_and_gradients():
    mu = torch.tensor([[2.0, -1.0]]).expand(50_000, 2).clone().requires_grad_(True)
    logvar = torch.tensor([[math.log(4.0), math.log(0.25)]]).expand(50_000, 2).clone().requires_grad_(True)
    z = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(z.mean(0), torch.tensor([2.0, -1.0]), atol=0.03)
    assert torch.allclose(z.std(0), torch.tensor([2.0, 0.5]), atol=0.03)
    again = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(1))
    assert torch.equal(z, again)
    z.sum().backward()
    eps = (z - mu) / torch.exp(0.5 * logvar)
    assert torch.allclose(mu.grad, torch.ones_like(mu))  # dz/dmu = 1
    assert torch.allclose(logvar.grad, 0.5 * torch.exp(0.5 * logvar) * eps.detach(), atol=1e-5)  # dz/dlogvar = sigma eps / 2
    assert logvar.grad.abs().sum() > 0


def test_bernoulli_log_likelihood():
    x = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    logits = torch.tensor([[0.0, 0.0], [2.0, -1.0]])
    s = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    expected = torch.tensor([2 * math.log(0.5), math.log(s(2.0)) + math.log(s(-1.0))])
    assert torch.allclose(bernoulli_log_likelihood(x, logits), expected, atol=1e-6)
    extreme = bernoulli_log_likelihood(torch.tensor([[1.0, 0.0]]), torch.tensor([[-100.0, 100.0]]))
    assert torch.isfinite(extreme).all() and extreme.item() == pytest.approx(-200.0, rel=1e-6)
    with pytest.raises(T2ILabError):
        bernoulli_log_likelihood(torch.tensor([[2.0]]), torch.tensor([[0.0]]))


def test_gaussian_log_likelihood():
    x, mean = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.0]])
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    assert gaussian_log_likelihood(x, mean).item() == pytest.approx(-2 * half_log_2pi - 0.5, abs=1e-6)
    with_sigma = gaussian_log_likelihood(x, mean, sigma=2.0).item()
    assert with_sigma == pytest.approx(-2 * half_log_2pi - 2 * math.log(2.0) - 1 / 8, abs=1e-6)
    learned = gaussian_log_likelihood(x, mean, log_sigma2=torch.full((1, 2), 2 * math.log(2.0))).item()
    assert learned == pytest.approx(with_sigma, abs=1e-6)
    with pytest.raises(T2ILabError):
        gaussian_log_likelihood(x, mean, log_sigma2=0.0, sigma=1.0)
    with pytest.raises(T2ILabError):
        gaussian_log_likelihood(x, mean, sigma=-1.0)


def test_beta_elbo_parts_and_beta_zero():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    recon = torch.tensor([[1.0, -1.0], [0.0, 0.0]])
    mu = torch.tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True)
    logvar = torch.zeros(2, 2, requires_grad=True)
    out = beta_elbo(x, recon, mu, logvar, beta=2.0)
    recon_expected = bernoulli_log_likelihood(x, recon).mean()
    kl_expected = torch.tensor(0.5 * (1.0 + 4.0) / 2)  # per-sample KL 0.5 and 2.0, mean 1.25
    assert out.reconstruction.item() == pytest.approx(recon_expected.item(), abs=1e-6)
    assert out.kl.item() == pytest.approx(kl_expected.item(), abs=1e-6)
    assert out.elbo.item() == pytest.approx(recon_expected.item() - 2.0 * 1.25, abs=1e-6)
    assert out.loss.item() == pytest.approx(-out.elbo.item())
    out.loss.backward()
    assert torch.allclose(mu.grad, 2.0 * mu.detach() / 2)  # d(beta * mean KL)/dmu = beta * mu / B

    mu.grad = None
    pure = beta_elbo(x, recon, mu, logvar, beta=0.0)
    assert pure.loss.item() == pytest.approx(-recon_expected.item(), abs=1e-6)
    pure.loss.backward()
    assert torch.count_nonzero(mu.grad) == 0  # beta = 0: only reconstruction, nothing pulls mu


def test_beta_elbo_gaussian_and_errors():
    x = torch.tensor([[0.5, 0.5]])
    out = beta_elbo(x, torch.zeros(1, 2), torch.zeros(1, 3), torch.zeros(1, 3), likelihood="gaussian", sigma=0.5)
    expected = -math.log(2 * math.pi) - 2 * math.log(0.5) - 2 * 0.25 / (2 * 0.25)
    assert out.elbo.item() == pytest.approx(expected, abs=1e-6)
    with pytest.raises(T2ILabError):
        beta_elbo(x, x, torch.zeros(1, 3), torch.zeros(1, 3), beta=-1.0)
    with pytest.raises(T2ILabError):
        beta_elbo(x, x, torch.zeros(1, 3), torch.zeros(1, 3), likelihood="poisson")
    with pytest.raises(T2ILabError):
        gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(T2ILabError):
        reparameterize(torch.zeros(0, 3), torch.zeros(0, 3))


def test_beta_schedule():
    assert beta_schedule(0, 100) == 0.0
    assert beta_schedule(25, 100, beta_max=4.0) == pytest.approx(1.0)
    assert beta_schedule(100, 100, beta_max=4.0) == pytest.approx(4.0)
    assert beta_schedule(5000, 100, beta_max=4.0) == pytest.approx(4.0)
    assert beta_schedule(0, 0, beta_max=0.5) == 0.5
    for bad in [(-1, 10, 1.0), (0, -5, 1.0), (0, 10, -0.1)]:
        with pytest.raises(T2ILabError):
            beta_schedule(*bad)
