"""What every benchmark shares: the machine it ran on, timing, and writing results/NAME.json."""
from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402


def best_of(fn, repeats: int = 3) -> float:
    """The fastest of `repeats` wall-clock timings of fn(), in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def machine() -> dict:
    """Cores, CPU model, device and torch version: what the numbers were measured on."""
    from t2ilab.device import device

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dev = device()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cores": cores, "cpu": cpu, "threads": torch.get_num_threads(),
            "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else dev.type, "torch": torch.__version__}


def write(name: str, result: dict) -> dict:
    """Stamp `result` with the machine and date and write benchmarks/results/NAME.json."""
    result = {**result, "machine": machine(),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result
