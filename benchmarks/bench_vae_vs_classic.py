"""t2ilab's Fashion-MNIST VAE against the classic PyTorch-examples VAE, at equal wall-clock marks.

The peer is the MLP VAE of pytorch/examples (784-400-20, BCE + KL, Adam 1e-3, batch 128). Both
are trained in this same run, from scratch, once per time mark and seed (seeds 0, 1, 2), and scored
on the 10,000 test images in nats per image (BCE summed over pixels + KL, one z sample) ->
results/vae_vs_classic.json, with each side's mean, min and max over the seeds. "Lower" at a mark
means t2ilab's worst seed is below the classic VAE's best: ahead by more than the spread.

t2ilab's side is `train_vae` with the unconditional MLP body of the same size (400 hidden, 20-d
code) and the course's training recipe: Adam at 5e-3 decayed tenfold over the budget, the output
bias started at the mean image, plain ELBO (β = 1, no warm-up). The convolutional body learns more
per step but takes 2-3x fewer steps per second on 2 cores; `--conv` measures it too (seed 0).
Each mark records the load average before it: a shared machine makes both sides slower, unevenly.
Run: python benchmarks/bench_vae_vs_classic.py [--conv]
"""
from __future__ import annotations

import sys
import time

import torch
from common import write
from torch import nn
from torch.nn import functional as F

from t2ilab.data import load
from t2ilab.losses import beta_elbo
from t2ilab.train.vae import train_vae

MARKS = (5, 10, 20, 40)
SEEDS = (0, 1, 2)
OURS = dict(conditional=False, body="mlp", hidden=400, latent=20, lr=5e-3, batch=128, beta=1.0, warmup=0)
CONV = dict(conditional=False, body="conv", widths=(32, 64, 128), latent=20, lr=2e-3, batch=32, beta=1.0, warmup=0)


class ClassicVAE(nn.Module):
    """pytorch/examples/vae/main.py, unchanged in substance."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.fc4(F.relu(self.fc3(z))).view_as(x), mu, logvar  # logits


def train_classic(images: torch.Tensor, seconds: float, seed: int = 0) -> ClassicVAE:
    torch.manual_seed(seed)
    model = ClassicVAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for idx in torch.randperm(len(images)).split(128):  # epochs of shuffled batches of 128
            logits, mu, logvar = model(images[idx])
            loss = beta_elbo(images[idx], logits, mu, logvar).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            if time.perf_counter() - start >= seconds:
                break
    return model


@torch.no_grad()
def test_loss(model: nn.Module, images: torch.Tensor, conditional_labels=None) -> float:
    """Mean negative ELBO (nats per image) over the test set."""
    torch.manual_seed(123)
    model.eval()
    total = 0.0
    for i in range(0, len(images), 1000):
        x = images[i:i + 1000]
        logits, mu, logvar = model(x)
        total += beta_elbo(x, logits, mu, logvar).loss.item() * len(x)
    return total / len(images)


def spread(values: list[float]) -> dict:
    return {"mean": round(sum(values) / len(values), 2), "min": round(min(values), 2), "max": round(max(values), 2),
            "seeds": [round(v, 2) for v in values]}


if __name__ == "__main__":
    train_set, test_set = load("fashion", split="train"), load("fashion", split="test")
    result = {}
    for mark in MARKS:
        ours, classic, loads = [], [], []
        for seed in SEEDS:
            loads.append(float(open("/proc/loadavg").read().split()[0]))
            model = train_classic(train_set.images, mark, seed=seed)
            classic.append(test_loss(model, test_set.images))
            model, _ = train_vae("fashion", seconds=mark, seed=seed, **OURS, data=train_set, progress=False,
                                 device=torch.device("cpu"))
            ours.append(test_loss(model, test_set.images))
        result[str(mark)] = {"t2ilab_test_loss": spread(ours), "classic_test_loss": spread(classic),
                             "t2ilab_lower_by_more_than_spread": max(ours) < min(classic), "load_avg_1min": loads}
        if "--conv" in sys.argv:
            model, _ = train_vae("fashion", seconds=mark, **CONV, data=train_set, progress=False,
                                 device=torch.device("cpu"))
            result[str(mark)]["t2ilab_conv_test_loss_seed0"] = round(test_loss(model, test_set.images), 2)
        print(mark, result[str(mark)], flush=True)
    result["t2ilab_lower_at_every_mark"] = all(r["t2ilab_lower_by_more_than_spread"] for r in result.values())
    result["seeds"], result["t2ilab"], result["t2ilab_conv"] = list(SEEDS), OURS, CONV
    write("vae_vs_classic", result)
