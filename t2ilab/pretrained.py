"""`make pretrained`: train the shipped models and record each in the manifest with its command.

    python -m t2ilab.pretrained                 # everything
    python -m t2ilab.pretrained shapes-vae      # one model

Judges come first: the generators are evaluated with them.
"""
from __future__ import annotations

import sys

from . import hub
from .errors import T2ILabError
from .train.run import train

# name -> (kind, dataset, steps, extra options). Step budgets (not seconds) make the files
# reproducible whatever else the machine is doing; on 2 CPU cores each takes 0.5 to 3 minutes.
_SHIPPED_VAE = {"widths": (32, 64, 128), "lr": 2e-3}
SHIPPED: dict[str, tuple[str, str, int, dict]] = {
    "shapes-judge": ("judge", "shapes", 600, {}),
    "scenes-judge": ("judge", "scenes", 600, {}),
    "fashion-judge": ("judge", "fashion", 3000, {"batch": 64}),
    # the VAEs were shipped before the defaults became widths (16, 32, 64), lr 4e-3, 20,000 images
    # (faster for a lesson's short run): their recipes keep the settings that made the files
    "shapes-vae": ("vae", "shapes", 4000, {"batch": 64, **_SHIPPED_VAE, "n": 50000}),
    # scenes with one object or two: 2500 steps (enough for one object) gave 0.934 seen / 0.913 held
    # out, FID 59.8; 6000 steps 1.00 / 1.00, FID 23.5 (`t2ilab evaluate`, 1,000 samples, seed 0)
    "scenes-vae": ("vae", "scenes", 6000, {"batch": 64, **_SHIPPED_VAE, "n": 50000}),
    # β = 0.1 and a fitted prior: with β = 2 and N(0, I) samples were blurry (judge accuracy 0.756,
    # recall 0.255); a small β keeps detail in z, and a prior fitted to the codes of each garment's
    # real images keeps the samples where the decoder draws that garment. One Gaussian per garment
    # (t2ilab.models.prior) gave judge accuracy 0.838-0.850 over evaluation seeds 0-2, FID 65-84;
    # ten (t2ilab.models.mixture) 0.875-0.888, FID 57-69, recall about the same (0.54-0.56)
    "fashion-vae": ("vae", "fashion", 10000, {"batch": 64, **_SHIPPED_VAE, "beta": 0.1, "prior": "mixture"}),
    # made when the GAN's default was 50,000 images (now 20,000: a short run loads them in a third of the time)
    # and before the weight average (ema 0.99) and a decay to 0.3 (lr_final) were the defaults, and with
    # the GAN step before the one-pass step (not made again since)
    "shapes-gan": ("gan", "shapes", 3000, {"batch": 64, "batch_end": 256, "lr_g": 1e-3, "lr_d": 1e-3, "n": 50000,
                                           "ema": 0.0, "lr_final": 0.1}),
    # a projection discriminator with the hinge loss and spectral norm (Miyato & Koyama 2018). Each
    # tried once, seed 0, scored by `t2ilab evaluate` (1,000 samples): with the auxiliary classifier
    # every sample of a prompt was the same picture (2000 steps of the defaults, and 3000 with
    # shapes-gan's options: recall 0.002); this recipe at 2000 steps: recall 0.52, FID 34.3; at 4000:
    # recall 0.30, FID 33.9 (scenes of one object). With one object or two, 2000 steps: 0.999 seen,
    # 1.00 held out, FID 30.5, recall 0.80. The shipped file was made (seed 0) with the GAN step before
    # it put real and fake through D in one batch, and it is kept. train('gan', 'scenes', steps=2000,
    # seed=s, **these options), then `t2ilab evaluate` (1,000 samples): seeds 1 and 2 of that step gave
    # 0.962-0.964 / 0.998-1.00, FID 44.5-44.7, recall 0.55-0.72 (82-83 s of training here), and
    # today's step seeds 0-2 0.963-0.979 / 0.963-1.00, FID 37.8-42.3, recall 0.56-0.75 (60-65 s):
    # within each other's spread, and seed 0 of the old step the best of the six
    "scenes-gan": ("gan", "scenes", 2000, {"auxiliary": False, "projection": True, "loss": "hinge", "spectral": True}),
    # upsample: nearest-neighbour enlargement + convolution, no transposed convolutions (whose
    # checkerboard showed inside the garments of a 2000-step model: recall 0.44, FID 68.5); with the
    # scenes-gan discriminator (projection, hinge, spectral norm) and the defaults (lr 4e-3, weight
    # average 0.99), 4000 steps: FID 33.2, recall 0.59, judge accuracy 0.92, which is what the judge
    # gives real test images (0.91: it reads shirts at 0.70); made again with the one-pass GAN step
    # (t2ilab/train/gan.py; 131 s here): FID 30.5, recall 0.62, judge accuracy 0.906, the file
    # shipped. The auxiliary classifier before it (lr 1e-3, no average) scored 0.99 with FID 64.5 and
    # recall 0.63: garments easier to read than real ones, and less like them (`t2ilab evaluate`,
    # 1,000 samples, seed 0)
    "fashion-gan": ("gan", "fashion", 4000, {"upsample": True, "auxiliary": False, "projection": True,
                                             "loss": "hinge", "spectral": True}),
}


def make(name: str, seed: int = 0) -> dict:
    """Train one shipped model from scratch and register it; returns its manifest entry."""
    if name not in SHIPPED:
        raise T2ILabError(f"unknown shipped model {name!r}: choose from {', '.join(SHIPPED)}")
    kind, dataset, steps, options = SHIPPED[name]
    command = f"python -m t2ilab.pretrained {name}  # train('{kind}', '{dataset}', steps={steps}, seed={seed}, **{options})"
    model, history = train(kind, dataset, steps=steps, seed=seed, **options)
    path = hub.WEIGHTS / f"{name}.safetensors"
    hub.save(model.cpu(), path, extra={"command": command})
    return hub.register(name, path, command)


def main(names: list[str]) -> int:
    """Make the named shipped models (all of them by default); a mistake is one line and exit code 2."""
    unknown = [n for n in names if n not in SHIPPED]
    if unknown:
        print(f"t2ilab.pretrained: unknown shipped model {unknown[0]!r}: choose from {', '.join(SHIPPED)}",
              file=sys.stderr)
        return 2
    try:
        for name in names or list(SHIPPED):
            entry = make(name)
            print(f"{name}: {entry['bytes'] / 1e6:.1f} MB, sha256 {entry['sha256'][:12]}…")
    except T2ILabError as e:
        print(f"t2ilab.pretrained: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
