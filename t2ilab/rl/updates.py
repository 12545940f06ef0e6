r"""The update rules, side by side: how the adapter changes after a round of ratings.

- `reinforce`: REINFORCE with a baseline and the closed-form KL to the pretrained sampler
  (DPOK's objective), $\min_\theta -\mathbb{E}[(G - b)\log\pi_\theta] + \lambda\,\mathrm{KL}(\pi_\theta\|\pi_\mathrm{ref})$;
  each candidate is a two-step episode (open attributes, then z), credited with returns-to-go.
- `rwl`: reward-weighted likelihood on every rated sample so far (Lee et al. 2023), plus the KL.
- `dpo`: DPO on pairs (winner rated above loser); log pi / pi_ref is exact for this policy.
- `best-of-n`: no training: the session shows the best of several pretrained samples by the
  reward model. The baseline every rule must beat.

Rewards are in [0, 1] (a score s of 1..5 becomes (s - 1) / 4). Each update is plain gradient
descent (`steps` steps of size `lr`), from scratch every round: nothing but the weights carries
over, so a saved session resumes exactly.
"""
from __future__ import annotations

import torch

from ..errors import T2ILabError
from ..losses import dpo_loss, reinforce_to_go_loss, reward_weighted_loss
from ..losses.checks import values
from .policy import Draw, PreferenceAdapter

RULES = ("reinforce", "rwl", "dpo", "best-of-n")
DEFAULTS = {  # tuned with benchmarks/bench_rl.py (shapes, 10 rounds of 16)
    "reinforce": dict(kl_weight=0.05, steps=4, lr=0.3),
    "rwl": dict(kl_weight=0.05, steps=10, lr=1.0),
    "dpo": dict(kl_weight=2.0, steps=10, lr=1.0),
    "best-of-n": dict(kl_weight=0.0, steps=0, lr=0.0),
}


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise T2ILabError(f"unknown update rule {rule!r}: use one of {', '.join(RULES)}")
    return rule


def pairs_from(rewards: torch.Tensor) -> torch.Tensor:
    """[P, 2] (winner, loser) indices: every pair whose rewards differ."""
    w, lo = torch.nonzero(rewards[:, None] > rewards[None, :], as_tuple=True)
    return torch.stack([w, lo], 1)


def update(adapter: PreferenceAdapter, rule: str, draw: Draw, rewards, prompt, *, kl_weight: float | None = None,
           steps: int | None = None, lr: float | None = None, gamma: float = 1.0, temperature: float = 1.0,
           pairs: torch.Tensor | None = None, clip: float = 1.0) -> dict:
    """Change the adapter from rated samples; returns the logged numbers (loss, kl).

    `draw`/`rewards`: the samples and their rewards in [0, 1] (this round's for reinforce, every
    round's for rwl and dpo); `pairs` [P, 2] (winner, loser) for dpo, else every pair whose
    rewards differ; `temperature`: the one the samples were drawn at (reinforce); `clip`: the
    largest gradient norm of a step.
    """
    check_rule(rule)
    d = DEFAULTS[rule]
    kl_weight = d["kl_weight"] if kl_weight is None else float(kl_weight)
    steps = d["steps"] if steps is None else int(steps)
    lr = d["lr"] if lr is None else float(lr)
    r = values("rewards", rewards).float().flatten()
    if len(r) != len(draw.z):
        raise T2ILabError(f"{len(r)} rewards for {len(draw.z)} samples: rate every candidate once")
    if rule == "best-of-n" or steps == 0:
        with torch.no_grad():
            return {"loss": 0.0, "kl": float(adapter.kl(prompt))}
    if rule == "dpo":
        pairs = pairs_from(r) if pairs is None else torch.as_tensor(pairs, dtype=torch.long).reshape(-1, 2)
        if len(pairs) == 0:  # every sample rated the same: nothing to prefer
            with torch.no_grad():
                return {"loss": 0.0, "kl": float(adapter.kl(prompt))}
        ref = adapter.ref_log_prob(draw, prompt)
    before = {k: v.clone() for k, v in adapter.state_dict().items()}
    opt = torch.optim.SGD(adapter.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        kl = adapter.kl(prompt)
        if rule == "reinforce":  # two-step episodes: reward 0 after the attributes, r after z
            step_rewards = torch.stack([torch.zeros_like(r), r], 1)
            loss = reinforce_to_go_loss(adapter.log_prob_steps(draw, prompt, temperature), step_rewards, gamma)
            loss = loss + kl_weight * kl
        elif rule == "rwl":
            loss = reward_weighted_loss(adapter.log_prob(draw, prompt), r + 1e-3) + kl_weight * kl
        else:  # dpo: the KL lives in beta
            lp = adapter.log_prob(draw, prompt)
            w, lo = pairs[:, 0], pairs[:, 1]
            loss = dpo_loss(lp[w], lp[lo], ref[w], ref[lo], beta=kl_weight)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(adapter.parameters(), clip)  # a noisy round cannot throw the policy far
        opt.step()
    with torch.no_grad():
        if not all(bool(torch.isfinite(v).all()) for v in adapter.state_dict().values()):
            adapter.load_state_dict(before)  # keep the last good policy
            raise T2ILabError(f"the {rule} update diverged (lr {lr} too high for these rewards): lower lr")
        return {"loss": float(loss), "kl": float(adapter.kl(prompt))}
