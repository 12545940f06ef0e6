"""Training functions: losses go down, options are honoured, mistakes are clear."""
import pytest
import torch

from t2ilab.data import load
from t2ilab.errors import T2ILabError
from t2ilab.train.gan import train_gan
from t2ilab.train.loop import lesson_seconds
from t2ilab.train.vae import train_vae


@pytest.fixture(scope="module")
def small():
    return load("shapes", n=2000, seed=0)


def mean(v):
    return sum(v) / len(v)


def test_vae_learns(small):
    model, h = train_vae(steps=60, batch=32, data=small, progress=False, device=torch.device("cpu"))
    rec = h.values["reconstruction"]
    assert mean(rec[-10:]) < 0.7 * mean(rec[:5])  # the reconstruction term falls quickly
    assert h.values["beta"][0] == 0.0 and h.values["beta"][-1] == pytest.approx(2.0 * 59 / 200)  # KL annealing to β = 2
    assert set(h.values) >= {"loss", "reconstruction", "kl", "active_units", "mse", "mae"}
    assert mean(h.values["mse"][-10:]) < mean(h.values["mse"][:5]) and 0 < h.values["mae"][-1] < 1


def test_vae_is_reproducible_for_a_seed(small):
    a, _ = train_vae(steps=5, batch=16, data=small, progress=False, seed=3)
    b, _ = train_vae(steps=5, batch=16, data=small, progress=False, seed=3)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("loss", ["nonsaturating", "saturating", "hinge"])
def test_gan_runs_each_loss(small, loss):
    gan, h = train_gan(steps=4, batch=16, batch_end=None, loss=loss, data=small, progress=False)
    assert len(h.values["d_loss"]) == 4 and all(torch.isfinite(torch.tensor(h.values["g_loss"])))


def test_gan_batch_grows_and_k_steps(small):
    _, h = train_gan(steps=10, batch=8, batch_end=32, data=small, progress=False)
    assert h.values["batch"][0] == 8 and h.values["batch"][-1] > 8


def test_gan_learns_to_fool_then_be_fooled(small):
    _, h = train_gan(steps=40, batch=32, batch_end=None, data=small, progress=False)
    assert mean(h.values["d_real"][-10:]) > mean(h.values["d_fake"][-10:])  # D tells real from fake


def test_bad_options_are_clear(small):
    with pytest.raises(T2ILabError, match="unknown GAN loss 'wasserstein'"):
        train_gan(steps=1, loss="wasserstein", data=small)
    with pytest.raises(T2ILabError, match="k=0"):
        train_gan(steps=1, k=0, data=small)


def test_fast_mode_shrinks_lesson_seconds(monkeypatch):
    monkeypatch.setenv("T2ILAB_FAST", "1")
    assert lesson_seconds(60) == 2.0
    monkeypatch.setenv("T2ILAB_FAST", "0")
    assert lesson_seconds(60) == 60
