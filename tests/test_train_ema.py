"""The generator's weight average: the equation on hand values, and what train_gan keeps."""
import pytest
import torch
from torch import nn

from t2ilab.data import load
from t2ilab.errors import T2ILabError
from t2ilab.train.ema import WeightAverage
from t2ilab.train.gan import train_gan


def test_average_follows_the_equation_and_copies_buffers():
    net = nn.Sequential(nn.Linear(2, 1, bias=False), nn.BatchNorm1d(1))
    with torch.no_grad():
        net[0].weight.fill_(0.0)
    avg = WeightAverage(net, beta=0.75)
    with torch.no_grad():
        net[0].weight.fill_(4.0)
        net[1].running_mean.fill_(3.0)
    avg.update(net)  # 0.75 * 0 + 0.25 * 4 = 1
    assert torch.allclose(avg.average[0].weight, torch.ones(1, 2))
    avg.update(net)  # 0.75 * 1 + 0.25 * 4 = 1.75
    assert torch.allclose(avg.average[0].weight, torch.full((1, 2), 1.75))
    assert avg.average[1].running_mean.item() == 3.0  # buffers copied, not averaged
    assert net[0].weight[0, 0].item() == 4.0  # the network itself untouched
    avg.copy_to(net)
    assert torch.allclose(net[0].weight, torch.full((1, 2), 1.75))
    assert not any(p.requires_grad for p in avg.average.parameters())


@pytest.mark.parametrize("beta", [0.0, 1.0, -0.5, 1.5])
def test_a_beta_outside_zero_one_is_one_clear_line(beta):
    with pytest.raises(T2ILabError, match=r"needs 0 < ema < 1"):
        WeightAverage(nn.Linear(1, 1), beta)


def test_train_gan_keeps_the_averaged_generator_and_the_same_discriminator():
    data = load("shapes", n=500, seed=0)
    plain, _ = train_gan(steps=5, batch=16, data=data, ema=0, progress=False)
    averaged, _ = train_gan(steps=5, batch=16, data=data, ema=0.9, progress=False)
    d0, d1 = plain.discriminator.state_dict(), averaged.discriminator.state_dict()
    assert all(torch.equal(d0[k], d1[k]) for k in d0)  # the game itself is the same
    g0, g1 = plain.generator.state_dict(), averaged.generator.state_dict()
    assert not torch.equal(g0["project.0.weight"], g1["project.0.weight"])  # the kept G is the average
    with pytest.raises(T2ILabError, match="ema=2"):
        train_gan(steps=1, data=data, ema=2)


def test_copy_to_measures_batchnorm_statistics_of_the_averaged_weights_again():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).eval()
    avg = WeightAverage(net, beta=0.5)
    with torch.no_grad():
        net[1].running_mean.fill_(100.0)  # statistics of other weights: wrong for the average
    x = torch.randn(64, 3, generator=torch.Generator().manual_seed(1))
    avg.copy_to(net, inputs=lambda: (x,), batches=3)
    assert torch.allclose(net[1].running_mean, net[0](x).mean(0).detach(), atol=1e-5)  # the mean of 3 equal passes
    assert net[1].momentum == 0.1 and not net.training
    avg.copy_to(net)  # without inputs: the average's buffers as they were
    assert net[1].running_mean.abs().max() < 1.0
