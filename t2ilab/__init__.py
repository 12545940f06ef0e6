"""t2ilab: describe an image in words, get one, and learn every equation that made it."""
from __future__ import annotations

__version__ = "0.1.0"

from .device import device, set_threads  # noqa: E402
from .errors import T2ILabError  # noqa: E402

set_threads()

__all__ = ["device", "set_threads", "T2ILabError", "__version__"]
