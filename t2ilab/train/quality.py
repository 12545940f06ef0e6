"""How many steps a model needs on a dataset before its prompts come out right.

`t2ilab train` says in one line when a run ended far from that ("24 steps: far too few for
shapes; about 900 steps (13 s here) give 0.95"), instead of saving a model that draws smudges
without a word. The table holds steps, not seconds, so it does not depend on the machine; the
seconds are estimated from the run's own speed.
"""
from __future__ import annotations

# (kind, dataset) -> (steps, prompt accuracy they give), from scratch with `t2ilab train`'s
# default settings, seed 0. Measured by benchmarks/bench_generators.py: the first of its time
# marks (5/10/15/30/60 s) at which seen and held-out prompt accuracy were both >= 0.95, in
# benchmarks/results/vae.json and gan.json ("shapes" -> mark -> "steps").
STEPS_TO_QUALITY: dict[tuple[str, str], tuple[int, float]] = {
    ("vae", "shapes"): (900, 0.95),
    ("gan", "shapes"): (1000, 0.95),
}
FAR = 0.5  # a run that took fewer than this fraction of the steps is "far from quality"


def far_from_quality(kind: str, dataset: str, steps: int, seconds: float) -> str | None:
    """One line when `steps` (taken in `seconds` of training) are far too few for `dataset`, else None."""
    known = STEPS_TO_QUALITY.get((kind, dataset))
    if known is None or steps >= FAR * known[0]:
        return None
    needed, accuracy = known
    here = f" ({needed * seconds / steps:,.0f} s here)" if steps > 0 and seconds > 0 else ""
    return (f"{steps:,} steps: far too few for {dataset}; about {needed:,} steps{here} give prompt "
            f"accuracy {accuracy:g} (train longer: --seconds or --steps)")
