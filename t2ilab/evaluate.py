"""`t2ilab evaluate`: every metric of the course for one model, read by its dataset's judge."""
from __future__ import annotations

import itertools
import time

import torch

from . import hub
from .data import load
from .schema import HELDOUT, SCHEMAS
from .errors import T2ILabError
from .metrics.accuracy import attribute_accuracy, prompt_accuracy
from .metrics.diversity import diversity_ratio
from .metrics.frechet import frechet_distance_features
from .metrics.manifold import precision_recall
from .models import KINDS


MAX_SAMPLES = 20_000   # 20,000 32x32 RGB images are 250 MB per set; more is not more exact in class


def combos(dataset: str, heldout: bool, n: int, seed: int) -> torch.Tensor:
    """`n` label tuples drawn uniformly from the seen (or the held-out) combinations."""
    from .schema import combinations, schema
    from .validate import check_count, check_seed

    check_count(n, "n", 1, 1_000_000)
    check_seed(seed)
    if heldout and not HELDOUT.get(dataset):
        raise T2ILabError(f"{dataset} has no held-out combinations: use heldout=False")
    held = set(HELDOUT.get(dataset, []))
    every = combinations(dataset) if dataset in SCHEMAS else \
        itertools.product(*[range(len(v)) for v in schema(dataset).values()])  # those that go together
    pool = torch.tensor(HELDOUT[dataset] if heldout else [c for c in every if c not in held])
    return pool[torch.randint(len(pool), (n,), generator=torch.Generator().manual_seed(seed))]


def judge_for(dataset: str) -> torch.nn.Module:
    """The shipped judge of a dataset."""
    if dataset not in SCHEMAS:
        raise T2ILabError(f"no shipped judge for the image folder {dataset}: train one with "
                          f"`t2ilab train judge --dataset {dataset} --out JUDGE` and pass --judge JUDGE")
    if f"{dataset}-judge" not in hub.manifest():
        raise T2ILabError(f"no judge for {dataset!r}: train one with `t2ilab train judge --dataset {dataset}` "
                          "or run `make pretrained`")
    return hub.load(f"{dataset}-judge")


def real_images(dataset: str, n: int, seed: int) -> torch.Tensor:
    """Fresh real images the judge did not train on (the test split, or a new seed); for an image
    folder, its own images (all of them when it holds fewer than `n`)."""
    if dataset == "fashion":
        return load("fashion", split="test", n=n, seed=seed).images
    if dataset not in SCHEMAS:
        return _folder(dataset, n, seed).images
    return load(dataset, split="all", n=n, seed=10_000 + seed).images


def _folder(dataset: str, n: int, seed: int):
    from pathlib import Path

    if not Path(dataset).is_dir():
        raise T2ILabError(f"the image folder {dataset} the model was trained on is not here: evaluate needs its "
                          "images (copy the folder back to that path)")
    data = load(dataset)
    return data if len(data) <= n else load(dataset, n=n, seed=seed)


@torch.no_grad()
def evaluate(model: str | torch.nn.Module, samples: int = 1000, seed: int = 0, judge=None) -> dict:
    """prompt_accuracy, heldout_accuracy, fid, precision, recall, diversity, samples, seconds.

    `judge` is a judge model or its name/path (default: the dataset's shipped judge; an image
    folder has none, so give one trained on it)."""
    from .schema import schema
    from .validate import check_count, check_seed

    check_count(samples, "--samples", 10, MAX_SAMPLES, "at least 10 for stable metrics; 1000 is usual")
    check_seed(seed, "--seed")
    t0 = time.perf_counter()
    net = hub.load(model) if not isinstance(model, torch.nn.Module) else model
    if getattr(net, "kind", None) not in KINDS or not getattr(net, "dataset", None):
        raise T2ILabError("evaluate needs a t2ilab model that names its dataset: a shipped model, a weights file, "
                          "a training folder, or a model built with dataset=NAME")
    dataset = net.dataset
    schema(dataset)  # a built-in dataset or a known image folder
    if judge is not None and not isinstance(judge, torch.nn.Module):
        judge = hub.load(judge)
    if judge is not None and getattr(judge, "kind", None) != "judge":
        raise T2ILabError(f"--judge must be a judge model, not a {getattr(judge, 'kind', type(judge).__name__)}: "
                          "train one with `t2ilab train judge`")
    if judge is not None and judge.dataset != dataset:
        raise T2ILabError(f"the judge was trained on {judge.dataset}, the model on {dataset}: give a judge of "
                          "the model's dataset")
    if net.kind == "judge":
        if dataset in SCHEMAS:
            data = load(dataset, split="test", n=samples, seed=seed) if dataset == "fashion" else \
                load(dataset, split="all", n=samples, seed=10_000 + seed)
        else:
            data = _folder(dataset, samples, seed)
        acc = attribute_accuracy(net.cpu().predict(data.images), data.labels)
        return {"attribute_accuracy": min(acc), **{f"accuracy_{a}": v for a, v in zip(schema(dataset), acc)},
                "samples": len(data), "seconds": round(time.perf_counter() - t0, 2)}
    judge = (judge or judge_for(dataset)).cpu().eval()
    real = real_images(dataset, samples, seed)
    gen = torch.Generator().manual_seed(seed)
    wanted = combos(dataset, False, samples, seed)
    fake = net.generate(wanted, generator=gen).cpu()
    result = {"prompt_accuracy": prompt_accuracy(judge.predict(fake), wanted), "heldout_accuracy": None}
    if HELDOUT.get(dataset):
        held = combos(dataset, True, samples, seed)
        result["heldout_accuracy"] = prompt_accuracy(judge.predict(net.generate(held, generator=gen).cpu()), held)
    f_real, f_fake = judge.embed(real), judge.embed(fake)
    pr = precision_recall(f_real, f_fake, k=3)
    result.update(fid=frechet_distance_features(f_real, f_fake), precision=float(pr.precision),
                  recall=float(pr.recall), diversity=diversity_ratio(f_fake, f_real), samples=samples,
                  seconds=round(time.perf_counter() - t0, 2))
    return result
