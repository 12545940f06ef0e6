"""Wall time of the command line, start-up included -> results/cli.json.

`t2ilab --help` and `t2ilab parse` should answer without torch; `t2ilab generate` one image of
shapes-gan within 1.5 s on a quiet 2-core machine (issue 15). Each command runs `REPEATS` times in
a fresh process; the first run is "cold" (after other work), the rest "warm" (files in the page
cache). The load average is recorded: on a busy machine these numbers mean little.

Run: python benchmarks/bench_cli.py
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import write

REPEATS = 5
COMMANDS = {
    "help": ["--help"],
    "parse": ["parse", "a red circle"],
    "generate_one": ["generate", "a red circle", "--model", "shapes-gan", "-n", "1", "--out", "{out}"],
}


def seconds(args: list[str]) -> float:
    """Wall time of one `python -m t2ilab.cli ARGS` in a fresh process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "t2ilab.cli", *args], check=True, capture_output=True)
    return time.perf_counter() - start


def torch_loaded(args: list[str]) -> bool:
    """Whether the command imports torch (read from `python -X importtime`)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "t2ilab.cli", *args], capture_output=True, text=True)
    return any(line.split("|")[-1].strip() == "torch" for line in out.stderr.splitlines())


if __name__ == "__main__":
    result = {"load_average_before": [round(x, 2) for x in os.getloadavg()], "seconds": {}, "imports_torch": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in COMMANDS.items():
            args = [a.replace("{out}", str(Path(tmp) / "x.png")) for a in args]
            times = [seconds(args) for _ in range(REPEATS)]
            result["seconds"][name] = {"cold": round(times[0], 3), "warm_median": round(statistics.median(times[1:]), 3),
                                       "warm_best": round(min(times[1:]), 3)}
            result["imports_torch"][name] = torch_loaded(args)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    result["target"] = "generate_one warm_median <= 1.5 s on a quiet machine; help and parse without torch"
    write("cli", result)
