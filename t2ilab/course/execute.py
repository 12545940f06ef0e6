"""`make notebooks`: execute lessons in place, then strip widget state (it breaks static rendering).

    python -m t2ilab.course.execute lessons/*.ipynb
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def strip_widget_state(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove saved widget state; widget outputs keep their plain-text/image fallback."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("widgets", None)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data and len(data) > 1:
                data.pop("application/vnd.jupyter.widget-view+json")
    return nb


def execute(path: Path, timeout: int = 900) -> float:
    """Run every cell of a notebook from its own folder and save it; returns seconds taken."""
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(strip_widget_state(nb), path)
    return time.perf_counter() - t0


def main(paths: list[str]) -> None:
    for p in paths:
        print(f"{p}: executed in {execute(Path(p)):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
