"""Training: the one loop (`loop.fit`), a step function per model, schedules, batches, `run` (`t2ilab train`)."""
from __future__ import annotations

from .. import device  # noqa: F401  (sets torch's threads when first imported)
