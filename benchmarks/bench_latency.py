"""Generation latency for one image and training throughput per shipped model -> results/latency.json.

Run: python benchmarks/bench_latency.py
"""
from __future__ import annotations

import statistics
import time

import torch
from common import write

from t2ilab import hub
from t2ilab.generate import generate, get_model
from t2ilab.train.run import train


def generate_one_ms(name: str, prompt: str, repeats: int = 200) -> float:
    """Median time of `t2ilab.generate.generate` for one image: parse, labels, one forward pass."""
    get_model(name)  # load once, as a notebook would
    for _ in range(10):
        generate(prompt, model=name, n=1)
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        generate(prompt, model=name, n=1, seed=i)
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 3)


PROMPTS = {"shapes": "a big red circle on the left", "scenes": "a grassland under a blue sky with a tree in the middle",
           "fashion": "an ankle boot"}

if __name__ == "__main__":
    shipped = {n: e for n, e in hub.manifest().items() if e["kind"] != "judge"}
    result = {"generate_one_ms": {n: generate_one_ms(n, PROMPTS[e["dataset"]]) for n, e in shipped.items()},
              "train_images_per_second": {}}
    for kind in ("vae", "gan", "judge"):
        for dataset in ("shapes", "fashion"):
            batch = {"judge": 128}.get(kind, 64)
            options = {"batch": batch} if kind == "judge" or kind == "vae" else {"batch": batch, "batch_end": None}
            _, history = train(kind, dataset, steps=200, progress=False, **options)
            # skip the first 50 steps (warm-up): images / second over the rest
            dt = history.seconds[-1] - history.seconds[49]
            result["train_images_per_second"][f"{dataset}-{kind}"] = round(150 * batch / dt)
    result["torch_threads"] = torch.get_num_threads()
    write("latency", result)
