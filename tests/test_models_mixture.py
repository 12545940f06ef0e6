"""The mixture prior: EM finds the clumps, ε picks a component with its weight's probability and
stays a standard normal draw, conditions with too few codes fall back, and a VAE keeps it."""
import torch

from t2ilab import hub
from t2ilab.models import mixture
from t2ilab.models.vae import ConditionalVAE


def test_em_finds_two_clumps_with_their_weights():
    g = torch.Generator().manual_seed(0)
    codes = torch.cat([torch.randn(300, 2, generator=g) * 0.3 + torch.tensor([-4.0, 0.0]),
                       torch.randn(700, 2, generator=g) * 0.5 + torch.tensor([4.0, 2.0])])
    weights, means, trils = mixture.em_fit(codes, 2)
    order = means[:, 0].argsort()
    assert torch.allclose(weights[order], torch.tensor([0.3, 0.7]), atol=0.01)
    assert torch.allclose(means[order], torch.tensor([[-4.0, 0.0], [4.0, 2.0]]), atol=0.1)
    stds = torch.stack([torch.diagonal(trils[k] @ trils[k].T).sqrt() for k in order.tolist()])
    assert torch.allclose(stds, torch.tensor([[0.3, 0.3], [0.5, 0.5]]), atol=0.05)


def test_sample_picks_components_by_weight_and_keeps_the_noise_normal():
    weights = torch.tensor([[0.25, 0.75]])
    means = torch.tensor([[[-10.0, 0.0], [10.0, 0.0]]])
    trils = torch.eye(2).repeat(1, 2, 1, 1)
    eps = torch.randn(20000, 2, generator=torch.Generator().manual_seed(1))
    index = torch.zeros(20000, dtype=torch.long)
    z = mixture.sample(weights, means, trils, index, eps)
    first = z[:, 0] < 0
    assert abs(first.float().mean().item() - 0.25) < 0.01               # component 0 with probability w_0
    fresh = torch.where(first, z[:, 0] + 10, z[:, 0] - 10)             # ε̃_1 inside each component
    assert abs(fresh.mean().item()) < 0.03 and abs(fresh.std().item() - 1) < 0.03
    assert torch.equal(z[:, 1], eps[:, 1])                              # the other coordinates are ε's own
    assert torch.equal(mixture.sample(weights, means, trils, index[:5], eps[:5]), z[:5])   # same ε, same z
    # ε_1 = 0 is the median: Φ(0) = 0.5 falls in the second interval [0.25, 1), a third of the way in
    one = mixture.sample(weights, means, trils, index[:1], torch.zeros(1, 2))
    expected = 10 + torch.distributions.Normal(0.0, 1.0).icdf(torch.tensor((0.5 - 0.25) / 0.75))
    assert torch.allclose(one, torch.tensor([[expected.item(), 0.0]]), atol=1e-5)


def test_a_condition_with_few_codes_gets_one_gaussian():
    g = torch.Generator().manual_seed(2)
    codes = torch.randn(230, 2, generator=g)
    index = torch.tensor([0] * 200 + [1] * 30)                          # K·2d = 12 codes needed for K = 3
    weights, means, trils = mixture.fit_per_condition(codes, index, count=3, k=3, least=40)
    assert torch.allclose(weights[1], torch.full((3,), 1 / 3)) and torch.allclose(weights[2], torch.full((3,), 1 / 3))
    every = codes.mean(0)
    assert torch.allclose(means[1], every.expand(3, 2), atol=1e-6)      # 30 < least: all codes' Gaussian
    assert torch.allclose(means[2], every.expand(3, 2), atol=1e-6)      # none at all: the same
    weights, means, trils = mixture.fit_per_condition(codes, index, count=3, k=3, least=11)
    assert torch.allclose(means[1], codes[200:].mean(0).expand(3, 2), atol=1e-6)   # least <= 30 < K·least: its own one Gaussian
    assert torch.allclose(weights[0].sum(), torch.tensor(1.0)) and not torch.allclose(means[0][0], means[0][1])


def test_a_mixture_vae_fits_generates_by_seed_and_round_trips(tmp_path):
    torch.manual_seed(0)
    vae = ConditionalVAE(channels=1, size=28, classes=(10,), latent=2, widths=(8, 8, 8), prior="mixture",
                         components=2, dataset="fashion")
    assert vae.config["prior"] == "mixture" and vae.config["components"] == 2
    images, labels = torch.rand(300, 1, 28, 28), torch.tensor([[0], [1], [2]] * 100)
    vae.fit_prior(images, labels)
    assert vae.prior_weight.shape == (10, 2) and torch.allclose(vae.prior_weight.sum(1), torch.ones(10))
    assert torch.equal(vae.prior_weight[3:], torch.full((7, 2), 0.5))  # garments 3-9 had no codes: one Gaussian
    hub.save(vae, tmp_path / "v.safetensors")
    again = hub.load(tmp_path / "v.safetensors")
    assert again.config == vae.config and torch.equal(again.prior_weight, vae.prior_weight)
    first = again.generate(labels[:3], generator=torch.Generator().manual_seed(1))
    assert torch.equal(first, vae.generate(labels[:3], generator=torch.Generator().manual_seed(1)))
    assert not torch.equal(first, vae.generate(labels[:3], generator=torch.Generator().manual_seed(2)))
