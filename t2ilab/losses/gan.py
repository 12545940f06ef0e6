"""GAN losses (lesson 02_gan): the minimax value V(D, G) and the loss each player minimises.

Every function takes the discriminator's *logits* l, with D(x) = sigmoid(l). The logs of D are
computed as log D = logsigmoid(l) and log(1 - D) = logsigmoid(-l), which stay finite for any
logit: the naive log(1 - sigmoid(100)) is log(0) = -inf.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from t2ilab.errors import T2ILabError
from t2ilab.losses.checks import class_indices, like, values

__all__ = [
    "gan_value",
    "discriminator_loss",
    "generator_loss_saturating",
    "generator_loss_nonsaturating",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "optimal_discriminator",
    "auxiliary_classifier_loss",
]


def gan_value(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The value of the GAN minimax game on a batch: D wants it high, G wants it low.

    $$ V(D, G) = \mathbb{E}_{x \sim p_\mathrm{data}}\big[\log D(x)\big] + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big] $$

    where $D(x) = \sigma(\ell(x))$ is the discriminator's probability that image $x$ is real
    ($\ell$ = `real_logits` on real images, `fake_logits` on generated ones), $G(z)$ is the
    image the generator makes from noise $z$, and each $\mathbb{E}$ is a batch mean.
    The game is $\min_G \max_D V(D, G)$; its value at the optimum is $-\log 4$.
    """
    real_logits = values("real_logits", real_logits)
    fake_logits = values("fake_logits", fake_logits)
    log_d_real = F.logsigmoid(real_logits)  # log D(x) = log sigma(l)
    log_one_minus_d_fake = F.logsigmoid(-fake_logits)  # log(1 - D(G(z))) = log sigma(-l)
    return log_d_real.mean() + log_one_minus_d_fake.mean()  # E[log D(x)] + E[log(1 - D(G(z)))]


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The discriminator's loss: minimising it maximises V(D, G) (binary cross-entropy).

    $$ L_D = -V(D, G) = -\mathbb{E}_{x}\big[\log D(x)\big] - \mathbb{E}_{z}\big[\log\big(1 - D(G(z))\big)\big] $$

    where $D = \sigma(\ell)$ from the logits on real images (`real_logits`) and on generated
    images $G(z)$ (`fake_logits`).
    """
    return -gan_value(real_logits, fake_logits)  # L_D = -V(D, G)


def generator_loss_saturating(fake_logits: Tensor) -> Tensor:
    r"""The generator's loss exactly as in the minimax equation (G minimises it).

    $$ L_G^\mathrm{sat} = \mathbb{E}_{z}\big[\log\big(1 - D(G(z))\big)\big] $$

    where $D(G(z)) = \sigma(\ell)$ from the discriminator's logits $\ell$ on generated images
    (`fake_logits`). Its gradient with respect to $\ell$ is $-\sigma(\ell)$: it vanishes when
    D confidently rejects the fakes ($\ell \to -\infty$), which is early in training - hence
    "saturating". Use `generator_loss_nonsaturating` to train.
    """
    fake_logits = values("fake_logits", fake_logits)
    return F.logsigmoid(-fake_logits).mean()  # E[log(1 - D(G(z)))]


def generator_loss_nonsaturating(fake_logits: Tensor) -> Tensor:
    r"""The generator's loss used in practice: same fixed point, strong gradient early on.

    $$ L_G^\mathrm{ns} = -\mathbb{E}_{z}\big[\log D(G(z))\big] $$

    where $D(G(z)) = \sigma(\ell)$ from the discriminator's logits $\ell$ on generated images
    (`fake_logits`). Its gradient with respect to $\ell$ is $-(1 - \sigma(\ell))$, close to
    $-1$ exactly when D confidently rejects the fakes.
    """
    fake_logits = values("fake_logits", fake_logits)
    return -F.logsigmoid(fake_logits).mean()  # -E[log D(G(z))]


def hinge_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The hinge loss for the discriminator (used with projection discriminators).

    $$ L_D^\mathrm{hinge} = \mathbb{E}_{x}\big[\max(0, 1 - \ell(x))\big] + \mathbb{E}_{z}\big[\max(0, 1 + \ell(G(z)))\big] $$

    where $\ell(x)$ are the discriminator's raw scores on real images (`real_logits`) and
    $\ell(G(z))$ on generated ones (`fake_logits`); only scores inside the margin of 1 count.
    """
    real_logits = values("real_logits", real_logits)
    fake_logits = values("fake_logits", fake_logits)
    real_term = F.relu(1.0 - real_logits).mean()  # E[max(0, 1 - l(x))]
    fake_term = F.relu(1.0 + fake_logits).mean()  # E[max(0, 1 + l(G(z)))]
    return real_term + fake_term


def hinge_generator_loss(fake_logits: Tensor) -> Tensor:
    r"""The generator's loss paired with the hinge discriminator loss.

    $$ L_G^\mathrm{hinge} = -\mathbb{E}_{z}\big[\ell(G(z))\big] $$

    where $\ell(G(z))$ are the discriminator's raw scores on generated images (`fake_logits`).
    """
    fake_logits = values("fake_logits", fake_logits)
    return -fake_logits.mean()  # -E[l(G(z))]


def optimal_discriminator(p_data: Tensor, p_g: Tensor) -> Tensor:
    r"""The best discriminator for a fixed generator, point by point.

    $$ D^*(x) = \frac{p_\mathrm{data}(x)}{p_\mathrm{data}(x) + p_g(x)} $$

    where $p_\mathrm{data}(x)$ is the density of real images at $x$ (`p_data`) and $p_g(x)$
    the density of generated ones (`p_g`). Where both are 0 the answer is 1/2 (nothing to
    tell apart). Plugged into V it gives $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p_\mathrm{data} \| p_g)$.
    """
    p_data = values("p_data", p_data)
    p_g = like("p_g", p_g, "p_data", p_data)
    if not (bool(torch.isfinite(p_data).all()) and bool(torch.isfinite(p_g).all())):
        raise T2ILabError("p_data and p_g must be finite densities; a NaN or inf has no optimal discriminator")
    if bool((p_data < 0).any()) or bool((p_g < 0).any()):
        raise T2ILabError("p_data and p_g are densities and must be >= 0; pass probabilities, not log-probabilities")
    total = p_data + p_g  # p_data(x) + p_g(x)
    d_star = p_data / total  # D*(x) = p_data / (p_data + p_g)
    return torch.where(total > 0, d_star, torch.full_like(d_star, 0.5))


def auxiliary_classifier_loss(class_logits: Sequence[Tensor], labels: Tensor) -> Tensor:
    r"""AC-GAN's auxiliary loss: the discriminator also names every attribute of the image.

    $$ L_\mathrm{aux} = \sum_{a=1}^{A} \mathbb{E}_{(x, y)}\big[-\log p_a(y_a \mid x)\big], \qquad p_a(\cdot \mid x) = \mathrm{softmax}(\ell_a(x)) $$

    where $A$ is the number of attributes (shape, color, ...), $\ell_a(x)$ the classifier head's
    logits for attribute $a$ (`class_logits[a]`, shape [B, C_a]) and $y_a$ the true class
    (`labels[:, a]`, shape [B, A]). Both D (on real images) and G (on its images) minimise it.
    """
    if isinstance(class_logits, (Tensor, str)) or not isinstance(class_logits, Sequence):
        raise T2ILabError("class_logits must be a list with one [B, C_a] tensor per attribute; wrap a single head as [logits]")
    labels = class_indices("labels", labels)
    labels = labels.unsqueeze(1) if labels.ndim == 1 else labels  # one attribute: [B] -> [B, 1]
    if labels.ndim != 2 or labels.numel() == 0 or labels.shape[1] != len(class_logits):
        raise T2ILabError(f"labels must be [B, A] with one column per classifier head ({len(class_logits)}), "
                          f"got shape {tuple(labels.shape)}")
    total = 0.0
    for a, logits in enumerate(class_logits):
        logits = values(f"class_logits[{a}]", logits)
        if logits.ndim != 2 or len(logits) != len(labels):
            raise T2ILabError(f"class_logits[{a}] has shape {tuple(logits.shape)}; expected [{len(labels)}, C]")
        y = class_indices(f"labels[:, {a}]", labels[:, a], classes=logits.shape[1])
        total = total + F.cross_entropy(logits, y)  # E[-log softmax(l_a)[y_a]]
    return total  # sum over attributes a
