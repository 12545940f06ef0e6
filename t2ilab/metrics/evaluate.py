"""`t2ilab evaluate`: every metric of the course for one model, read by its dataset's judge."""
from __future__ import annotations

import itertools
import time

import torch

from .. import hub
from ..data import load
from ..data.schema import HELDOUT, SCHEMAS
from ..errors import T2ILabError
from .accuracy import attribute_accuracy, prompt_accuracy
from .diversity import diversity_ratio
from .frechet import frechet_distance_features
from .manifold import precision_recall


def combos(dataset: str, heldout: bool, n: int, seed: int) -> torch.Tensor:
    """`n` label tuples drawn uniformly from the seen (or the held-out) combinations."""
    held = set(HELDOUT[dataset])
    every = itertools.product(*[range(len(v)) for v in SCHEMAS[dataset].values()])
    pool = torch.tensor(HELDOUT[dataset] if heldout else [c for c in every if c not in held])
    return pool[torch.randint(len(pool), (n,), generator=torch.Generator().manual_seed(seed))]


def judge_for(dataset: str) -> torch.nn.Module:
    """The shipped judge of a dataset."""
    if f"{dataset}-judge" not in hub.manifest():
        raise T2ILabError(f"no judge for {dataset!r}: train one with `t2ilab train judge --dataset {dataset}` "
                          "or run `make pretrained`")
    return hub.load(f"{dataset}-judge")


def real_images(dataset: str, n: int, seed: int) -> torch.Tensor:
    """Fresh real images the judge did not train on (the test split, or a new seed)."""
    if dataset == "fashion":
        return load("fashion", split="test", n=n, seed=seed).images
    return load(dataset, split="all", n=n, seed=10_000 + seed).images


@torch.no_grad()
def evaluate(model: str | torch.nn.Module, samples: int = 1000, seed: int = 0, judge=None) -> dict:
    """prompt_accuracy, heldout_accuracy, fid, precision, recall, diversity, samples, seconds."""
    if samples < 10:
        raise T2ILabError(f"--samples {samples} is too few for stable metrics: use at least 10")
    t0 = time.perf_counter()
    net = hub.load(model) if not isinstance(model, torch.nn.Module) else model
    dataset = net.dataset
    if dataset not in SCHEMAS:
        raise T2ILabError(f"{dataset!r} has no judge: evaluate works for {', '.join(SCHEMAS)}")
    judge = (judge or judge_for(dataset)).cpu().eval()
    real = real_images(dataset, samples, seed)
    if getattr(net, "kind", None) == "judge":
        data = load(dataset, split="test", n=samples, seed=seed) if dataset == "fashion" else \
            load(dataset, split="all", n=samples, seed=10_000 + seed)
        acc = attribute_accuracy(net.cpu().predict(data.images), data.labels)
        return {"attribute_accuracy": min(acc), **{f"accuracy_{a}": v for a, v in zip(SCHEMAS[dataset], acc)},
                "samples": samples, "seconds": round(time.perf_counter() - t0, 2)}
    gen = torch.Generator().manual_seed(seed)
    wanted = combos(dataset, False, samples, seed)
    fake = net.generate(wanted, generator=gen).cpu()
    result = {"prompt_accuracy": prompt_accuracy(judge.predict(fake), wanted), "heldout_accuracy": None}
    if HELDOUT[dataset]:
        held = combos(dataset, True, samples, seed)
        result["heldout_accuracy"] = prompt_accuracy(judge.predict(net.generate(held, generator=gen).cpu()), held)
    f_real, f_fake = judge.embed(real), judge.embed(fake)
    pr = precision_recall(f_real, f_fake, k=3)
    result.update(fid=frechet_distance_features(f_real, f_fake), precision=float(pr.precision),
                  recall=float(pr.recall), diversity=diversity_ratio(f_fake, f_real), samples=samples,
                  seconds=round(time.perf_counter() - t0, 2))
    return result
