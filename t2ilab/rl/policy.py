r"""The policy: a small preference adapter over everything a frozen generator samples at random.

For a prompt, the pretrained sampler draws each attribute the prompt leaves open uniformly
(on shapes: "a circle" leaves color, size and position open) and the latent z from N(0, I).
The adapter replaces those two draws by a learnable policy

$$ \pi_\theta(y, z \mid c) = \prod_{a\ \mathrm{open}} \mathrm{Cat}\big(y_a;\ \mathrm{softmax}(\ell_a(c))\big) \cdot \mathcal{N}\big(z;\ \mu(c),\ \mathrm{diag}\,\sigma(c)^2\big) $$

whose logits, mean and log-scale come from a tiny network of the prompt c (its fixed
attributes one-hot, open ones zero). The last layer starts at zero, so at initialisation
$\pi_\theta = \pi_\mathrm{ref}$ exactly (uniform, N(0, I)). The categorical part can learn
"big" (a label on shapes, not a latent direction); the Gaussian part learns style within what
the prompt fixes ("darker garments"). The network's bias is shared by every prompt, so a taste
learned on one prompt carries over to others.

KL to the pretrained sampler is closed-form (a sum of categorical and Gaussian KLs), and since
the images are a function of (y, z) — the same frozen generator under both — the
data-processing inequality gives $\mathrm{KL}(p_\theta(x) \,\|\, p_\mathrm{ref}(x)) \le
\mathrm{KL}(\pi_\theta \,\|\, \pi_\mathrm{ref})$: the adapter's KL bounds how far the image
distribution moved.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..schema import schema as dataset_schema
from ..errors import T2ILabError
from ..losses import categorical_kl, gaussian_kl
from ..validate import check_seed

LOG_SIGMA_MIN, LOG_SIGMA_MAX = math.log(0.25), math.log(3.0)  # keep the Gaussian from collapsing


class Draw(NamedTuple):
    """One batch of the policy's choices: labels [n, A] (long) and latents z [n, latent]."""

    labels: torch.Tensor
    z: torch.Tensor


def _every_draw_goes_together(dataset: str, attrs: dict) -> None:
    """The policy draws each open attribute on its own, so every row it can draw must be one the
    dataset can show (scenes: a second object right of the first); else one clear line."""
    from ..schema import RULES, SCHEMAS, VALID, matching

    if dataset not in VALID:
        return
    if len(matching(dataset, attrs)) < math.prod(len(v) for a, v in SCHEMAS[dataset].items() if attrs[a] is None):
        raise T2ILabError("the rating loop draws each open attribute on its own, and this prompt's open ones do "
                          f"not all go together ({RULES[dataset]}): give both objects their places "
                          "(a house on the left and a tree on the right), or name one object")


def _seeded(seed: int | None) -> torch.Generator:
    g = torch.Generator()
    g.seed() if seed is None else g.manual_seed(check_seed(seed))
    return g


class PreferenceAdapter(nn.Module):
    """A categorical over each open attribute and a diagonal Gaussian over z, from a tiny net of the prompt."""

    kind = "adapter"  # its weights file's kind (t2ilab.rl.store), never built by t2ilab.models.build

    def __init__(self, model: nn.Module, hidden: int = 32, seed: int = 0):
        super().__init__()
        for need in ("generate", "latent", "classes", "dataset"):
            if getattr(model, need, None) is None:
                raise T2ILabError(f"PreferenceAdapter needs a shipped generator (a -gan or -vae model); "
                                  f"this model has no .{need}")
        if getattr(model, "kind", None) == "judge":
            raise T2ILabError("that model is a judge, which reads images: adapt a generator (a -vae or -gan model)")
        object.__setattr__(self, "model", model.eval())  # frozen (used under no_grad), not part of the adapter's weights
        self.dataset, self.schema = model.dataset, dataset_schema(model.dataset)
        self.classes, self.latent = [int(k) for k in model.classes], int(model.latent)
        self.config = dict(hidden=hidden, classes=self.classes, latent=self.latent)
        inputs, outputs = sum(self.classes), sum(self.classes) + 2 * self.latent  # logits, mu, log sigma
        self.net = nn.Sequential(nn.Linear(inputs, hidden), nn.Tanh(), nn.Linear(hidden, outputs))
        g = torch.Generator().manual_seed(check_seed(seed))  # the hidden layer's init is part of the session
        bound = 1 / math.sqrt(inputs)
        nn.init.uniform_(self.net[0].weight, -bound, bound, generator=g)
        nn.init.uniform_(self.net[0].bias, -bound, bound, generator=g)
        nn.init.zeros_(self.net[2].weight)  # start exactly at the pretrained sampler
        nn.init.zeros_(self.net[2].bias)
        self._prompts: dict = {}

    # -- the prompt ----------------------------------------------------------------------
    def fixed(self, prompt) -> list[int | None]:
        """Per attribute (schema order): the index the prompt fixes, or None when it leaves it open."""
        key = prompt if isinstance(prompt, str) else tuple(sorted(dict(prompt).items()))
        if key not in self._prompts:
            from ..text.encoder import _attributes

            attrs = _attributes(prompt, self.dataset)
            _every_draw_goes_together(self.dataset, attrs)
            self._prompts[key] = [None if attrs[a] is None else vals.index(attrs[a]) for a, vals in self.schema.items()]
        return self._prompts[key]

    def condition(self, prompt) -> torch.Tensor:
        """The network's input for a prompt: fixed attributes one-hot, open ones zero."""
        return torch.cat([F.one_hot(torch.tensor(i), k).float() if i is not None else torch.zeros(k)
                          for i, k in zip(self.fixed(prompt), self.classes)])

    def params(self, prompt, temperature: float = 1.0) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
        """(logits per attribute, mu [latent], log sigma [latent]) for a prompt; `temperature` widens both."""
        out = self.net(self.condition(prompt).to(self.net[0].weight.device))
        logits = list(out[:sum(self.classes)].split(self.classes))
        mu, log_sigma = out[sum(self.classes):].chunk(2)
        log_sigma = log_sigma.clamp(LOG_SIGMA_MIN, LOG_SIGMA_MAX)
        if temperature != 1.0:  # exploration: flatter categoricals, wider Gaussian
            logits, log_sigma = [lg / temperature for lg in logits], log_sigma + math.log(temperature)
        return logits, mu, log_sigma

    def probs(self, prompt) -> dict[str, list[float] | None]:
        """Per attribute: the policy's probabilities over its values, or None where the prompt fixes it."""
        logits, _, _ = self.params(prompt)
        return {a: (None if i is not None else torch.softmax(lg, 0).tolist())
                for (a, i), lg in zip(zip(self.schema, self.fixed(prompt)), logits)}

    # -- sampling and densities -----------------------------------------------------------
    @torch.no_grad()
    def sample(self, prompt, n: int, seed: int | None = None, temperature: float = 1.0) -> Draw:
        """n draws (labels, z) from the policy for `prompt`; the same seed gives the same draw."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1_000_000:
            raise T2ILabError(f"n must be a whole number from 1 to 1,000,000, got {n!r}")
        g = _seeded(seed)
        logits, mu, log_sigma = self.params(prompt, temperature)
        cols = []
        for i, lg in zip(self.fixed(prompt), logits):
            if i is None:  # open: y_a ~ Cat(softmax(l_a))
                cols.append(torch.multinomial(torch.softmax(lg, 0).cpu(), n, replacement=True, generator=g))
            else:  # fixed by the prompt
                cols.append(torch.full((n,), i, dtype=torch.long))
        eps = torch.randn(n, self.latent, generator=g)
        z = mu.cpu() + log_sigma.exp().cpu() * eps  # z ~ N(mu, sigma^2)
        return Draw(torch.stack(cols, 1), z)

    def log_prob_steps(self, draw: Draw, prompt, temperature: float = 1.0) -> torch.Tensor:
        """[n, 2]: log pi of the open attributes (step 1) and of z (step 2); differentiable."""
        logits, mu, log_sigma = self.params(prompt, temperature)
        labels, z = draw.labels.to(mu.device), draw.z.to(mu.device)
        cat = torch.zeros(len(z), device=mu.device)
        for a, (i, lg) in enumerate(zip(self.fixed(prompt), logits)):
            if i is None:
                cat = cat + torch.log_softmax(lg, 0)[labels[:, a]]  # log softmax(l_a)[y_a]
        gauss = (-0.5 * ((z - mu) / log_sigma.exp()) ** 2 - log_sigma - 0.5 * math.log(2 * math.pi)).sum(1)
        return torch.stack([cat, gauss], 1)

    def log_prob(self, draw: Draw, prompt, temperature: float = 1.0) -> torch.Tensor:
        """[n]: log pi_theta(y, z | c), differentiable."""
        return self.log_prob_steps(draw, prompt, temperature).sum(1)

    def ref_log_prob(self, draw: Draw, prompt) -> torch.Tensor:
        """[n]: log pi_ref(y, z | c) = sum over open attributes of -log K_a + log N(z; 0, I)."""
        open_ = sum(math.log(k) for i, k in zip(self.fixed(prompt), self.classes) if i is None)
        z = draw.z.float()
        return -open_ + (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(1)

    def kl(self, prompt) -> torch.Tensor:
        r"""Closed form KL(pi_theta || pi_ref) = sum_open KL(Cat || uniform) + KL(N(mu, sigma^2) || N(0, I))."""
        logits, mu, log_sigma = self.params(prompt)
        cat = sum((categorical_kl(lg) for i, lg in zip(self.fixed(prompt), logits) if i is None),
                  torch.zeros((), device=mu.device))
        return cat + gaussian_kl(mu[None], 2 * log_sigma[None])[0]

    @torch.no_grad()
    def images(self, draw: Draw) -> torch.Tensor:
        """[n, C, H, W] in [0, 1]: the frozen generator's images for the draw."""
        return self.model.generate(draw.labels, z=draw.z).cpu()

    def extra_repr(self) -> str:
        return f"dataset={self.dataset!r}, classes={self.classes}, latent={self.latent}"
