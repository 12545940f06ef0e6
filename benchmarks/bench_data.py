"""Time rendering 10,000 `shapes` and 10,000 `scenes` images (best of 3) -> benchmarks/results/data.json.

Run: python benchmarks/bench_data.py
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from t2ilab.data import scenes, shapes  # noqa: E402


def best_of(fn, repeats: int = 3) -> float:
    """The fastest of `repeats` wall-clock timings of fn(), in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def machine() -> dict:
    """Cores, CPU model and torch version: what the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cores": cores, "cpu": cpu, "device": "cpu", "torch": torch.__version__}


def main() -> dict:
    result = {
        "shapes_10k_seconds": round(best_of(lambda: shapes(10000)), 4),
        "scenes_10k_seconds": round(best_of(lambda: scenes(10000)), 4),
        "machine": machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    out = ROOT / "benchmarks" / "results" / "data.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
