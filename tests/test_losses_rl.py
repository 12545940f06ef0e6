"""RL losses: returns, REINFORCE's gradient direction, KL estimates, the RLHF gradient, Bradley-Terry."""

from __future__ import annotations

import math

import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.losses import (
    bradley_terry_loss,
    bradley_terry_probability,
    discounted_return,
    kl_penalty,
    reinforce_loss,
    returns_to_go,
    rlhf_objective,
)


def test_discounted_return_hand_computed():
    assert discounted_return([1, 1, 1], 0.5).item() == pytest.approx(1.75)
    assert discounted_return([1.0, 2.0, 3.0], 0.9).item() == pytest.approx(1 + 1.8 + 2.43)
    assert discounted_return(torch.tensor([4.0, 5.0, 6.0]), 0.0).item() == pytest.approx(4.0)
    assert discounted_return(torch.tensor([4.0, 5.0, 6.0]), 1.0).item() == pytest.approx(15.0)
    batch = discounted_return(torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 4.0]]), 0.5)
    assert torch.allclose(batch, torch.tensor([1.75, 1.0]))


def test_returns_to_go():
    assert torch.allclose(returns_to_go([1, 1, 1], 0.5), torch.tensor([1.75, 1.5, 1.0]))
    r = torch.randn(3, 7, generator=torch.Generator().manual_seed(0))
    g = returns_to_go(r, 0.8)
    assert g.shape == r.shape
    assert torch.allclose(g[:, 0], discounted_return(r, 0.8), atol=1e-6)
    assert torch.allclose(g[:, 2], discounted_return(r[:, 2:], 0.8), atol=1e-6)


@pytest.mark.parametrize("bad", [lambda: discounted_return([1.0], 1.5), lambda: discounted_return([1.0], -0.1),
                                 lambda: returns_to_go([], 0.9), lambda: discounted_return(torch.ones(2, 2, 2), 0.9)])
def test_return_mistakes_raise(bad):
    with pytest.raises(T2ILabError):
        bad()


def test_reinforce_hand_value_and_gradient():
    log_probs = torch.tensor([-1.0, -2.0], requires_grad=True)
    rewards = torch.tensor([1.0, 3.0], requires_grad=True)
    loss = reinforce_loss(log_probs, rewards, baseline=2.0)
    assert loss.item() == pytest.approx(-0.5 * ((1 - 2) * -1.0 + (3 - 2) * -2.0))  # = 0.5
    loss.backward()
    assert torch.allclose(log_probs.grad, torch.tensor([0.5, -0.5]))  # -(R - b) / N
    assert rewards.grad is None  # rewards are constants
    mean_b = reinforce_loss(torch.tensor([-1.0, -2.0]), torch.tensor([1.0, 3.0]), baseline="mean")
    assert mean_b.item() == pytest.approx(loss.item())  # the mean reward is 2
    assert reinforce_loss(torch.tensor([-1.0, -2.0]), [1.0, 3.0]).item() == pytest.approx(-0.5 * (-1.0 - 6.0))
    with pytest.raises(T2ILabError):
        reinforce_loss(torch.zeros(3), torch.zeros(2))


def test_reinforce_step_raises_above_baseline_actions():
    logits = torch.zeros(3, requires_grad=True)  # a uniform policy over 3 actions
    actions = torch.tensor([0, 1, 2, 0])
    rewards = torch.tensor([2.0, 0.0, 1.0, 2.0])
    log_pi = torch.log_softmax(logits, dim=0)[actions]
    reinforce_loss(log_pi, rewards, baseline=1.0).backward()
    with torch.no_grad():
        new = torch.log_softmax(logits - 0.5 * logits.grad, dim=0)
    old = math.log(1 / 3)
    assert new[0].item() > old + 0.05  # R = 2 > b: more likely
    assert new[1].item() < old - 0.05  # R = 0 < b: less likely
    assert logits.grad[0] < 0 < logits.grad[1]


def test_kl_penalty_estimators():
    k1 = kl_penalty(torch.tensor([0.0]), torch.tensor([math.log(0.5)]))
    k3 = kl_penalty(torch.tensor([0.0]), torch.tensor([math.log(0.5)]), estimator="k3")
    assert k1.item() == pytest.approx(math.log(2))
    assert k3.item() == pytest.approx((0.5 - 1) + math.log(2))
    # Monte Carlo against the closed form KL(N(0.5, 1) || N(0, 1)) = 0.125
    a = 0.5 + torch.randn(100_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    logp, logp_ref = -0.5 * (a - 0.5) ** 2, -0.5 * a**2  # the shared constant cancels
    assert kl_penalty(logp, logp_ref).item() == pytest.approx(0.125, abs=0.01)
    assert kl_penalty(logp, logp_ref, estimator="k3").item() == pytest.approx(0.125, abs=0.01)
    with pytest.raises(T2ILabError):
        kl_penalty(logp, logp_ref, estimator="k9")


def test_rlhf_objective_value_and_gradient_of_its_loss():
    log_probs = torch.tensor([-1.0, -3.0], requires_grad=True)
    logp_ref = torch.tensor([-2.0, -2.0])
    out = rlhf_objective(log_probs, torch.tensor([1.0, 0.0]), logp_ref, kl_coef=0.5)
    assert out.kl.item() == pytest.approx(0.0)  # (1 + -1) / 2
    assert out.reward.item() == pytest.approx(0.5)
    assert out.objective.item() == pytest.approx(0.5)
    out.loss.backward()
    shaped = torch.tensor([1.0 - 0.5 * 1.0, 0.0 - 0.5 * -1.0])  # R - lambda (log pi - log pi_ref)
    assert torch.allclose(log_probs.grad, -shaped / 2)
    plain = reinforce_loss(torch.tensor([-1.0, -3.0]), [1.0, 0.0])
    assert rlhf_objective(torch.tensor([-1.0, -3.0]), [1.0, 0.0], logp_ref, kl_coef=0.0).loss.item() == pytest.approx(plain.item())
    with pytest.raises(T2ILabError):
        rlhf_objective(log_probs, [1.0, 0.0], logp_ref, kl_coef=-1.0)


def test_rlhf_loss_gradient_is_the_true_policy_gradient():
    # Policy N(theta, 1), reference N(0, 1), reward R(a) = a:
    # J(theta) = theta - lambda theta^2 / 2, so dJ/dtheta = 1 - lambda theta = 0.5 at theta = 1, lambda = 0.5.
    theta = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    a = (theta + torch.randn(200_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)).detach()
    log_probs = -0.5 * (a - theta) ** 2
    out = rlhf_objective(log_probs, a, -0.5 * a**2, kl_coef=0.5, baseline="mean")
    out.loss.backward()
    assert -theta.grad.item() == pytest.approx(0.5, abs=0.03)
    assert out.objective.item() == pytest.approx(1.0 - 0.5 * 0.5, abs=0.03)


def test_bradley_terry():
    s = torch.tensor([0.3, -2.0, 5.0])
    assert bradley_terry_loss(s, s.clone(), torch.tensor([True, False, True])).item() == pytest.approx(math.log(2))
    assert bradley_terry_probability(torch.tensor([1.0]), torch.tensor([0.0])).item() == pytest.approx(1 / (1 + math.exp(-1)))
    a, b = torch.tensor([1.0, 1.0]), torch.tensor([0.0, 0.0])
    # pair 1: a won, -log sigma(1); pair 2: b won, -log sigma(-1)
    expected = 0.5 * (math.log(1 + math.exp(-1)) + math.log(1 + math.exp(1)))
    assert bradley_terry_loss(a, b, torch.tensor([True, False])).item() == pytest.approx(expected, abs=1e-6)
    assert bradley_terry_loss(a, b, [1, 0]).item() == pytest.approx(expected, abs=1e-6)
    winner = torch.tensor([0.0], requires_grad=True)
    bradley_terry_loss(winner, torch.tensor([0.0]), torch.tensor([True])).backward()
    assert winner.grad.item() == pytest.approx(-0.5)  # raising the winner's score lowers the loss
    assert torch.isfinite(bradley_terry_loss(torch.tensor([-100.0]), torch.tensor([100.0]), [True]))
    with pytest.raises(T2ILabError):
        bradley_terry_loss(a, b, torch.tensor([0.5, 1.0]))
    with pytest.raises(T2ILabError):
        bradley_terry_loss(a, b, torch.tensor([True]))


# -- the update rules of t2ilab.rl ------------------------------------------------------------

from t2ilab.losses import categorical_kl, dpo_loss, reinforce_to_go_loss, reward_weighted_loss  # noqa: E402


def test_reinforce_to_go_hand_values():
    log_probs = torch.tensor([[-1.0, -2.0], [-3.0, -4.0]], requires_grad=True)
    rewards = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    # gamma = 0.5: G = [[0.5, 1], [0, 0]]; no baseline: -(0.5 * -1 + 1 * -2) / 2 = 1.25
    assert reinforce_to_go_loss(log_probs, rewards, 0.5, baseline=None).item() == pytest.approx(1.25)
    # mean baseline b = [0.25, 0.5]: G - b = [[0.25, 0.5], [-0.25, -0.5]]; -(−0.25 − 1 + 0.75 + 2) / 2 = -0.75
    loss = reinforce_to_go_loss(log_probs, rewards, 0.5)
    assert loss.item() == pytest.approx(-0.75)
    loss.backward()
    assert torch.allclose(log_probs.grad, torch.tensor([[-0.125, -0.25], [0.125, 0.25]]))  # -(G - b) / N
    # one step per episode is plain REINFORCE with the mean baseline
    lp, r = torch.tensor([[-1.0], [-2.0]]), torch.tensor([[1.0], [3.0]])
    assert reinforce_to_go_loss(lp, r).item() == pytest.approx(reinforce_loss(lp[:, 0], r[:, 0], "mean").item())
    for bad in (lambda: reinforce_to_go_loss(torch.zeros(3), torch.zeros(3)),
                lambda: reinforce_to_go_loss(torch.zeros(2, 2), torch.zeros(2, 3)),
                lambda: reinforce_to_go_loss(torch.zeros(2, 2), torch.zeros(2, 2), baseline="median")):
        with pytest.raises(T2ILabError):
            bad()


def test_reward_weighted_loss_hand_value_and_gradient():
    log_probs = torch.tensor([-1.0, -2.0], requires_grad=True)
    loss = reward_weighted_loss(log_probs, [1.0, 3.0])
    assert loss.item() == pytest.approx(1.75)  # -(1 * -1 + 3 * -2) / 4
    loss.backward()
    assert torch.allclose(log_probs.grad, torch.tensor([-0.25, -0.75]))  # -w / sum w
    assert reward_weighted_loss(torch.tensor([-1.0, -2.0]), [2.0, 6.0]).item() == pytest.approx(1.75)  # scale-free
    for bad in ([-1.0, 2.0], [0.0, 0.0], [1.0]):
        with pytest.raises(T2ILabError):
            reward_weighted_loss(torch.tensor([-1.0, -2.0]), bad)


def test_dpo_loss_hand_values():
    same = dpo_loss(torch.tensor([-1.0]), torch.tensor([-2.0]), torch.tensor([-1.0]), torch.tensor([-2.0]))
    assert same.item() == pytest.approx(math.log(2))  # the policy is the reference: margin 0
    logp_w = torch.tensor([-1.0], requires_grad=True)
    loss = dpo_loss(logp_w, torch.tensor([-2.0]), torch.tensor([-1.5]), torch.tensor([-1.5]), beta=0.5)
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-0.5)))  # margin 0.5 - (-0.5) = 1, beta 1/2
    loss.backward()
    assert logp_w.grad.item() == pytest.approx(-0.5 * (1 - 1 / (1 + math.exp(-0.5))))  # -beta sigma(-beta m)
    with pytest.raises(T2ILabError):
        dpo_loss(torch.zeros(2), torch.zeros(2), torch.zeros(2), torch.zeros(2), beta=0.0)
    with pytest.raises(T2ILabError):
        dpo_loss(torch.zeros(2), torch.zeros(3), torch.zeros(2), torch.zeros(2))


def test_categorical_kl_hand_values():
    p = torch.log(torch.tensor([0.75, 0.25]))
    expected = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert categorical_kl(p).item() == pytest.approx(expected)  # against uniform
    assert categorical_kl(p, torch.zeros(2)).item() == pytest.approx(expected)
    q = torch.log(torch.tensor([0.9, 0.1]))
    assert categorical_kl(torch.zeros(2), q).item() == pytest.approx(0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(5))
    assert categorical_kl(torch.zeros(3, 4)).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(T2ILabError):
        categorical_kl(torch.zeros(2), torch.zeros(3))
