"""The 1-D GAN toy: data, one step of the game, convergence, the saturating loss's small gradient."""
import math

import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.toys.gan1d import (Discriminator1D, Generator1D, data_density, data_stats, discriminator_step, gan_step,
                          generator_step, sample_data, single_thread, train_1d)
from t2ilab.losses import discriminator_loss, generator_loss_nonsaturating


@pytest.fixture(autouse=True)
def one_thread():
    """Networks this small run fastest on one thread (as train_1d does)."""
    with single_thread():
        yield


def test_data_stats_density_and_samples_agree():
    for data in ("gaussian", "mixture"):
        mean, std = data_stats(data)
        x = sample_data(20000, data, torch.Generator().manual_seed(0))
        assert x.shape == (20000, 1)
        assert abs(x.mean().item() - mean) < 0.05 and abs(x.std().item() - std) < 0.05
        grid = torch.linspace(-8, 8, 4001)
        p = data_density(grid, data)
        assert torch.trapezoid(p, grid).item() == pytest.approx(1.0, abs=1e-4)
        assert torch.trapezoid(p * grid, grid).item() == pytest.approx(mean, abs=1e-4)
    assert data_stats("mixture") == pytest.approx((0.0, math.sqrt(0.4**2 + 4)))
    with pytest.raises(T2ILabError, match="choose"):
        sample_data(3, "uniform")


def test_gan_step_is_a_d_step_then_a_g_step_with_the_updated_d():
    torch.manual_seed(0)
    G, D = Generator1D(), Discriminator1D()
    real, z = sample_data(16, generator=torch.Generator().manual_seed(1)), torch.randn(16, 4)
    g0, d0 = [p.detach().clone() for p in G.parameters()], [p.detach().clone() for p in D.parameters()]
    opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    d_loss, g_loss = gan_step(G, D, opt_g, opt_d, real, z)

    # the same by hand with plain SGD: D first (G fixed), then G through the updated D
    G2, D2 = Generator1D(), Discriminator1D()
    for p, v in zip(G2.parameters(), g0):
        p.data.copy_(v)
    for p, v in zip(D2.parameters(), d0):
        p.data.copy_(v)
    ld = discriminator_loss(D2(real), D2(G2(z).detach()))
    grads = torch.autograd.grad(ld, list(D2.parameters()))
    with torch.no_grad():
        for p, gr in zip(D2.parameters(), grads):
            p -= 0.1 * gr
    lg = generator_loss_nonsaturating(D2(G2(z)))
    grads = torch.autograd.grad(lg, list(G2.parameters()))
    with torch.no_grad():
        for p, gr in zip(G2.parameters(), grads):
            p -= 0.1 * gr
    assert d_loss == pytest.approx(ld.item(), abs=1e-6) and g_loss == pytest.approx(lg.item(), abs=1e-6)
    for a, b in zip(list(G.parameters()) + list(D.parameters()), list(G2.parameters()) + list(D2.parameters())):
        assert torch.allclose(a, b, atol=1e-6)
    assert any(not torch.equal(a, b) for a, b in zip(G.parameters(), g0))  # both players moved
    assert any(not torch.equal(a, b) for a, b in zip(D.parameters(), d0))


def test_nonsaturating_gan_converges_to_the_data_mean_and_std():
    toy = train_1d(steps=800, loss="nonsaturating", seed=0)
    mean, std = data_stats("gaussian")  # 2.0, 0.5
    samples = toy.snapshots[-1].samples
    assert toy.snapshots[0].samples.mean().item() < 1.0  # it started far from the data
    assert abs(samples.mean().item() - mean) < 0.15
    assert 0.25 < samples.std().item() < 0.75
    assert [s.step for s in toy.snapshots] == [0, 160, 320, 480, 640, 800]
    assert len(toy.history["g_grad"]) == 800 and toy.snapshots[-1].d.shape == toy.grid.shape
    # at the end D can no longer tell: D(x) is near 1/2 where the data are
    near = (toy.grid - mean).abs() < std
    assert (toy.snapshots[-1].d[near] - 0.5).abs().max().item() < 0.2


def test_same_seed_same_game():
    a, b = train_1d(steps=50, seed=3), train_1d(steps=50, seed=3)
    assert torch.equal(a.snapshots[-1].samples, b.snapshots[-1].samples)
    assert a.history["d_loss"] == b.history["d_loss"]


def test_saturating_gradient_vanishes_against_a_confident_discriminator():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    G, D = Generator1D(), Discriminator1D()
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for _ in range(300):  # D learns to reject the untrained G's numbers (near 0; the data are near 2)
        discriminator_step(G, D, opt_d, sample_data(128, generator=gen), torch.randn(128, 4, generator=gen))
    z = torch.randn(256, 4, generator=gen)
    assert torch.sigmoid(D(G(z))).mean().item() < 0.05  # confident
    opt_g = torch.optim.SGD(G.parameters(), lr=0.0)  # measure the gradients only
    _, sat = generator_step(G, D, opt_g, z, "saturating")
    _, ns = generator_step(G, D, opt_g, z, "nonsaturating")
    assert sat < ns / 20
    with pytest.raises(T2ILabError, match="choose"):
        generator_step(G, D, opt_g, z, "hinge")


def test_saturating_loss_stalls_with_sgd_after_a_head_start():
    kw = dict(steps=20, optimizer="sgd", lr=3e-3, d_warmup=300, seed=0, snapshots=0)
    sat, ns = train_1d(loss="saturating", **kw), train_1d(loss="nonsaturating", **kw)
    assert sat.history["g_grad"][0] < ns.history["g_grad"][0] / 20
    assert ns.history["mean"][-1] - ns.history["mean"][0] > 1.0  # moved toward the data at 2.0
    assert sat.history["mean"][-1] - sat.history["mean"][0] < 0.3  # barely moved


def test_single_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with single_thread():
            assert torch.get_num_threads() == 1
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_bad_arguments_are_one_clear_error():
    for kw in (dict(loss="hinge"), dict(k=0), dict(optimizer="rmsprop"), dict(data="cauchy")):
        with pytest.raises(T2ILabError):
            train_1d(steps=2, **kw)
    for kw, says in ((dict(steps="10"), "^steps must be a whole number from 1 to 1,000,000, got '10'$"),
                     (dict(steps=2, batch=0), "^batch must be a whole number from 1"),
                     (dict(steps=2, lr=-1.0), "^lr must be a number above 0 and at most 10, got -1.0: try 1e-3$"),
                     (dict(steps=2, lr_d=float("nan")), "^lr_d must be a number above 0"),
                     (dict(steps=2, seed=-1), "^seed must be a whole number from 0")):
        with pytest.raises(T2ILabError, match=says):
            train_1d(**kw)
    for n in (0, -3, 2.5, "8"):
        with pytest.raises(T2ILabError, match="^n must be a whole number from 1 to 10,000,000"):
            sample_data(n)
