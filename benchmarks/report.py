"""Collect benchmarks/results/*.json into one markdown table: benchmarks/results/README.md."""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows = []
    for k, v in d.items():
        if k in ("machine", "date"):
            continue
        if isinstance(v, dict):
            rows += flatten(v, f"{prefix}{k}.")
        else:
            rows.append((f"{prefix}{k}", v))
    return rows


if __name__ == "__main__":
    lines = ["# Benchmark results", "", "Made by `make bench` (each figure measured; re-run to re-make).", ""]
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        m = data.get("machine", {})
        lines += [f"## {path.stem}", "", f"{data.get('date', '?')} · {m.get('cores', '?')} cores · {m.get('cpu', '?')} · "
                  f"device {m.get('device', '?')} · torch {m.get('torch', '?')}", "", "| key | value |", "| --- | --- |"]
        lines += [f"| `{k}` | {v} |" for k, v in flatten(data)] + [""]
    (RESULTS / "README.md").write_text("\n".join(lines))
    print(RESULTS / "README.md")
