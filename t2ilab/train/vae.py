"""Train a VAE by maximising the β-ELBO (t2ilab.losses.beta_elbo), with KL annealing."""
from __future__ import annotations

import torch

from ..data import load
from ..device import device as default_device
from ..losses import beta_elbo, beta_schedule
from ..metrics.pixel import mae, mse
from ..models.vae import ConditionalVAE
from .batches import Batches
from .loop import History, fit, remaining, start_from
from .schedules import ExponentialDecay, Progress


def train_vae(dataset: str = "shapes", seconds: float = 60.0, steps: int | None = None, seed: int = 0,
              beta: float = 2.0, latent: int = 16, lr: float = 4e-3, batch: int = 32,
              widths: tuple[int, int, int] = (16, 32, 64), body: str = "conv", hidden: int = 400,
              warmup: int = 200, conditional: bool = True, n: int = 20000, lr_final: float = 0.1,
              prior: str = "standard",
              live=None, progress: bool = True, checkpoint=None, checkpoint_every: float = 30.0, init=None,
              started: float | None = None,
              device: torch.device | None = None,
              data=None) -> tuple[ConditionalVAE, History]:
    """A (conditional) VAE on `dataset`; β is annealed from 0 over `warmup` steps.

    β = 2 by default: samples from the prior are what a prompt produces, and a KL weight above 1
    leaves less in the code z and more to the prompt's condition c. In 60 s on `shapes` (2 CPU
    cores) that took prompt accuracy from 0.89 (β = 1) to 0.99. Pass beta=1.0 for the plain ELBO.

    The defaults are the fastest to a good model on a laptop CPU (benchmarks/results/vae.json):
    half the channels of the shipped models (widths 16, 32, 64: half the time per step) with twice
    their learning rate (4e-3) reach prompt accuracy 0.97 in 900 steps on `shapes`, where
    widths (32, 64, 128) at 2e-3 gave 0.80 (6e-3 was worse: 0.45). 20,000 images load in a
    fraction of the time of 50,000 and a short run sees each only about once anyway.

    `prior="fitted"`: after training, fit each prompt's Gaussian to the codes of (up to 20,000 of)
    the training images (t2ilab.models.prior); with a small β that is what keeps samples sharp
    and right. `prior="mixture"`: ten Gaussians per prompt instead (t2ilab.models.mixture;
    fashion-vae: β = 0.1, judge accuracy 0.84-0.85 with one Gaussian, 0.87-0.89 with ten).
    """
    torch.manual_seed(seed)
    dev = device or default_device()
    data = data if data is not None else load(dataset, split="train", n=n if dataset in ("shapes", "scenes") else None,
                                                  seed=seed)
    c, s = data.images.shape[1], data.images.shape[2]
    classes = tuple(len(v) for v in data.schema.values()) if conditional else ()
    model = ConditionalVAE(channels=c, size=s, classes=classes, latent=latent, widths=widths, body=body,
                           hidden=hidden, prior=prior, dataset=data.name).to(dev)  # a folder: its full path
    model.init_output_bias(data.images)
    start_from(model, init)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    seconds = None if steps else remaining(seconds, started)  # start-up already spent comes off the budget
    progress_of_run = Progress(seconds=seconds, steps=steps)
    draw = Batches(data.images, data.labels, dev, seed)

    def step(i: int) -> dict[str, float]:
        x, y = draw(batch)
        model.train()
        logits, mu, logvar = model(x, y if conditional else None)
        b = beta_schedule(i, warmup, beta)
        out = beta_elbo(x, logits, mu, logvar, beta=b, likelihood="bernoulli")
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        opt.step()
        with torch.no_grad():
            active = (mu.var(0) > 0.01).sum().item()  # posterior-collapse monitor: active latent units
            recon = torch.sigmoid(logits)               # the reconstruction as an image, scored in pixels
            return {"loss": out.loss.item(), "reconstruction": -out.reconstruction.item(), "kl": out.kl.item(),
                    "beta": b, "active_units": active, "mse": mse(recon, x).item(), "mae": mae(recon, x).item()}

    history = fit(step, modules=[model], seconds=seconds, steps=steps,
                  schedulers=(ExponentialDecay(opt, progress_of_run, lr_final),), live=live,
                  checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                  desc=f"vae {dataset}", progress=progress)
    if prior != "standard":
        model.fit_prior(data.images[:20000], data.labels[:20000] if conditional else data.labels[:20000, :0])
    model.eval()
    return model, history
