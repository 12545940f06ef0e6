"""The fitted prior: its numbers by hand, its fallback, its sampling, and a VAE that keeps it."""
import pytest
import torch

from t2ilab import hub
from t2ilab.errors import T2ILabError
from t2ilab.models import prior
from t2ilab.models.vae import ConditionalVAE


def test_combination_is_mixed_radix():
    labels = torch.tensor([[1, 2, 1, 3], [0, 0, 0, 0], [3, 5, 1, 4]])
    assert prior.combination(labels, [4, 6, 2, 5]).tolist() == [((1 * 6 + 2) * 2 + 1) * 5 + 3, 0, 239]
    assert prior.combination(torch.zeros(2, 0, dtype=torch.long), []).tolist() == [0, 0]


def test_gaussian_fit_by_hand():
    codes = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    mean, tril = prior.gaussian_fit(codes, jitter=0.0)
    assert mean.tolist() == [1.0, 1.0]  # variance (1+1+1+1)/3 = 4/3 each, no covariance
    assert torch.allclose(tril @ tril.T, torch.tensor([[4 / 3, 0.0], [0.0, 4 / 3]]))
    assert torch.equal(tril, torch.tril(tril))


def test_gaussian_fit_recovers_a_tilted_cloud():
    g = torch.Generator().manual_seed(0)
    L = torch.tensor([[2.0, 0.0], [1.5, 0.5]])
    codes = torch.tensor([3.0, -1.0]) + torch.randn(20000, 2, generator=g) @ L.T
    mean, tril = prior.gaussian_fit(codes)
    assert torch.allclose(mean, torch.tensor([3.0, -1.0]), atol=0.05)
    assert torch.allclose(tril @ tril.T, L @ L.T, atol=0.1)


def test_a_condition_with_too_few_codes_gets_the_fit_of_all():
    g = torch.Generator().manual_seed(0)
    codes = torch.randn(300, 3, generator=g)
    labels = torch.tensor([[0]] * 295 + [[1]] * 5)           # class 2 has none, class 1 only 5 (< 2·3)
    codes[:295] += 10
    means, trils = prior.fit_per_condition(codes, labels, [3])
    every_mean, every_tril = prior.gaussian_fit(codes)
    assert torch.allclose(means[0], codes[:295].mean(0))
    assert torch.equal(means[1], every_mean) and torch.equal(means[2], every_mean)
    assert torch.equal(trils[2], every_tril)


def test_sample_is_mean_plus_factor_times_noise():
    means = torch.tensor([[0.0, 0.0], [1.0, 2.0]])
    trils = torch.stack([torch.eye(2), torch.tensor([[2.0, 0.0], [1.0, 3.0]])])
    z = prior.sample(means, trils, torch.tensor([1, 0]), torch.tensor([[1.0, 1.0], [0.5, -0.5]]))
    assert z.tolist() == [[3.0, 6.0], [0.5, -0.5]]


def test_a_fitted_vae_draws_from_its_prompts_cloud_and_round_trips(tmp_path):
    torch.manual_seed(0)
    vae = ConditionalVAE(channels=1, size=28, classes=(10,), latent=4, widths=(8, 8, 8), prior="fitted",
                         dataset="fashion")
    assert vae.config["prior"] == "fitted" and "prior" not in ConditionalVAE(classes=(3,)).config
    images, labels = torch.rand(60, 1, 28, 28), torch.tensor([[0], [1], [2]] * 20)
    before = vae.generate(labels[:3], z=torch.zeros(3, 4))
    vae.fit_prior(images, labels)
    assert not torch.equal(vae.prior_mean[:3], torch.zeros(3, 4))
    c = vae.condition(labels[:3])
    expected = torch.sigmoid(vae.decode(vae.prior_mean[:3], c))     # ε = 0 decodes each prompt's mean code
    after = vae.generate(labels[:3], z=torch.zeros(3, 4))
    assert torch.allclose(after, expected) and not torch.allclose(after, before)
    hub.save(vae, tmp_path / "v.safetensors")
    again = hub.load(tmp_path / "v.safetensors")
    assert torch.equal(again.prior_tril, vae.prior_tril)
    assert torch.equal(again.generate(labels[:3], generator=torch.Generator().manual_seed(1)),
                       vae.generate(labels[:3], generator=torch.Generator().manual_seed(1)))


def test_fit_prior_needs_a_fitted_vae_and_a_known_prior():
    with pytest.raises(T2ILabError, match="prior='fitted'"):
        ConditionalVAE(classes=(3,)).fit_prior(torch.rand(4, 3, 32, 32), torch.zeros(4, 1, dtype=torch.long))
    with pytest.raises(T2ILabError, match="'standard', 'fitted' or 'mixture'"):
        ConditionalVAE(prior="gmm")
    with pytest.raises(T2ILabError, match="components must be a whole number"):
        ConditionalVAE(prior="mixture", components=0)
