"""Judges: accuracy per attribute on fresh real images, and training time -> results/judges.json.

Trains each judge exactly as `make pretrained` does (same steps), timing it.
Run: python benchmarks/bench_judges.py
"""
from __future__ import annotations

import time

from common import write

from t2ilab.evaluate import evaluate
from t2ilab.pretrained import SHIPPED
from t2ilab.train.run import train

if __name__ == "__main__":
    result = {}
    for dataset in ("shapes", "scenes", "fashion"):
        kind, _, steps, options = SHIPPED[f"{dataset}-judge"]
        t0 = time.perf_counter()
        judge, _ = train("judge", dataset, steps=steps, progress=False, **options)
        seconds = time.perf_counter() - t0
        scores = evaluate(judge, samples=5000 if dataset != "fashion" else 10000, judge=judge)
        result[dataset] = {"attribute_accuracy": round(scores["attribute_accuracy"], 4),
                           **{k: round(v, 4) for k, v in scores.items() if k.startswith("accuracy_")},
                           "train_seconds": round(seconds, 1), "train_steps": steps}
    write("judges", result)
