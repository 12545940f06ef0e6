"""Time rendering 10,000 `shapes` and 10,000 `scenes` images (best of 3) -> results/data.json.

Run: python benchmarks/bench_data.py
"""
from __future__ import annotations

from common import best_of, write

from t2ilab.data import scenes, shapes

if __name__ == "__main__":
    write("data", {"shapes_10k_seconds": round(best_of(lambda: shapes(10000)), 4),
                   "scenes_10k_seconds": round(best_of(lambda: scenes(10000)), 4)})
