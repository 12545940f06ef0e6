"""How many steps a model needs on a dataset before its prompts come out right.

`t2ilab train` says in one line when a run ended far from that (lesson 02's committed output:
"356 steps: far too few for shapes; about 1,000 steps (127 s here) give prompt accuracy 0.98", from a
run whose discriminator won), instead of saving a model that draws smudges without a word. The table holds steps, not seconds, so it does not depend on the machine; the
seconds are estimated from the run's own speed.
"""
from __future__ import annotations

# (kind, dataset) -> (steps, prompt accuracy they gave), from scratch with `t2ilab train`'s default
# settings, seed 0, 1000 samples read by the shipped judge: the `by_steps` budgets of
# benchmarks/bench_generators.py in benchmarks/results/vae.json and gan.json, on shapes with nine
# positions (the corners added, 432 combinations), 2026-12-04, quiet: VAE 1000 steps 0.695 seen /
# 0.654 held-out, 1500 steps 0.981 / 0.986; GAN (weight average, lr 4e-3 decaying to 0.3) 700 steps
# 0.769 / 0.907, 1000 steps 0.987 / 0.961; with the one-pass GAN step (2026-12-08) 700 steps
# 0.833 / 0.856, 1000 steps 0.962 / 0.992. One run each, so no spread is known.
STEPS_TO_QUALITY: dict[tuple[str, str], tuple[int, float]] = {
    ("vae", "shapes"): (1500, 0.98),
    ("gan", "shapes"): (1000, 0.96),
}
# Under the table's steps a model is still well short of it: a shapes VAE of 1000 steps read 0.70
# prompt accuracy, a GAN of 700 steps 0.83. Under FAR of them the line says "far".
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
