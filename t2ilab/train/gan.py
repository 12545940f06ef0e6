"""Train a conditional GAN: k discriminator steps per generator step, from logits.

The loss variants are the lesson's: "saturating" (the minimax equation as written),
"nonsaturating" (−log D(G(z)), the usual fix) and "hinge". With `auxiliary=True` both players
also minimise an attribute cross-entropy (AC-GAN), which is what makes prompts come out right.
"""
from __future__ import annotations

import torch

from ..data import load
from ..device import device as default_device
from ..errors import T2ILabError
from ..losses import (auxiliary_classifier_loss, discriminator_loss, generator_loss_nonsaturating,
                      generator_loss_saturating, hinge_discriminator_loss, hinge_generator_loss)
from ..models.gan import ConditionalGAN
from .batches import Batches
from .ema import WeightAverage
from .loop import History, fit, remaining, start_from
from .schedules import ExponentialDecay, Progress, batch_size

LOSSES = {
    "nonsaturating": (discriminator_loss, generator_loss_nonsaturating),
    "saturating": (discriminator_loss, generator_loss_saturating),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
}


def train_gan(dataset: str = "shapes", seconds: float = 60.0, steps: int | None = None, seed: int = 0,
              loss: str = "nonsaturating", lr_g: float = 4e-3, lr_d: float = 4e-3, batch: int = 32,
              batch_end: int | None = None, k: int = 1, latent: int = 32, auxiliary: bool = True,
              projection: bool = False, spectral: bool = False, upsample: bool = False, aux_weight: float = 1.0,
              lr_final: float = 0.3, n: int = 20000, ema: float = 0.99, live=None, progress: bool = True,
              checkpoint=None, checkpoint_every: float = 30.0, init=None, started: float | None = None,
              device: torch.device | None = None, data=None) -> tuple[ConditionalGAN, History]:
    """A conditional DCGAN on `dataset`. `batch_end` grows the batch over the budget (None: fixed).

    20,000 images of shapes or scenes by default: they load in about a third of the time of 50,000,
    which in a 30 s budget on two CPU cores left the GAN 585 steps (prompt accuracy 0.73).
    `ema`: the generator kept is the moving average of its weights (0: the last step's). The
    learning rates decay to `lr_final` of their start over the budget.

    A step puts real and fake images through D in one batch, and the generator's step reuses the
    fakes (and z) of the last discriminator step, as pytorch/examples' DCGAN does: one pass of G and
    one call of D fewer than drawing everything anew. With channels-last tensors and a fused Adam
    that took a step on two CPU cores from 2,956 MFLOP and 32.4 ms to 2,658 MFLOP and 23.5 ms
    (benchmarks/results/latency.json; 27.5 ms in a run on a busier machine), and 30 s on shapes
    (nine positions, seeds 0-2, benchmarks/results/gan_options.json) from 632-814 steps and
    prompt accuracy 0.72-0.85 to 983-1,007 steps and 0.875-0.979."""
    if loss not in LOSSES:
        raise T2ILabError(f"unknown GAN loss {loss!r}: choose {', '.join(LOSSES)}")
    if k < 1:
        raise T2ILabError(f"k={k}: the discriminator needs at least 1 step per generator step")
    torch.manual_seed(seed)
    dev = device or default_device()
    data = data if data is not None else load(dataset, split="train", n=n if dataset in ("shapes", "scenes") else None,
                                                  seed=seed)
    c, s = data.images.shape[1], data.images.shape[2]
    gan = ConditionalGAN(channels=c, size=s, classes=tuple(len(v) for v in data.schema.values()), latent=latent,
                         projection=projection, auxiliary=auxiliary, spectral=spectral, upsample=upsample,
                         dataset=data.name).to(dev)  # the live view and generate() read it (a folder: its full path)
    start_from(gan, init)
    tuned = dev.type in ("cpu", "cuda")  # channels-last convolutions and one fused Adam kernel (not on MPS)
    layout = torch.channels_last if tuned else torch.contiguous_format
    gan.to(memory_format=layout)
    G, D = gan.generator, gan.discriminator
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.5, 0.999), fused=tuned or None)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=(0.5, 0.999), fused=tuned or None)
    draw = Batches((data.images * 2 - 1).contiguous(memory_format=layout), data.labels, dev, seed)  # the GAN works in [-1, 1]; made before the clock starts
    seconds = None if steps else remaining(seconds, started)  # start-up already spent comes off the budget
    progress_of_run = Progress(seconds=seconds, steps=steps)
    d_loss_fn, g_loss_fn = LOSSES[loss]
    average = WeightAverage(G, ema) if ema else None

    def step(i: int) -> dict[str, float]:
        b = batch_size(progress_of_run(i), batch, batch_end) if batch_end else batch
        G.train(); D.train()
        for j in range(k):  # k discriminator steps: max_D V(D, G)
            x, y = draw(b)
            with torch.set_grad_enabled(j == k - 1):  # the last step's fakes serve the generator's step too
                fake = G(torch.randn(b, latent, device=dev), y)
            # real and fake in one pass: D has no batch norm, so the same as two (spectral norm's
            # power iteration, when on, now runs once a pass instead of twice)
            logit, cls = D(torch.cat([x, fake.detach()]), torch.cat([y, y]))
            real_logit, fake_logit = logit[:b], logit[b:]
            d_loss = d_loss_fn(real_logit, fake_logit)
            if auxiliary:
                d_loss = d_loss + aux_weight * auxiliary_classifier_loss([c[:b] for c in cls], y)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
        fake_logit, fake_cls = D(fake, y)  # one generator step: min_G
        g_loss = g_loss_fn(fake_logit)
        if auxiliary:
            g_loss = g_loss + aux_weight * auxiliary_classifier_loss(fake_cls, y)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        if average:
            average.update(G)
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
                "d_real": torch.sigmoid(real_logit).mean().item(), "d_fake": torch.sigmoid(fake_logit).mean().item(),
                "batch": b}

    history = fit(step, modules=[gan], seconds=seconds, steps=steps,
                  schedulers=(ExponentialDecay([opt_g, opt_d], progress_of_run, lr_final),),
                  live=live, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                  desc=f"gan {dataset}", progress=progress)
    if average:
        average.copy_to(G, inputs=lambda: (torch.randn(256, latent, device=dev), draw(256)[1]))  # kept
    gan.to(memory_format=torch.contiguous_format).eval()
    return gan, history
