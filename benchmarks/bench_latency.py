"""Generation latency for one image, training throughput per shipped model, and how close a
training step runs to the machine -> results/latency.json.

"step_efficiency": the FLOPs of one training step (forward and backward of every network it runs,
counted by torch.utils.flop_counter.FlopCounterMode), its measured time, the GFLOP/s that makes,
and that against the fp32 matmul rate of these cores (a 1024x1024 torch.mm, best of 20).
Run: python benchmarks/bench_latency.py [efficiency]
"""
from __future__ import annotations

import statistics
import sys
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


def matmul_gflops(n: int = 1024, repeats: int = 20) -> float:
    """The fp32 matmul rate of these cores, GFLOP/s: 2 n^3 FLOPs per n x n product, the best of `repeats`."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def step_efficiency(kind: str, peak: float, steps: int = 60) -> dict:
    """FLOPs of one default training step of `kind` on shapes, its time, GFLOP/s and the fraction of `peak`."""
    from torch.utils.flop_counter import FlopCounterMode

    from t2ilab.data import load

    data = load("shapes", n=2000, seed=0)
    flops = {}
    for counted_steps in (1, 2):
        counter = FlopCounterMode(display=False)
        with counter:
            train(kind, "shapes", steps=counted_steps, progress=False, data=data)
        flops[counted_steps] = counter.get_flop_counts()["Global"]
    # two steps minus one: what a run does once (the GAN's 20 passes of 256 images that measure the
    # averaged generator's BatchNorm statistics again, 48 GFLOP) cancels out
    per_step = {op: n - flops[1].get(op, 0) for op, n in flops[2].items()}
    counted = sum(per_step.values())
    _, history = train(kind, "shapes", steps=steps, progress=False, data=data)
    seconds = (history.seconds[-1] - history.seconds[9]) / (steps - 10)  # after 10 warm-up steps
    by_op = {str(k): v for k, v in sorted(per_step.items(), key=lambda kv: -kv[1])[:5]}
    return {"mflop_per_step": round(counted / 1e6, 1), "ms_per_step": round(seconds * 1000, 2),
            "gflops": round(counted / seconds / 1e9, 2), "fraction_of_matmul_rate": round(counted / seconds / 1e9 / peak, 3),
            "top_ops_mflop": {k: round(v / 1e6, 1) for k, v in by_op.items()}}


PROMPTS = {"shapes": "a big red circle on the left", "scenes": "a grassland under a blue sky with a tree in the middle",
           "fashion": "an ankle boot"}

def efficiency() -> dict:
    peak = matmul_gflops()
    return {"matmul_gflops": round(peak, 1), **{kind: step_efficiency(kind, peak) for kind in ("vae", "gan")},
            "load_avg": open("/proc/loadavg").read().split()[:3]}


if __name__ == "__main__":
    if sys.argv[1:] == ["efficiency"]:  # only the step efficiency, merged into the last results
        import json

        from common import RESULTS

        old = json.loads((RESULTS / "latency.json").read_text())
        old.pop("machine", None), old.pop("date", None)
        write("latency", {**old, "step_efficiency": efficiency()})
        sys.exit()
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
    result["step_efficiency"] = efficiency()
    write("latency", result)
