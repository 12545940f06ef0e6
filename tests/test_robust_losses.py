"""Every loss refuses a string, None or a NaN weight with one clear line, as its siblings do."""
from __future__ import annotations

import math

import pytest
import torch

import t2ilab.losses as L
from t2ilab.errors import T2ILabError


def t(*shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


VALID = {
    "auxiliary_classifier_loss": dict(class_logits=[t(4, 3)], labels=torch.zeros(4, 1, dtype=torch.long)),
    "bernoulli_log_likelihood": dict(x=torch.rand(4, 5), logits=t(4, 5)),
    "beta_elbo": dict(x=torch.rand(4, 5), recon=t(4, 5), mu=t(4, 2), logvar=t(4, 2), beta=1.0),
    "beta_schedule": dict(step=3, warmup_steps=10, beta_max=1.0),
    "bradley_terry_loss": dict(score_a=t(4), score_b=t(4), prefer_a=torch.ones(4, dtype=torch.bool)),
    "bradley_terry_probability": dict(score_a=t(4), score_b=t(4)),
    "categorical_kl": dict(logits=t(4, 3), ref_logits=t(4, 3)),
    "discounted_return": dict(rewards=[1.0, 2.0], gamma=0.9),
    "discriminator_loss": dict(real_logits=t(4), fake_logits=t(4)),
    "dpo_loss": dict(logp_w=t(4), logp_l=t(4), ref_w=t(4), ref_l=t(4), beta=0.1),
    "gan_value": dict(real_logits=t(4), fake_logits=t(4)),
    "gaussian_kl": dict(mu=t(4, 2), logvar=t(4, 2)),
    "gaussian_log_likelihood": dict(x=t(4, 5), mean=t(4, 5), sigma=1.0),
    "generator_loss_nonsaturating": dict(fake_logits=t(4)),
    "generator_loss_saturating": dict(fake_logits=t(4)),
    "hinge_discriminator_loss": dict(real_logits=t(4), fake_logits=t(4)),
    "hinge_generator_loss": dict(fake_logits=t(4)),
    "kl_penalty": dict(logp_policy=t(4), logp_ref=t(4)),
    "optimal_discriminator": dict(p_data=torch.rand(4), p_g=torch.rand(4)),
    "reinforce_loss": dict(log_probs=t(4), rewards=t(4)),
    "reinforce_to_go_loss": dict(log_probs=t(3, 4), rewards=t(3, 4), gamma=0.9),
    "reparameterize": dict(mu=t(4, 2), logvar=t(4, 2)),
    "returns_to_go": dict(rewards=[1.0, 2.0], gamma=0.9),
    "reward_weighted_loss": dict(log_probs=t(4), weights=torch.rand(4)),
    "rlhf_objective": dict(log_probs=t(4), rewards=t(4), logp_ref=t(4), kl_coef=0.1),
}
OPTIONAL = {("categorical_kl", "ref_logits"), ("reinforce_loss", "baseline"),   # None means "not given"
            ("gaussian_log_likelihood", "sigma")}
CASES = [(name, arg, bad) for name, kwargs in VALID.items() for arg in kwargs for bad in ("abc", None)
         if not (bad is None and (name, arg) in OPTIONAL)]


def test_the_valid_calls_work():
    for name, kwargs in VALID.items():
        getattr(L, name)(**kwargs)


@pytest.mark.parametrize("name, arg, bad", CASES, ids=[f"{n}-{a}-{b}" for n, a, b in CASES])
def test_a_string_or_none_is_one_clear_line(name, arg, bad):
    with pytest.raises(T2ILabError) as e:
        getattr(L, name)(**{**VALID[name], arg: bad})
    assert "\n" not in str(e.value) and arg in str(e.value), str(e.value)


NUMBERS = [("beta_elbo", "beta"), ("beta_schedule", "beta_max"), ("discounted_return", "gamma"),
           ("dpo_loss", "beta"), ("gaussian_log_likelihood", "sigma"), ("returns_to_go", "gamma"),
           ("reinforce_to_go_loss", "gamma"), ("rlhf_objective", "kl_coef")]


@pytest.mark.parametrize("name, arg", NUMBERS)
def test_a_nan_weight_is_refused(name, arg):
    with pytest.raises(T2ILabError, match=arg):
        getattr(L, name)(**{**VALID[name], arg: math.nan})


def test_optimal_discriminator_refuses_nan_and_inf():
    for p_data, p_g in ((math.nan, 1.0), (1.0, math.nan), (math.inf, 1.0)):
        with pytest.raises(T2ILabError, match="finite"):
            L.optimal_discriminator(p_data, p_g)
    assert float(L.optimal_discriminator(0.0, 0.0)) == 0.5 and float(L.optimal_discriminator(3.0, 1.0)) == 0.75


def test_beta_schedule_wants_whole_steps():
    with pytest.raises(T2ILabError, match="step must be a whole number"):
        L.beta_schedule(2.5, 10)
    assert L.beta_schedule(5, 10, 2.0) == 1.0
