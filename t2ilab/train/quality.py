"""How many steps a model needs on a dataset before its prompts come out right.

`t2ilab train` says in one line when a run ended far from that (lesson 02's committed output:
"411 steps: too few for shapes; about 700 steps (77 s here) give prompt accuracy 0.98", from a
run whose discriminator won), instead of saving a model that draws smudges without a word. The table holds steps, not seconds, so it does not depend on the machine; the
seconds are estimated from the run's own speed.
"""
from __future__ import annotations

# (kind, dataset) -> (steps, prompt accuracy they gave), from scratch with `t2ilab train`'s default
# settings, seed 0, 1000 samples read by the shipped judge: the `by_steps` budgets of
# benchmarks/bench_generators.py in benchmarks/results/vae.json and gan.json. VAE, 2026-12-02: 900
# steps 0.938 seen / 0.939 held-out (one thread, under load) and 0.934 / 0.931 (two threads, quiet).
# GAN, 2026-12-04, with the weight average and lr 4e-3 decaying to 0.3: 700 steps 0.980 / 0.926,
# 1000 steps 0.995 / 0.983 (quiet). One run each, so no spread is known.
STEPS_TO_QUALITY: dict[tuple[str, str], tuple[int, float]] = {
    ("vae", "shapes"): (900, 0.94),
    ("gan", "shapes"): (700, 0.98),
}
# Under the table's steps a model is still well short of it: a shapes VAE of 626 steps (`t2ilab train
# vae --seconds 20`, quiet machine) read 0.38 prompt accuracy. Under FAR of them the line says "far".
FAR = 0.5


def far_from_quality(kind: str, dataset: str, steps: int, seconds: float) -> str | None:
    """One line when `steps` (taken in `seconds` of training) are fewer than `dataset` needs, else None."""
    known = STEPS_TO_QUALITY.get((kind, dataset))
    if known is None or steps >= known[0]:
        return None
    needed, accuracy = known
    how = "far too few" if steps < FAR * needed else "too few"
    here = f" ({needed * seconds / steps:,.0f} s here)" if steps > 0 and seconds > 0 else ""
    return (f"{steps:,} steps: {how} for {dataset}; about {needed:,} steps{here} give prompt "
            f"accuracy {accuracy:g} (train longer: --seconds or --steps)")
