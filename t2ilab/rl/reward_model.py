r"""A reward model: a linear head on the judge's features, fitted to a few ratings.

So that a few human ratings can score many samples (Lee et al. 2023). Two ways to fit it:
regression on scores (ridge, closed form) and Bradley-Terry on pairwise choices

$$ P(a \succ b) = \sigma\big(r(a) - r(b)\big), \qquad r(x) = w^\top \frac{\phi(x) - m}{s} + c $$

where $\phi(x)$ are the judge's features of image x (the feature space the metrics use),
$m, s$ their mean and spread over the fitted images, and $w, c$ the head.
"""
from __future__ import annotations

import torch
from torch import nn

from ..errors import T2ILabError
from ..losses import bradley_terry_loss


class RewardModel(nn.Module):
    def __init__(self, judge: nn.Module, ridge: float = 30.0):
        super().__init__()
        object.__setattr__(self, "judge", judge)  # frozen, not part of the head's weights
        dim = judge.heads[0].in_features
        self.head = nn.Linear(dim, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))
        self.ridge, self.fitted = float(ridge), False

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """The judge's features [n, hidden] (pass them as `features=` to skip this pass)."""
        return self.judge.embed(images).float()

    def _standardise(self, images: torch.Tensor | None, refit: bool, features=None) -> torch.Tensor:
        f = self.embed(images) if features is None else features.float()
        if refit:
            self.mean.copy_(f.mean(0))
            self.scale.copy_(f.std(0, unbiased=False).clamp_min(1e-3))
        return (f - self.mean) / self.scale

    @torch.no_grad()
    def fit_scores(self, images: torch.Tensor | None, scores, features: torch.Tensor | None = None) -> RewardModel:
        """Ridge regression of the scores on the features: w = (X^T X + lambda I)^-1 X^T (y - mean y)."""
        y = torch.as_tensor(scores, dtype=torch.float32).flatten()
        n = len(images) if features is None else len(features)
        if len(y) != n or len(y) < 2:
            raise T2ILabError(f"fit_scores needs one score per image and at least 2 images, got {len(y)} for {n}")
        x = self._standardise(images, refit=True, features=features)
        if len(x) < x.shape[1]:  # the same w from the smaller n x n system: X^T (X X^T + lambda I)^-1 y
            w = x.T @ torch.linalg.solve(x @ x.T + self.ridge * torch.eye(len(x)), y - y.mean())
        else:
            w = torch.linalg.solve(x.T @ x + self.ridge * torch.eye(x.shape[1]), x.T @ (y - y.mean()))
        self.head.weight.copy_(w[None])
        self.head.bias.fill_(float(y.mean()))
        self.fitted = True
        return self

    def fit_pairs(self, images_a: torch.Tensor | None, images_b: torch.Tensor | None, prefer_a, steps: int = 200,
                  lr: float = 0.05, features_a: torch.Tensor | None = None,
                  features_b: torch.Tensor | None = None) -> RewardModel:
        """Bradley-Terry: minimise -mean log sigma(r(winner) - r(loser)) + a small L2 penalty."""
        prefer = torch.as_tensor(prefer_a).bool().flatten()
        fa = self.embed(images_a) if features_a is None else features_a
        fb = self.embed(images_b) if features_b is None else features_b
        if not (len(fa) == len(fb) == len(prefer)) or len(prefer) < 1:
            raise T2ILabError(f"fit_pairs needs as many images a and b as choices, got {len(fa)}, "
                              f"{len(fb)} and {len(prefer)}")
        with torch.no_grad():
            both = self._standardise(None, refit=True, features=torch.cat([fa, fb]))
        xa, xb = both[:len(prefer)], both[len(prefer):]
        nn.init.zeros_(self.head.weight)
        opt = torch.optim.Adam(self.head.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            sa, sb = self.head(xa).squeeze(1), self.head(xb).squeeze(1)
            loss = bradley_terry_loss(sa, sb, prefer) + self.ridge / len(prefer) * self.head.weight.pow(2).sum() / 2
            loss.backward()
            opt.step()
        self.fitted = True
        return self

    @torch.no_grad()
    def forward(self, images: torch.Tensor | None, features: torch.Tensor | None = None) -> torch.Tensor:
        """[n] rewards (0 before any fit)."""
        if not self.fitted:
            return torch.zeros(len(images) if features is None else len(features))
        return self.head(self._standardise(images, refit=False, features=features)).squeeze(1)

    @torch.no_grad()
    def accuracy(self, images: torch.Tensor | None, liked, features: torch.Tensor | None = None) -> float:
        """Ranking accuracy: the share of (liked, not liked) pairs the model orders right (ties count 1/2).

        NaN when every image is liked or none is.
        """
        liked = torch.as_tensor(liked).bool().flatten()
        r = self(images, features=features)
        good, bad = r[liked], r[~liked]
        if len(good) == 0 or len(bad) == 0:
            return float("nan")
        diff = good[:, None] - bad[None, :]
        return float(((diff > 0).float() + 0.5 * (diff == 0).float()).mean())
