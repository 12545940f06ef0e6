"""Time to quality for the GAN and the VAE -> results/gan.json and results/vae.json.

For each model: trained from scratch on `shapes` for 15, 30 and 60 s (three runs, since the
learning-rate decay follows the budget), each evaluated with `t2ilab evaluate`'s metrics; then the
shipped models' `evaluate` output, and for the VAE the source articles' prompt on `scenes-vae`.
Run: python benchmarks/bench_generators.py [gan|vae]
"""
from __future__ import annotations

import sys

import torch
from common import write

from t2ilab import hub
from t2ilab.evaluate import evaluate, judge_for
from t2ilab.metrics import prompt_accuracy
from t2ilab.text import labels_for
from t2ilab.train.run import train

MARKS = (15, 30, 60)
SOURCE_PROMPTS = ("a grassland under a blue sky with a tree in the middle", "我想要一个蓝天下的大草原，中间有一棵树")


def rounded(d: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()}


def time_to_quality(kind: str) -> dict:
    marks = {}
    for seconds in MARKS:
        model, history = train(kind, "shapes", seconds=seconds, seed=0, progress=False)
        scores = evaluate(model, samples=1000)
        marks[str(seconds)] = {"prompt_accuracy": round(scores["prompt_accuracy"], 4),
                               "heldout_accuracy": round(scores["heldout_accuracy"], 4),
                               "steps": history.steps[-1]}
        print(kind, seconds, marks[str(seconds)], flush=True)
    return marks


def source_prompt(n: int = 100) -> dict:
    """Of 100 samples of the source prompt (English and Chinese), how many the judge reads as that scene."""
    model, judge = hub.load("scenes-vae"), judge_for("scenes")
    out = {}
    for i, prompt in enumerate(SOURCE_PROMPTS):
        labels = labels_for(prompt, "scenes", n=n, seed=i)
        images = model.generate(labels, generator=torch.Generator().manual_seed(i))
        out["english" if i == 0 else "chinese"] = round(prompt_accuracy(judge.predict(images), labels) * n)
    return out


if __name__ == "__main__":
    for kind in sys.argv[1:] or ["vae", "gan"]:
        shipped = {name: rounded(evaluate(name)) for name, e in hub.manifest().items() if e["kind"] == kind}
        result = {"shapes": time_to_quality(kind), "shipped": shipped}
        if kind == "vae" and "scenes-vae" in hub.manifest():
            result["scenes_source_prompt_correct"] = source_prompt()
        write(kind, result)
