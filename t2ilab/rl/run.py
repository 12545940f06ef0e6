"""`t2ilab feedback`: a whole session from the command line, with a progress line per round.

Writes OUT/session.json (as it happens), OUT/adapter.safetensors (the learned taste, for
`t2ilab generate --adapter OUT`) and OUT/before_after.png (the pretrained model's samples above,
the adapter's below, same seeds). A folder that holds a session is continued (`resume`) or
started over (`force`), never silently overwritten.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..errors import T2ILabError
from .policy import PreferenceAdapter
from .raters import make_rater
from .session import FILE, FeedbackSession
from .store import save_adapter, state_from_json


def line(rec: dict, rounds: int) -> str:
    """One round as one line: the ratings, the gold utility (simulated rater), KL and prompt accuracy."""
    gold = f" (gold {rec['gold_liked_share']:.2f})" if "gold_liked_share" in rec else ""
    return (f"round {rec['round']}/{rounds}: mean rating {rec['mean_rating']:.2f}, liked {rec['liked_share']:.2f}"
            f"{gold}, KL {rec['kl']:.2f}, prompt accuracy {rec['prompt_accuracy']:.2f}, {rec['seconds']:.2f} s")


def before_after(s: FeedbackSession, n: int = 8, seed: int = 0) -> torch.Tensor:
    """[2n, C, H, W]: n samples of the pretrained sampler, then n of the learned policy, same seed."""
    start = PreferenceAdapter(s.model, hidden=s.hidden, seed=s.seed)
    state_from_json(start, s._initial)
    return torch.cat([start.images(start.sample(s.prompt, n, seed=seed)),
                      s.adapter.images(s.adapter.sample(s.prompt, n, seed=seed))])


def feedback_cli(prompt: str, model: str | None, rater: str, rounds: int, out: str | Path, rule: str = "rwl",
                 n: int = 16, seed: int = 0, resume: bool = False, force: bool = False, echo=print) -> FeedbackSession:
    """Run (or continue) a session until it has `rounds` rounds; write the adapter and the grid."""
    from ..generate import default_model, get_model, save_grid
    from ..validate import check_output_dir

    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds <= 0:
        raise T2ILabError(f"--rounds {rounds} must be a whole number of at least 1")
    if resume and force:
        raise T2ILabError("--resume continues the session in --out and --force starts it over: choose one")
    out = check_output_dir(out, "--out")
    if resume:
        s = FeedbackSession.resume(out, model=model)
        if s.prompt != prompt:
            raise T2ILabError(f"the session in {out} is for {s.prompt!r}, not {prompt!r}: give its prompt, "
                              "or another --out for a new session")
        judge = make_rater(rater, s.model.dataset, seed=seed)
    else:
        if (out / FILE).exists() and not force:
            raise T2ILabError(f"{out} already holds a session: continue it with --resume, start over with --force, "
                              "or choose another --out")
        model = model or default_model(prompt)
        judge = make_rater(rater, get_model(model, prompt).dataset, seed=seed)  # checked before any work
        s = FeedbackSession(prompt, model, rule=rule, n=n, seed=seed, path=out, force=force)
    if len(s.rounds) >= rounds:
        echo(f"t2ilab feedback: the session in {out} already has {len(s.rounds)} rounds")
    for _ in range(len(s.rounds), rounds):
        echo(line(s.round(judge), rounds))
    adapter = save_adapter(s.adapter, out, base=s.model_name)
    grid = save_grid(before_after(s, seed=seed), out / "before_after.png", force=True)  # the session's own folder
    echo(f"discounted return R = {s.discounted_return():.3f} (gamma {s.gamma}); wrote {out / FILE}, {adapter}, {grid}")
    return s
