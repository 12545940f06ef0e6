"""Raters behind one interface: scores 1-5, a set of liked images, or the better of two.

`SimulatedRater` stands in for a person with a hidden taste, so that the loop can be measured:
either an attribute the prompt leaves open ("big", "left", "red": read off the image by the
dataset's judge) or style within what the prompt fixes ("dark", "light": the mean pixel, with
the line at the median of the pretrained model's samples). Its answers carry seeded noise and
occasional inconsistency (a flipped answer); its true utility `gold` is kept for measuring.
A person answers through `FeedbackSession.rate` (or the lesson's rating panel).
"""
from __future__ import annotations

from functools import lru_cache

import torch

from ..schema import schema as dataset_schema
from ..errors import T2ILabError
from ..validate import check_seed

STYLES = ("dark", "light")


@lru_cache(maxsize=4)
def _judge(dataset: str) -> torch.nn.Module:
    from ..evaluate import judge_for

    return judge_for(dataset)


def brightness(images: torch.Tensor) -> torch.Tensor:
    """[n]: the mean pixel of each image (0 black, 1 white)."""
    return images.float().flatten(1).mean(1)


class Rater:
    """The interface: `rate` (scores 1..5), `likes` (bool), `prefer` (a better than b, bool)."""

    def rate(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def likes(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.rate(images, labels) >= 4

    def prefer(self, img_a, lab_a, img_b, lab_b) -> torch.Tensor:
        return self.rate(img_a, lab_a) > self.rate(img_b, lab_b)


class SimulatedRater(Rater):
    """A person with a hidden taste: `gold` is their true utility in [0, 1], the rest adds noise."""

    def __init__(self, taste: str, dataset: str, noise: float = 0.1, flip: float = 0.05, seed: int = 0,
                 line: float | None = None, judge: torch.nn.Module | None = None, faithful: bool = True):
        self.taste, self.dataset = str(taste).strip().lower(), dataset
        if not (0 <= noise <= 1 and 0 <= flip <= 0.5):
            raise T2ILabError(f"noise must be in [0, 1] and flip in [0, 0.5], got noise={noise}, flip={flip}")
        self.noise, self.flip, self.seed, self.line, self.width = float(noise), float(flip), seed, line, 0.01
        self.attribute, self.value = self._parse(self.taste, dataset)
        self._g = torch.Generator().manual_seed(check_seed(seed))
        self.judge = judge  # the simulated eye (the dataset's judge when None)
        self.faithful = faithful  # the image must also show what it was made to show

    @staticmethod
    def _parse(taste: str, dataset: str) -> tuple[str | None, int | None]:
        if taste in STYLES:
            return None, None
        schema = dataset_schema(dataset)
        attr, _, value = taste.rpartition("=")  # "position=left" or just "left"
        hits = [(a, vals.index(value)) for a, vals in schema.items() if value in vals and attr in ("", a)]
        if len(hits) != 1:
            names = sorted({v for vals in schema.values() for v in vals} | set(STYLES))
            why = "is ambiguous (write attribute=value)" if hits else "is not a taste"
            raise T2ILabError(f"{taste!r} {why} for {dataset}: use one of {', '.join(names)}")
        return hits[0]

    def calibrate(self, model, prompt, n: int = 512, seed: int = 0) -> float:
        """For a style taste: put the line at the median brightness of the pretrained model's samples."""
        if self.attribute is None:
            from ..text import labels_for

            labels = labels_for(prompt, model.dataset, n=n, seed=seed)
            b = brightness(model.generate(labels, generator=torch.Generator().manual_seed(seed)).cpu())
            self.line = float(b.median())
            self.width = max(float(b.std()) / 8, 1e-4)  # a soft step, a few hundredths of the spread
        return self.line

    @torch.no_grad()
    def gold(self, images: torch.Tensor, labels: torch.Tensor | None = None,
             features: torch.Tensor | None = None) -> torch.Tensor:
        """[n] in [0, 1]: the rater's true utility: the taste (the judge's probability of the value, or
        a soft step on brightness) times, when `faithful`, the judge's probability that the image
        shows every other attribute in `labels` (a big blob that is no longer a circle is not liked).

        `features`: the judge's features of the images, when already computed (saves a pass).
        """
        judge = self.judge or _judge(self.dataset)
        need = self.attribute is not None or (self.faithful and labels is not None)
        f = (judge.embed(images) if features is None else features) if need else None
        names = list(dataset_schema(self.dataset))
        if self.attribute is not None:
            taste = torch.softmax(judge.heads[names.index(self.attribute)](f), 1)[:, self.value]
        elif self.line is None:
            raise T2ILabError(f"a {self.taste!r} rater needs its line: call rater.calibrate(model, prompt) first")
        else:
            sign = 1.0 if self.taste == "dark" else -1.0
            taste = torch.sigmoid(sign * (self.line - brightness(images)) / self.width)
        if self.faithful and labels is not None:
            for a, head in enumerate(judge.heads):
                if names[a] != self.attribute:  # P(the judge reads label a)
                    taste = taste * torch.softmax(head(f), 1).gather(1, labels[:, a:a + 1].to(f.device))[:, 0]
        return taste

    def _noisy(self, images: torch.Tensor, labels) -> torch.Tensor:
        return self.gold(images, labels) + self.noise * torch.randn(len(images), generator=self._g)

    def _flips(self, n: int) -> torch.Tensor:
        return torch.rand(n, generator=self._g) < self.flip  # occasional inconsistency

    def scores(self, gold: torch.Tensor) -> torch.Tensor:
        """[n] scores 1..5 from true utilities: 1 + 4 x (utility + noise), rounded; a flipped answer is 6 - score."""
        score = 1 + torch.round(4 * (gold + self.noise * torch.randn(len(gold), generator=self._g)).clamp(0, 1))
        return torch.where(self._flips(len(gold)), 6 - score, score)

    def rate(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """[n] scores 1..5 (see `scores`)."""
        return self.scores(self.gold(images, labels))

    def likes(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return (self._noisy(images, labels) > 0.5) ^ self._flips(len(images))

    def prefer(self, img_a, lab_a, img_b, lab_b) -> torch.Tensor:
        better = self._noisy(img_a, lab_a) > self._noisy(img_b, lab_b)
        return better ^ self._flips(len(img_a))

    def __repr__(self) -> str:
        return f"SimulatedRater({self.taste!r}, {self.dataset!r}, noise={self.noise}, flip={self.flip}, seed={self.seed})"


def make_rater(spec: str, dataset: str, seed: int = 0) -> Rater:
    """A rater from a command-line spec: "simulated:TASTE" (e.g. simulated:big, simulated:dark)."""
    kind, _, taste = str(spec).partition(":")
    if kind != "simulated" or not taste:
        raise T2ILabError(f"unknown rater {spec!r}: use simulated:TASTE, e.g. simulated:big or simulated:dark")
    return SimulatedRater(taste, dataset, seed=seed)
