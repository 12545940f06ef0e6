"""Every equation of the course as one small function whose docstring carries its LaTeX.

- `gan`: the GAN value V(D, G), discriminator and generator losses (saturating and
  non-saturating), hinge losses, the optimal discriminator, AC-GAN's auxiliary loss.
- `vae`: reparameterisation, the Gaussian KL, Bernoulli and Gaussian likelihoods, the beta-ELBO
  and KL annealing.
- `rl`: the discounted return, returns-to-go, REINFORCE, KL to the pretrained model, the RLHF
  objective, the Bradley-Terry preference loss, REINFORCE with returns-to-go, reward-weighted
  likelihood, DPO and the categorical KL.
"""

from __future__ import annotations

from t2ilab import device  # noqa: F401  (sets torch's threads when first imported)

from t2ilab.losses.gan import (
    auxiliary_classifier_loss,
    discriminator_loss,
    gan_value,
    generator_loss_nonsaturating,
    generator_loss_saturating,
    hinge_discriminator_loss,
    hinge_generator_loss,
    optimal_discriminator,
)
from t2ilab.losses.rl import (
    RLHFResult,
    bradley_terry_loss,
    bradley_terry_probability,
    categorical_kl,
    discounted_return,
    dpo_loss,
    kl_penalty,
    reinforce_loss,
    reinforce_to_go_loss,
    returns_to_go,
    reward_weighted_loss,
    rlhf_objective,
)
from t2ilab.losses.vae import (
    ELBO,
    bernoulli_log_likelihood,
    beta_elbo,
    beta_schedule,
    gaussian_kl,
    gaussian_log_likelihood,
    reparameterize,
)

__all__ = [
    # gan
    "gan_value",
    "discriminator_loss",
    "generator_loss_saturating",
    "generator_loss_nonsaturating",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "optimal_discriminator",
    "auxiliary_classifier_loss",
    # vae
    "ELBO",
    "reparameterize",
    "gaussian_kl",
    "bernoulli_log_likelihood",
    "gaussian_log_likelihood",
    "beta_elbo",
    "beta_schedule",
    # rl
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
