r"""A 1-D GAN you can watch (lesson 02_gan): tiny MLPs playing the minimax game on numbers.

The data are numbers drawn from a Gaussian or a mixture of Gaussians; the generator G turns
noise z into numbers, the discriminator D gives each number a logit, D(x) = sigmoid(logit).
Everything trains in about a second on a CPU, and everything can be plotted whole: the data
density, a histogram of G's numbers and D(x) on a grid, at chosen steps (`Toy1D.snapshots`).

    toy = train_1d(steps=1500, loss="nonsaturating")
    toy.snapshots[-1].samples.mean()   # close to the data mean, 2.0
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ..device import single_thread
from ..errors import T2ILabError
from ..losses import discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating
from ..validate import check_count, check_number, check_seed

# name -> list of (weight, mean, std): the data distributions of the toy.
DATA: dict[str, list[tuple[float, float, float]]] = {
    "gaussian": [(1.0, 2.0, 0.5)],
    "mixture": [(0.5, -2.0, 0.4), (0.5, 2.0, 0.4)],
}

GENERATOR_LOSSES = {"nonsaturating": generator_loss_nonsaturating, "saturating": generator_loss_saturating}


def _components(data: str) -> list[tuple[float, float, float]]:
    if data not in DATA:
        raise T2ILabError(f"unknown 1-D data {data!r}: choose {', '.join(DATA)}")
    return DATA[data]


def data_stats(data: str = "gaussian") -> tuple[float, float]:
    """Mean and standard deviation of a toy data distribution."""
    comps = _components(data)
    mean = sum(w * m for w, m, _ in comps)
    var = sum(w * (s**2 + m**2) for w, m, s in comps) - mean**2
    return mean, math.sqrt(var)


def sample_data(n: int, data: str = "gaussian", generator: torch.Generator | None = None) -> Tensor:
    """`n` numbers from the data distribution, shape [n, 1]."""
    check_count(n, "n", 1, 10_000_000)
    comps = _components(data)
    weights = torch.tensor([w for w, _, _ in comps])
    which = torch.multinomial(weights, n, replacement=True, generator=generator)
    means = torch.tensor([m for _, m, _ in comps])[which]
    stds = torch.tensor([s for _, _, s in comps])[which]
    return (means + stds * torch.randn(n, generator=generator)).unsqueeze(1)


def data_density(x: Tensor, data: str = "gaussian") -> Tensor:
    """The data density p_data(x) at the points `x` (any shape)."""
    x = torch.as_tensor(x, dtype=torch.get_default_dtype())
    return sum(w * torch.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)) for w, m, s in _components(data))


class Generator1D(nn.Module):
    """G(z): noise [B, latent] -> one number per row [B, 1]."""

    def __init__(self, latent: int = 4, hidden: int = 32):
        super().__init__()
        self.latent = latent
        self.net = nn.Sequential(nn.Linear(latent, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class Discriminator1D(nn.Module):
    """D's logit l(x) for numbers [B, 1] -> [B]; D(x) = sigmoid(l(x))."""

    def __init__(self, hidden: int = 32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(1)


def discriminator_step(G: nn.Module, D: nn.Module, opt_d: torch.optim.Optimizer, real: Tensor, z: Tensor) -> float:
    """One step of max_D V(D, G): lower L_D on a real batch and on G(z) (G is not updated)."""
    with torch.no_grad():
        fake = G(z)  # G is held fixed while D learns
    d_loss = discriminator_loss(D(real), D(fake))  # L_D = -E[log D(x)] - E[log(1 - D(G(z)))]
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    return d_loss.item()


def generator_step(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, z: Tensor,
                   loss: str = "nonsaturating") -> tuple[float, float]:
    """One step of min_G: lower the generator loss through D (D is not updated).

    Returns (loss, gradient norm): the L2 norm of the loss's gradient over G's parameters,
    which shows how hard the loss pushes G (tiny for the saturating loss against a confident D).
    """
    if loss not in GENERATOR_LOSSES:
        raise T2ILabError(f"unknown generator loss {loss!r}: choose {', '.join(GENERATOR_LOSSES)}")
    g_loss = GENERATOR_LOSSES[loss](D(G(z)))
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    norm = math.sqrt(sum(float((p.grad**2).sum()) for p in G.parameters() if p.grad is not None))
    opt_g.step()
    return g_loss.item(), norm


def gan_step(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
             real: Tensor, z: Tensor, loss: str = "nonsaturating") -> tuple[float, float]:
    """One round of the game: a discriminator step on (real, G(z)), then a generator step with the
    updated D and the same z. Returns (d_loss, g_loss). The lesson's exercise re-implements this."""
    d_loss = discriminator_step(G, D, opt_d, real, z)
    g_loss, _ = generator_step(G, D, opt_g, z, loss)
    return d_loss, g_loss


@dataclass
class Snapshot:
    """The game at one step: G's numbers and D(x) on the toy's grid."""
    step: int
    samples: Tensor  # [n] numbers from G
    d: Tensor  # [len(grid)] D(x) = sigmoid(l(x)) on the grid


@dataclass
class Toy1D:
    """A trained 1-D GAN: the players, the data's name, the plotting grid, snapshots and per-step history."""
    G: Generator1D
    D: Discriminator1D
    data: str
    loss: str
    grid: Tensor
    snapshots: list[Snapshot] = field(default_factory=list)
    history: dict[str, list[float]] = field(default_factory=dict)

    def density(self) -> Tensor:
        """p_data on the grid."""
        return data_density(self.grid, self.data)


@torch.no_grad()
def snapshot(G: nn.Module, D: nn.Module, grid: Tensor, step: int, n: int = 2000, seed: int = 0) -> Snapshot:
    """G's numbers from a fixed noise (so snapshots are comparable) and D(x) on `grid`."""
    z = torch.randn(n, G.latent, generator=torch.Generator().manual_seed(seed))
    return Snapshot(step, G(z).squeeze(1).clone(), torch.sigmoid(D(grid.unsqueeze(1))).clone())


@single_thread()  # tiny networks are fastest on one thread
def train_1d(steps: int = 1500, loss: str = "nonsaturating", lr: float = 1e-3, k: int = 1, seed: int = 0,
             data: str = "gaussian", batch: int = 128, latent: int = 4, hidden: int = 32,
             optimizer: str = "adam", snapshots: int = 6, lr_d: float | None = None, d_warmup: int = 0) -> Toy1D:
    """Train a 1-D GAN for `steps` generator steps, with `k` discriminator steps before each.

    `loss`: the generator's loss, "nonsaturating" or "saturating"; `lr` both players' learning
    rate (`lr_d` overrides D's); `optimizer` "adam" (betas 0.5, 0.999, as in DCGAN) or "sgd"
    (momentum 0.9); `d_warmup` discriminator steps against the untrained G before the game
    starts (D gets a head start and is confident, as early in a real GAN's training).
    Records `snapshots` evenly spaced snapshots (step 0 included) and, every step, d_loss,
    g_loss, g_grad (norm of G's gradient), mean and std of G's batch, d_real and d_fake.
    """
    if loss not in GENERATOR_LOSSES:
        raise T2ILabError(f"unknown generator loss {loss!r}: choose {', '.join(GENERATOR_LOSSES)}")
    for name, value, low in (("steps", steps, 1), ("k", k, 1), ("d_warmup", d_warmup, 0), ("batch", batch, 1),
                             ("latent", latent, 1), ("hidden", hidden, 1), ("snapshots", snapshots, 0)):
        check_count(value, name, low, 1_000_000)
    for name, value in (("lr", lr), ("lr_d", lr_d)):
        if value is not None:
            check_number(value, name, 0, 10, "try 1e-3")
    check_seed(seed)
    if optimizer not in ("adam", "sgd"):
        raise T2ILabError(f"unknown optimizer {optimizer!r}: choose adam or sgd")
    comps = _components(data)  # also checks `data`
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    G, D = Generator1D(latent, hidden), Discriminator1D(hidden)

    def make(params, rate):
        if optimizer == "adam":
            return torch.optim.Adam(params, lr=rate, betas=(0.5, 0.999))
        return torch.optim.SGD(params, lr=rate, momentum=0.9)

    opt_g, opt_d = make(G.parameters(), lr), make(D.parameters(), lr_d or lr)
    # the plotting grid: every mode +- 6 std, and at least [-2, 2] (where G starts)
    lo, hi = min(m - 6 * sd for _, m, sd in comps), max(m + 6 * sd for _, m, sd in comps)
    grid = torch.linspace(min(lo, -2.0), max(hi, 2.0), 200)
    toy = Toy1D(G, D, data, loss, grid)
    for _ in range(d_warmup):  # D's head start against the untrained G
        discriminator_step(G, D, opt_d, sample_data(batch, data, gen), torch.randn(batch, latent, generator=gen))
    marks = {round(i * steps / max(snapshots - 1, 1)) for i in range(snapshots)} if snapshots > 0 else set()
    for i in range(steps + 1):
        if i in marks:
            toy.snapshots.append(snapshot(G, D, grid, i))
        if i == steps:
            break
        for _ in range(k):  # k steps of max_D
            real = sample_data(batch, data, gen)
            d_loss = discriminator_step(G, D, opt_d, real, torch.randn(batch, latent, generator=gen))
        z = torch.randn(batch, latent, generator=gen)
        with torch.no_grad():
            fake = G(z)
            d_real = torch.sigmoid(D(real)).mean().item()
            d_fake = torch.sigmoid(D(fake)).mean().item()
        g_loss, g_grad = generator_step(G, D, opt_g, z, loss)  # one step of min_G
        for key, value in (("d_loss", d_loss), ("g_loss", g_loss), ("g_grad", g_grad), ("mean", fake.mean().item()),
                           ("std", fake.std().item()), ("d_real", d_real), ("d_fake", d_fake)):
            toy.history.setdefault(key, []).append(value)
    G.eval(), D.eval()
    return toy
