"""Reinforcement-learning losses (lesson 04_feedback): returns, REINFORCE, KL to a reference
model, the Bradley-Terry loss that turns pairwise preferences into a reward model, and the
update rules of `t2ilab.rl`: REINFORCE with returns-to-go, reward-weighted likelihood, DPO and
the closed-form categorical KL.

Time runs along the last dimension: rewards are a list, a [T] tensor (one episode) or a
[B, T] tensor (B episodes of T steps). Everything else is one number per sampled action, [N].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from t2ilab.errors import T2ILabError
from t2ilab.losses.checks import as_number, like, values

__all__ = [
    "RLHFResult",
    "discounted_return",
    "returns_to_go",
    "reinforce_loss",
    "kl_penalty",
    "rlhf_objective",
    "bradley_terry_probability",
    "bradley_terry_loss",
    "reinforce_to_go_loss",
    "reward_weighted_loss",
    "dpo_loss",
    "categorical_kl",
]


def _rewards_over_time(rewards: Tensor | Sequence[float]) -> Tensor:
    r = values("rewards", rewards)
    if r.ndim not in (1, 2):
        raise T2ILabError(
            f"rewards must be a list, a [T] tensor or a [B, T] tensor (time last), got shape {tuple(r.shape)}"
        )
    return r


def _check_gamma(gamma: float) -> float:
    gamma = as_number("gamma", gamma)
    if not 0.0 <= gamma <= 1.0:
        raise T2ILabError(f"gamma is a discount factor and must be in [0, 1], got {gamma}")
    return gamma


def discounted_return(rewards: Tensor | Sequence[float], gamma: float) -> Tensor:
    r"""The discounted return of an episode: later rewards count less.

    $$ R = \sum_{t=1}^{T} \gamma^{t-1} r_t $$

    where $r_t$ is the reward at step $t$ (`rewards`, time along the last dimension), $T$ the
    number of steps and $\gamma \in [0, 1]$ the discount factor (`gamma`). Returns a 0-d
    tensor for one episode, [B] for a [B, T] batch. Example: r = [1, 1, 1], gamma = 0.5 gives
    1 + 0.5 + 0.25 = 1.75.
    """
    r = _rewards_over_time(rewards)
    gamma = _check_gamma(gamma)
    steps = torch.arange(r.shape[-1], dtype=r.dtype, device=r.device)  # t - 1 = 0, 1, ..., T-1
    discounts = torch.full_like(steps, gamma).pow(steps)  # gamma^(t-1)
    return (discounts * r).sum(dim=-1)  # sum_t gamma^(t-1) r_t


def returns_to_go(rewards: Tensor | Sequence[float], gamma: float) -> Tensor:
    r"""The return from every step on: what each action still earns.

    $$ G_t = \sum_{k=t}^{T} \gamma^{k-t} r_k = r_t + \gamma\, G_{t+1}, \qquad G_{T+1} = 0 $$

    where $r_k$ is the reward at step $k$ (`rewards`, time along the last dimension), $T$ the
    number of steps and $\gamma \in [0, 1]$ the discount (`gamma`). Same shape as `rewards`;
    $G_1$ is the `discounted_return`.
    """
    r = _rewards_over_time(rewards)
    gamma = _check_gamma(gamma)
    g = torch.empty_like(r)
    running = torch.zeros_like(r[..., 0])  # G_{T+1} = 0
    for t in range(r.shape[-1] - 1, -1, -1):  # backwards in time
        running = r[..., t] + gamma * running  # G_t = r_t + gamma G_{t+1}
        g[..., t] = running
    return g


def reinforce_loss(
    log_probs: Tensor,
    rewards: Tensor | Sequence[float],
    baseline: Tensor | float | str | None = None,
) -> Tensor:
    r"""The REINFORCE (score-function) surrogate loss; its gradient is minus the policy gradient.

    $$ L(\theta) = -\frac{1}{N} \sum_{i=1}^{N} \big(R_i - b\big) \log \pi_\theta(a_i), \qquad \nabla_\theta L = -\widehat{\nabla_\theta \mathbb{E}_{a \sim \pi_\theta}[R(a)]} $$

    where $a_i$ are the $N$ actions sampled from the policy $\pi_\theta$ (here: latent codes
    whose images were rated), $\log \pi_\theta(a_i)$ their log-probabilities (`log_probs`, with
    gradient), $R_i$ their returns (`rewards`, treated as constants) and $b$ a baseline
    (`baseline`: a number, a tensor per action, `"mean"` for the batch mean, or None for 0).
    A baseline does not change the expected gradient but lowers its variance; actions with
    $R_i > b$ get their probability raised, those below lowered.
    """
    log_probs = values("log_probs", log_probs)
    rewards = like("rewards", rewards, "log_probs", log_probs).detach()
    if baseline is None:
        b = torch.zeros((), dtype=rewards.dtype, device=rewards.device)  # b = 0
    elif isinstance(baseline, str):
        if baseline != "mean":
            raise T2ILabError(f"baseline must be a number, a tensor, 'mean' or None, got {baseline!r}")
        b = rewards.mean()  # b = mean reward of the batch
    else:
        b = torch.as_tensor(baseline, dtype=rewards.dtype, device=rewards.device).detach()
        if b.ndim != 0 and b.shape != rewards.shape:
            raise T2ILabError(
                f"baseline has shape {tuple(b.shape)}; pass one number or one value per action {tuple(rewards.shape)}"
            )
    advantage = rewards - b  # R_i - b (no gradient)
    return -(advantage * log_probs).mean()  # -1/N sum_i (R_i - b) log pi(a_i)


def kl_penalty(logp_policy: Tensor, logp_ref: Tensor, estimator: str = "k1") -> Tensor:
    r"""Monte-Carlo estimate of KL(pi || pi_ref) from actions sampled from the policy pi.

    $$ \mathrm{KL}(\pi \,\|\, \pi_\mathrm{ref}) = \mathbb{E}_{a \sim \pi}\big[\log \pi(a) - \log \pi_\mathrm{ref}(a)\big] \approx \frac{1}{N} \sum_{i=1}^{N} \big(\log \pi(a_i) - \log \pi_\mathrm{ref}(a_i)\big) $$

    where $a_i \sim \pi$ are $N$ sampled actions, $\log \pi(a_i)$ their log-probabilities under
    the policy being trained (`logp_policy`) and $\log \pi_\mathrm{ref}(a_i)$ under the frozen
    pretrained model (`logp_ref`). `estimator="k1"` is this plain average (unbiased, single
    terms may be negative); `"k3"` averages $(\rho - 1) - \log\rho$ with
    $\rho = \pi_\mathrm{ref}(a)/\pi(a)$: also unbiased, and every term is $\ge 0$.
    """
    logp_policy = values("logp_policy", logp_policy)
    logp_ref = like("logp_ref", logp_ref, "logp_policy", logp_policy)
    log_ratio = logp_policy - logp_ref  # log pi(a) - log pi_ref(a)
    if estimator == "k1":
        return log_ratio.mean()  # 1/N sum_i (log pi - log pi_ref)
    if estimator == "k3":
        return (torch.expm1(-log_ratio) + log_ratio).mean()  # (rho - 1) - log rho, rho = pi_ref / pi
    raise T2ILabError(f"estimator must be 'k1' or 'k3', got {estimator!r}")


class RLHFResult(NamedTuple):
    """What `rlhf_objective` returns: the loss to minimise and the numbers to plot."""

    loss: Tensor  # surrogate: its gradient is -grad J
    objective: Tensor  # J = E[R] - lambda KL (no gradient)
    reward: Tensor  # E[R] (no gradient)
    kl: Tensor  # KL(pi || pi_ref), k1 estimate (no gradient)


def rlhf_objective(
    log_probs: Tensor,
    rewards: Tensor | Sequence[float],
    logp_ref: Tensor,
    kl_coef: float = 0.1,
    baseline: Tensor | float | str | None = None,
) -> RLHFResult:
    r"""Reinforcement learning from human feedback: maximise reward, stay near the pretrained model.

    $$ J(\theta) = \mathbb{E}_{a \sim \pi_\theta}\big[R(a)\big] - \lambda\, \mathrm{KL}\big(\pi_\theta \,\|\, \pi_\mathrm{ref}\big) $$

    where $a$ are the sampled actions (latent codes), $\log\pi_\theta(a)$ their log-probabilities
    under the policy (`log_probs`, with gradient), $R(a)$ their rewards from the raters or the
    reward model (`rewards`), $\log\pi_\mathrm{ref}(a)$ under the frozen pretrained model
    (`logp_ref`) and $\lambda \ge 0$ the KL weight (`kl_coef`). The gradient is the
    score-function one, $\nabla J = \mathbb{E}\big[(R - \lambda(\log\pi_\theta - \log\pi_\mathrm{ref}))\nabla\log\pi_\theta\big]$,
    so `.loss` is `reinforce_loss` on the KL-shaped reward; `.objective` is the value of J.
    """
    kl_coef = as_number("kl_coef", kl_coef)
    if not kl_coef >= 0:
        raise T2ILabError(f"kl_coef must be >= 0 (it weighs the KL penalty), got {kl_coef}")
    log_probs = values("log_probs", log_probs)
    rewards = like("rewards", rewards, "log_probs", log_probs).detach()
    logp_ref = like("logp_ref", logp_ref, "log_probs", log_probs).detach()
    log_ratio = (log_probs - logp_ref).detach()  # log pi(a) - log pi_ref(a), per action
    shaped = rewards - kl_coef * log_ratio  # R(a) - lambda (log pi - log pi_ref)
    loss = reinforce_loss(log_probs, shaped, baseline)  # -1/N sum (shaped - b) log pi
    reward = rewards.mean()  # E[R]
    kl = log_ratio.mean()  # KL(pi || pi_ref), k1 estimate
    return RLHFResult(loss=loss, objective=reward - kl_coef * kl, reward=reward, kl=kl)  # J = E[R] - lambda KL


def bradley_terry_probability(score_a: Tensor, score_b: Tensor) -> Tensor:
    r"""The Bradley-Terry model: the chance a rater prefers image a to image b.

    $$ P(a \succ b) = \sigma(s_a - s_b) = \frac{e^{s_a}}{e^{s_a} + e^{s_b}} $$

    where $s_a$ and $s_b$ are the reward model's scores of the two images (`score_a`,
    `score_b`) and $\sigma$ the logistic sigmoid. Equal scores give 1/2.
    """
    score_a = values("score_a", score_a)
    score_b = like("score_b", score_b, "score_a", score_a)
    return torch.sigmoid(score_a - score_b)  # sigma(s_a - s_b)


def bradley_terry_loss(score_a: Tensor, score_b: Tensor, prefer_a: Tensor | Sequence[bool]) -> Tensor:
    r"""Negative log-likelihood of the rater's choices under Bradley-Terry: trains a reward model.

    $$ L = -\frac{1}{N} \sum_{i=1}^{N} \log \sigma\big(s_{w,i} - s_{l,i}\big) $$

    where for pair $i$ of $N$, $s_{w,i}$ is the score of the image the rater preferred (the
    winner) and $s_{l,i}$ of the other (the loser): $s_w = s_a$ where `prefer_a` is True, else
    $s_b$. Equal scores give $\log 2$.
    """
    score_a = values("score_a", score_a)
    score_b = like("score_b", score_b, "score_a", score_a)
    if prefer_a is None or isinstance(prefer_a, (str, bytes)):
        raise T2ILabError("prefer_a must be booleans (True where the rater preferred image a); use a bool tensor")
    prefer = torch.as_tensor(prefer_a, device=score_a.device)
    if prefer.dtype != torch.bool:
        if prefer.is_floating_point() or not bool(((prefer == 0) | (prefer == 1)).all()):
            raise T2ILabError("prefer_a must be booleans (True where the rater preferred image a); use a bool tensor")
        prefer = prefer.bool()
    if prefer.shape != score_a.shape:
        raise T2ILabError(
            f"prefer_a has shape {tuple(prefer.shape)} but the scores have {tuple(score_a.shape)}; pass one choice per pair"
        )
    s_w = torch.where(prefer, score_a, score_b)  # winner's score s_w
    s_l = torch.where(prefer, score_b, score_a)  # loser's score s_l
    return -F.logsigmoid(s_w - s_l).mean()  # -E[log sigma(s_w - s_l)]


def reinforce_to_go_loss(
    log_probs: Tensor,
    rewards: Tensor | Sequence[float],
    gamma: float = 1.0,
    baseline: str | None = "mean",
) -> Tensor:
    r"""REINFORCE for episodes of several steps: each action is credited with the return after it.

    $$ L(\theta) = -\frac{1}{N} \sum_{i=1}^{N} \sum_{t=1}^{T} \big(G_{i,t} - b_t\big) \log \pi_\theta(a_{i,t}), \qquad G_{i,t} = \sum_{k=t}^{T} \gamma^{k-t} r_{i,k} $$

    where $a_{i,t}$ is the action of episode $i$ at step $t$ ($N$ episodes of $T$ steps),
    $\log \pi_\theta(a_{i,t})$ its log-probability (`log_probs`, [N, T], with gradient),
    $r_{i,k}$ the reward after step $k$ (`rewards`, [N, T], constants), $G_{i,t}$ the
    return-to-go (`returns_to_go`), $\gamma$ the discount (`gamma`) and $b_t$ the baseline
    (`baseline="mean"`: the mean of $G_{\cdot,t}$ over the episodes; None: 0). An action is
    never blamed for rewards that came before it. In `t2ilab.rl` a candidate image is a
    two-step episode: choose the open attributes, then the style z; the rating comes last.
    """
    log_probs = values("log_probs", log_probs)
    rewards = like("rewards", rewards, "log_probs", log_probs).detach()
    if log_probs.ndim != 2:
        raise T2ILabError(f"log_probs must be [N episodes, T steps], got shape {tuple(log_probs.shape)}")
    g = returns_to_go(rewards, gamma)  # G_{i,t}
    if baseline == "mean":
        g = g - g.mean(dim=0, keepdim=True)  # G - b_t
    elif baseline is not None:
        raise T2ILabError(f"baseline must be 'mean' or None, got {baseline!r}")
    return -(g * log_probs).sum(dim=1).mean()  # -1/N sum_i sum_t (G - b) log pi


def reward_weighted_loss(log_probs: Tensor, weights: Tensor | Sequence[float]) -> Tensor:
    r"""Reward-weighted likelihood (Lee et al. 2023): imitate the rated samples, the better ones more.

    $$ L(\theta) = -\frac{\sum_{i=1}^{N} w_i \log \pi_\theta(a_i)}{\sum_{i=1}^{N} w_i} $$

    where $a_i$ are the $N$ rated samples, $\log \pi_\theta(a_i)$ their log-probabilities under
    the policy (`log_probs`, with gradient) and $w_i \ge 0$ their rewards (`weights`,
    constants). Minimising it is maximum likelihood on the samples weighted by how much the
    rater liked them; dividing by $\sum_i w_i$ makes the scale of the rewards irrelevant.
    """
    log_probs = values("log_probs", log_probs)
    w = like("weights", weights, "log_probs", log_probs).detach()
    if bool((w < 0).any()) or not float(w.sum()) > 0:
        raise T2ILabError("weights must be >= 0 with a positive sum; shift the rewards (e.g. score - 1)")
    return -(w * log_probs).sum() / w.sum()  # -sum_i w_i log pi(a_i) / sum_i w_i


def dpo_loss(
    logp_w: Tensor, logp_l: Tensor, ref_w: Tensor, ref_l: Tensor, beta: float = 0.1
) -> Tensor:
    r"""Direct preference optimisation (Rafailov et al. 2023): learn from pairs, no reward model.

    $$ L(\theta) = -\frac{1}{N} \sum_{i=1}^{N} \log \sigma\Big(\beta \Big[\log \frac{\pi_\theta(a_{w,i})}{\pi_\mathrm{ref}(a_{w,i})} - \log \frac{\pi_\theta(a_{l,i})}{\pi_\mathrm{ref}(a_{l,i})}\Big]\Big) $$

    where for pair $i$ of $N$, $a_{w,i}$ is the sample the rater preferred and $a_{l,i}$ the
    other, $\log\pi_\theta$ their log-probabilities under the policy (`logp_w`, `logp_l`, with
    gradient), $\log\pi_\mathrm{ref}$ under the pretrained model (`ref_w`, `ref_l`), $\sigma$
    the logistic sigmoid and $\beta > 0$ (`beta`) the strength of the implicit KL penalty. It
    is the Bradley-Terry loss with the reward $\beta \log \pi_\theta / \pi_\mathrm{ref}$; for
    the adapter's Gaussian and categorical policy both log-probabilities are exact.
    """
    beta = as_number("beta", beta)
    if not beta > 0:
        raise T2ILabError(f"beta must be > 0, got {beta}")
    logp_w = values("logp_w", logp_w)
    logp_l, ref_w, ref_l = (like(n, t, "logp_w", logp_w) for n, t in (("logp_l", logp_l), ("ref_w", ref_w), ("ref_l", ref_l)))
    margin = (logp_w - ref_w.detach()) - (logp_l - ref_l.detach())  # log-ratio of winner - of loser
    return -F.logsigmoid(beta * margin).mean()  # -E[log sigma(beta margin)]


def categorical_kl(logits: Tensor, ref_logits: Tensor | None = None) -> Tensor:
    r"""KL divergence between two categorical distributions given by logits, in closed form.

    $$ \mathrm{KL}(p \,\|\, q) = \sum_{k=1}^{K} p_k \big(\log p_k - \log q_k\big), \qquad p = \mathrm{softmax}(\ell), \; q = \mathrm{softmax}(\ell_\mathrm{ref}) $$

    where $\ell$ are the policy's logits over $K$ values (`logits`, last dimension),
    $\ell_\mathrm{ref}$ the reference's (`ref_logits`; None for the uniform $q_k = 1/K$, what
    the pretrained sampler uses for an open attribute). Returns one value per distribution
    (the last dimension summed away); 0 exactly when $p = q$.
    """
    logits = values("logits", logits)
    if logits.ndim == 0:
        raise T2ILabError("logits is one number; a categorical needs K values along its last dimension, shape [..., K]")
    log_p = torch.log_softmax(logits, dim=-1)  # log p_k
    if ref_logits is None:
        log_q = torch.full_like(log_p, -math.log(logits.shape[-1]))  # log 1/K
    else:
        ref_logits = like("ref_logits", ref_logits, "logits", logits)
        log_q = torch.log_softmax(ref_logits, dim=-1)
    return (log_p.exp() * (log_p - log_q)).sum(dim=-1)  # sum_k p_k (log p_k - log q_k)
