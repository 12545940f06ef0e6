"""What each of the GAN's default options buys in a 30 s budget -> results/gan_options.json.

`train_gan` on shapes from scratch for 30 s of wall clock (data loading included, as a mark of
bench_generators.py), seeds 0, 1 and 2, each scored with `t2ilab evaluate`'s metrics (1,000
samples). The variants change one thing at a time from today's defaults (lr 4e-3 decaying to 0.3,
the generator's weight average ema 0.99), down to the defaults before them. With its mean, min
and max over the seeds: a lead counts only when one side's worst seed beats the other's best.
Run: python benchmarks/bench_gan_options.py
"""
from __future__ import annotations

import time

from common import write

from t2ilab.evaluate import evaluate
from t2ilab.train.gan import train_gan

SECONDS, SEEDS = 30, (0, 1, 2)
VARIANTS = {
    "defaults": {},
    "no weight average (ema 0)": {"ema": 0.0},
    "before: lr 2e-3 to 0.1, ema 0": {"lr_g": 2e-3, "lr_d": 2e-3, "lr_final": 0.1, "ema": 0.0},
    "no decay (lr_final 1)": {"lr_final": 1.0},
}
KEYS = ("prompt_accuracy", "heldout_accuracy", "fid", "recall")


def run(options: dict, seed: int) -> dict:
    load = float(open("/proc/loadavg").read().split()[0])
    t0 = time.perf_counter()
    model, history = train_gan("shapes", seconds=SECONDS, seed=seed, progress=False, started=t0, **options)
    scores = evaluate(model, samples=1000)
    return {**{k: round(scores[k], 4) for k in KEYS}, "steps": history.steps[-1], "load_avg_1min": load}


def spread(runs: list[dict]) -> dict:
    return {k: {"mean": round(sum(r[k] for r in runs) / len(runs), 4), "min": min(r[k] for r in runs),
                "max": max(r[k] for r in runs)} for k in KEYS}


if __name__ == "__main__":
    result = {"seconds": SECONDS, "seeds": list(SEEDS), "variants": {}}
    runs = {name: [] for name in VARIANTS}
    for seed in SEEDS:  # seeds outside, variants inside: a machine that speeds up or slows down meets every variant
        for name, options in VARIANTS.items():
            runs[name].append(run(options, seed))
            print(name, seed, runs[name][-1], flush=True)
    for name, options in VARIANTS.items():
        result["variants"][name] = {"options": options, "runs": runs[name], **spread(runs[name])}
    write("gan_options", result)
