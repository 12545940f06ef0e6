"""Grading a class: 30 submissions of lesson 02 with `t2ilab grade --jobs <cores>` -> results/grading.json.

The class: 24 right answers (the solution copy), 4 blank copies (the released student version), 2
with an unstable loss (log of sigmoid: wrong on logits near ±300). Timed end to end, as an
instructor runs it: the command, its sandbox processes, the solution's values, every submission.

Run: python benchmarks/bench_grading.py [--jobs N]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, write

import nbformat  # noqa: E402

from t2ilab.course.release import LESSONS, student_notebook  # noqa: E402

LESSON = "02_gan"
UNSTABLE = ("def my_discriminator_loss(real_logits, fake_logits):\n"
            "    return -torch.log(torch.sigmoid(real_logits)).mean() - torch.log(1 - torch.sigmoid(fake_logits)).mean()\n")


def make_class(root: Path, n: int = 30) -> dict[str, int]:
    source = nbformat.read(LESSONS / f"{LESSON}.ipynb", as_version=4)
    kinds = {"right": 24, "blank": 4, "unstable": 2}
    assert sum(kinds.values()) == n
    i = 0
    for kind, count in kinds.items():
        for _ in range(count):
            nb = nbformat.from_dict(json.loads(json.dumps(source)))
            if kind == "blank":
                nb = student_notebook(nb)
            elif kind == "unstable":
                cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "gan_d_loss_solution")
                cell.source = UNSTABLE
            (root / f"student{i:02d}").mkdir(parents=True)
            nbformat.write(nb, root / f"student{i:02d}" / f"{LESSON}.ipynb")
            i += 1
    return kinds


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "submitted", Path(tmp) / "grades"
        kinds = make_class(subs)
        load_before = os.getloadavg()
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "t2ilab.cli", "grade", str(subs), "--out", str(out),
                              "--jobs", str(a.jobs)], capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - start
        if run.returncode != 0:
            sys.exit(f"t2ilab grade failed:\n{run.stdout}\n{run.stderr}")
        rows = json.loads((out / "grades.json").read_text())
    totals: dict[str, float] = {}
    for r in rows:
        totals[r["student"]] = totals.get(r["student"], 0) + r["points"]
    sandbox = next((line for line in run.stdout.splitlines() if line.startswith("sandbox: ")), "")
    write("grading", {
        "seconds_for_30": round(seconds, 1),
        "seconds_per_submission": round(seconds / 30, 2),
        "target_seconds": 120,
        "meets_target": seconds < 120,
        "jobs": a.jobs,
        "lesson": LESSON,
        "class": kinds,
        "points": {"right (7/7 expected)": sorted({totals[f"student{i:02d}"] for i in range(24)}),
                   "blank (0 expected)": sorted({totals[f"student{i:02d}"] for i in range(24, 28)}),
                   "unstable (5/7 expected)": sorted({totals[f"student{i:02d}"] for i in range(28, 30)})},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "sandbox": sandbox.removeprefix("sandbox: "),
        "measured": "wall clock of `python -m t2ilab.cli grade SUBMISSIONS --out DIR --jobs N`, start to exit "
                    "(sandbox start-up, the solution's values, 30 submissions x 3 exercises x 3 hidden cases)",
    })


if __name__ == "__main__":
    main()
