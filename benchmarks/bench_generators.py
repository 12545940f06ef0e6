"""Time to quality for the GAN and the VAE -> results/gan.json and results/vae.json.

For each model: trained from scratch on `shapes` with the default settings for 5, 10, 15, 30 and
60 s (one run each, seed 0, since the learning-rate decay follows the budget), each evaluated with
`t2ilab evaluate`'s metrics; then the shipped models' `evaluate` output, and the source articles' prompt on
`scenes-vae` and `scenes-gan`. A mark is the wall-clock seconds of the whole `train()` call:
loading the data and building the model come out of it, as in `t2ilab train --seconds` (which also
counts importing torch, about 2 s more). Each mark records the load average before it ran (the
machine may be shared: a loaded machine gives pessimistic marks) and the CPU seconds it used.
`steps_to_quality` (the steps of the first mark with seen and held-out accuracy >= 0.95) is what
t2ilab/train/quality.py's table holds.
`by_steps` (`python benchmarks/bench_generators.py steps [vae|gan]`): accuracy after fixed step budgets, which a
loaded machine does not change (only their seconds).
`by_machine` (`python benchmarks/bench_generators.py machine [vae|gan]`): the same marks on another
machine (another CPU, or a GPU), kept under its name beside the record's own machine.
`python benchmarks/bench_generators.py shipped [vae|gan]`: only the shipped models' scores, the source
prompt and the two-object prompts (`scenes_two_objects_correct`, of 100 each), no training; for the
VAE also `fashion_vae_judge_ceiling`, what the judge reads on real test garments and on fashion-vae's
reconstructions of them.
Run: python benchmarks/bench_generators.py [gan|vae]
"""
from __future__ import annotations

import sys
import time

import torch
from common import write

from t2ilab import hub
from t2ilab.evaluate import evaluate, judge_for
from t2ilab.metrics import prompt_accuracy
from t2ilab.text import labels_for
from t2ilab.train.run import train

MARKS = (5, 10, 15, 30, 60)
SOURCE_PROMPTS = ("a grassland under a blue sky with a tree in the middle", "我想要一个蓝天下的大草原，中间有一棵树")
TWO_OBJECT_PROMPTS = ("a house on the left and a tree on the right", "左边有一座房子，右边有一棵树",
                      "a snowy field at night with a tree on the left and the sun in the middle",  # held out
                      "a house and a tree")                                                        # places open


def rounded(d: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()}


def time_to_quality(kind: str) -> dict:
    marks = {}
    for seconds in MARKS:
        load = open("/proc/loadavg").read().split()[0]
        t0, cpu = time.perf_counter(), time.process_time()
        model, history = train(kind, "shapes", seconds=seconds, seed=0, progress=False, started=t0)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu
        scores = evaluate(model, samples=1000)
        marks[str(seconds)] = {"prompt_accuracy": round(scores["prompt_accuracy"], 4),
                               "heldout_accuracy": round(scores["heldout_accuracy"], 4),
                               "steps": history.steps[-1] if history.steps else 0,
                               "training_seconds": round(history.seconds[-1], 2) if history.seconds else 0.0,
                               "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "load_avg_1min": float(load)}
        print(kind, seconds, marks[str(seconds)], flush=True)
    return marks


def quality_by_steps(kind: str, budgets: tuple[int, ...]) -> dict:
    """Prompt accuracy after step budgets (default settings, seed 0): what a budget in steps gives,
    whatever the machine's load; with the training seconds and CPU seconds it took here."""
    out = {}
    for steps in budgets:
        load = float(open("/proc/loadavg").read().split()[0])
        cpu = time.process_time()
        model, history = train(kind, "shapes", steps=steps, seed=0, progress=False)
        scores = evaluate(model, samples=1000)
        out[str(steps)] = {"prompt_accuracy": round(scores["prompt_accuracy"], 4),
                           "heldout_accuracy": round(scores["heldout_accuracy"], 4),
                           "training_seconds": round(history.seconds[-1], 2),
                           "cpu_seconds": round(time.process_time() - cpu, 2), "load_avg_1min": load,
                           "threads": torch.get_num_threads()}
        print(kind, steps, "steps", out[str(steps)], flush=True)
    return out


STEP_BUDGETS = {"vae": (1000, 1500), "gan": (700, 1000)}


def steps_to_quality(marks: dict) -> int | None:
    """The steps of the first mark at which seen and held-out prompt accuracy are both >= 0.95."""
    good = [m for m in marks.values() if min(m["prompt_accuracy"], m["heldout_accuracy"]) >= 0.95]
    return good[0]["steps"] if good else None


def source_prompt(name: str, n: int = 100) -> dict:
    """Of 100 samples of the source prompt (English and Chinese) from model `name`, how many the judge reads as that scene."""
    model, judge = hub.load(name), judge_for("scenes")
    out = {}
    for i, prompt in enumerate(SOURCE_PROMPTS):
        labels = labels_for(prompt, "scenes", n=n, seed=i)
        images = model.generate(labels, generator=torch.Generator().manual_seed(i))
        out["english" if i == 0 else "chinese"] = round(prompt_accuracy(judge.predict(images), labels) * n)
    return out


def two_objects(name: str, n: int = 100) -> dict:
    """Of 100 samples of each two-object prompt from model `name`, how many the judge reads with
    every attribute right (both objects in their places)."""
    model, judge = hub.load(name), judge_for("scenes")
    out = {}
    for i, prompt in enumerate(TWO_OBJECT_PROMPTS):
        labels = labels_for(prompt, "scenes", n=n, seed=i)
        images = model.generate(labels, generator=torch.Generator().manual_seed(i))
        out[prompt] = round(prompt_accuracy(judge.predict(images), labels) * n)
    return out


def reconstruction_ceiling(name: str, n: int = 5000) -> dict:
    """What the judge reads on n real test images and on the VAE `name`'s reconstructions of them
    (z = μ, the code the encoder gives each image): no prior can make samples the judge reads
    better than the decoder draws its best codes."""
    from t2ilab.data import load

    model, test = hub.load(name), load(hub.manifest()[name]["dataset"], split="test")
    judge = judge_for(model.dataset)
    x, y = test.images[:n], test.labels[:n]
    with torch.no_grad():
        mu, _ = model.encode(x, model.condition(y))
        recon = torch.sigmoid(model.decode(mu, model.condition(y)))
    return {"real_test_images": round(prompt_accuracy(judge.predict(x), y), 4),
            "reconstructions": round(prompt_accuracy(judge.predict(recon), y), 4), "images": n}


def shipped_quality(kind: str) -> dict:
    """The shipped models' `evaluate` output and the scenes prompts (no training: machine-independent)."""
    result = {"shipped": {name: rounded(evaluate(name)) for name, e in hub.manifest().items() if e["kind"] == kind}}
    if kind == "vae" and "fashion-vae" in hub.manifest():
        result["fashion_vae_judge_ceiling"] = reconstruction_ceiling("fashion-vae")
    if f"scenes-{kind}" in hub.manifest():
        result["scenes_source_prompt_correct"] = source_prompt(f"scenes-{kind}")
        result["scenes_two_objects_correct"] = two_objects(f"scenes-{kind}")
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["shipped"]:  # only the shipped models, merged into the last results
        import json

        from common import RESULTS

        for kind in sys.argv[2:] or ["vae", "gan"]:
            path = RESULTS / f"{kind}.json"
            new = {**json.loads(path.read_text()), **shipped_quality(kind), "shipped_date": time.strftime("%Y-%m-%d")}
            path.write_text(json.dumps(new, indent=2) + "\n")
            print(json.dumps({k: v for k, v in new.items() if k.startswith(("shipped", "scenes", "fashion"))}, indent=2))
        sys.exit()
    if sys.argv[1:2] == ["steps"]:  # only the step budgets, merged into the last results
        import json

        from common import RESULTS

        for kind in sys.argv[2:] or ["vae", "gan"]:
            old = json.loads((RESULTS / f"{kind}.json").read_text())
            machine = old.pop("machine", None)
            old.pop("date", None)
            write(kind, {**old, "by_steps": quality_by_steps(kind, STEP_BUDGETS[kind]), "marks_machine": machine})
        sys.exit()
    if sys.argv[1:2] == ["machine"]:  # only the marks, under this machine's name
        import json

        from common import RESULTS, machine

        here = machine()
        name = here["device"] if here["device"] != "cpu" else f'{here["cpu"]}, {here["cores"]} cores'
        for kind in sys.argv[2:] or ["vae", "gan"]:
            old = json.loads((RESULTS / f"{kind}.json").read_text())
            marks = time_to_quality(kind)
            others = {**old.get("by_machine", {}), name: {"shapes": marks, "steps_to_quality": steps_to_quality(marks),
                                                           "machine": here}}
            path = RESULTS / f"{kind}.json"
            path.write_text(json.dumps({**old, "by_machine": others}, indent=2) + "\n")
            print(json.dumps(others[name], indent=2))
        sys.exit()
    for kind in sys.argv[1:] or ["vae", "gan"]:
        quality = shipped_quality(kind)
        marks = time_to_quality(kind)
        write(kind, {"shapes": marks, "steps_to_quality": steps_to_quality(marks), **quality})
