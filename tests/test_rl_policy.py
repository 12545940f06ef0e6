"""The preference adapter: starts exactly at the pretrained sampler, closed-form KL, seeded draws."""
import math

import pytest
import torch

from t2ilab import hub
from t2ilab.errors import T2ILabError
from t2ilab.rl import Draw, PreferenceAdapter
from t2ilab.text import labels_for


@pytest.fixture(scope="module")
def gan():
    return hub.load("shapes-gan")


def test_starts_exactly_at_the_pretrained_sampler(gan):
    a = PreferenceAdapter(gan)
    probs = a.probs("a circle")
    assert probs["shape"] is None  # fixed by the prompt
    for attr, k in (("color", 6), ("size", 2), ("position", 9)):
        assert torch.equal(torch.tensor(probs[attr]), torch.full((k,), 1 / k, dtype=torch.float32).double())  # uniform
    logits, mu, log_sigma = a.params("a circle")
    assert torch.equal(mu, torch.zeros(32)) and torch.equal(log_sigma, torch.zeros(32))
    assert a.kl("a circle").item() == 0.0
    d = a.sample("a circle", 64, seed=0)
    assert torch.allclose(a.log_prob(d, "a circle"), a.ref_log_prob(d, "a circle"), atol=1e-4)


def test_label_distribution_matches_labels_for(gan):
    a = PreferenceAdapter(gan)
    n = 30_000
    ours, theirs = a.sample("a red shape", n, seed=1).labels, labels_for("a red shape", "shapes", n=n, seed=1)
    assert (ours[:, 1] == 0).all() and (theirs[:, 1] == 0).all()  # red, fixed
    for col, k in ((0, 4), (2, 2), (3, 9)):
        f_ours = torch.bincount(ours[:, col], minlength=k).float() / n
        f_theirs = torch.bincount(theirs[:, col], minlength=k).float() / n
        assert torch.allclose(f_ours, torch.full((k,), 1 / k), atol=0.012)
        assert torch.allclose(f_ours, f_theirs, atol=0.02)
    z = a.sample("a red shape", n, seed=2).z
    assert z.mean().abs() < 0.01 and (z.std() - 1).abs() < 0.01


def test_closed_form_kl_equals_monte_carlo(gan):
    a = PreferenceAdapter(gan)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        a.net[2].bias.copy_(torch.randn(a.net[2].bias.shape, generator=g) * 0.5)
        a.net[2].weight.copy_(torch.randn(a.net[2].weight.shape, generator=g) * 0.1)
    prompt = "a circle"
    d = a.sample(prompt, 100_000, seed=3)
    with torch.no_grad():
        mc = (a.log_prob(d, prompt) - a.ref_log_prob(d, prompt)).mean().item()
    kl = a.kl(prompt).item()
    assert kl > 1.0
    assert mc == pytest.approx(kl, rel=0.03)


def test_log_prob_is_differentiable_and_splits_in_two_steps(gan):
    a = PreferenceAdapter(gan)
    d = a.sample("a big circle", 8, seed=0)
    steps = a.log_prob_steps(d, "a big circle")
    assert steps.shape == (8, 2)
    assert torch.allclose(steps[:, 0], torch.full((8,), -math.log(6 * 9)))  # color and position open
    steps.sum().backward()
    assert a.net[2].weight.grad.abs().sum() > 0


def test_seeds_and_temperature(gan):
    a = PreferenceAdapter(gan)
    d1, d2 = a.sample("a circle", 5, seed=7), a.sample("a circle", 5, seed=7)
    assert torch.equal(d1.labels, d2.labels) and torch.equal(d1.z, d2.z)
    _, _, log_sigma = a.params("a circle", temperature=2.0)
    assert torch.allclose(log_sigma.exp(), torch.full((32,), 2.0))


@pytest.mark.parametrize("name, prompt", [("shapes-gan", "a circle"), ("shapes-vae", "a big square"),
                                          ("scenes-vae", "a tree under a blue sky"), ("fashion-gan", "a dress"),
                                          ("fashion-vae", "a sandal")])
def test_every_shipped_generator(name, prompt):
    model = hub.load(name)
    a = PreferenceAdapter(model)
    d = a.sample(prompt, 4, seed=0)
    assert isinstance(d, Draw) and d.z.shape == (4, model.latent)
    images = a.images(d)
    assert images.shape[0] == 4 and 0 <= images.min() and images.max() <= 1
    assert a.kl(prompt).item() == 0.0


def test_bad_input(gan):
    a = PreferenceAdapter(gan)
    with pytest.raises(T2ILabError):
        a.sample("a circle", 0)
    with pytest.raises(T2ILabError):
        a.sample("a cirlce", 4)
    with pytest.raises(T2ILabError):
        PreferenceAdapter(hub.load("shapes-judge"))
    for seed in (-1, 1.5, "7"):
        with pytest.raises(T2ILabError, match=r"^seed must be a whole number from 0 to .*try seed=0$"):
            a.sample("a circle", 4, seed=seed)


def test_two_objects_need_their_places_in_the_rating_loop():
    a = PreferenceAdapter(hub.load("scenes-vae"))
    placed = a.sample("a house on the left and a tree on the right", 8, seed=0).labels
    assert placed[:, 2:].unique(dim=0).tolist() == [[1, 0, 1, 2]]       # house left, tree right; sky, ground drawn
    for prompt in ("a house and a tree", "a house on the right and a tree"):  # open places could clash
        with pytest.raises(T2ILabError, match="give both objects their places") as e:
            a.sample(prompt, 4, seed=0)
        assert "\n" not in str(e.value)
