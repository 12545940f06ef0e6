"""t2ilab: describe an image in words, get one, and learn every equation that made it.

Importing the package loads nothing heavy, so that `t2ilab --help` and `t2ilab parse` answer
without torch. The device and torch's CPU threads live in `t2ilab.device`, which every module
that uses torch imports (setting the threads when it is first imported).
"""
from __future__ import annotations

from .errors import T2ILabError

__version__ = "0.1.0"

__all__ = ["T2ILabError", "__version__"]
