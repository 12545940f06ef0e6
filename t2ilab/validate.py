"""Shared checks of what a user types: seeds, counts, budgets, output paths.

One function per kind of value, so that every command and library function that takes a seed
(or a count, or a file to write) refuses the same mistakes with the same one line, before any
long work starts.
"""
from __future__ import annotations

import math
import os
import stat
import tempfile
from pathlib import Path

from .errors import T2ILabError

SEED_MAX = 2**63 - 1   # torch.manual_seed takes a 64-bit integer
MARK = "t2ilab"        # written into every image t2ilab saves (PNG text "Software", JPEG comment)


def check_seed(seed, name: str = "seed") -> int:
    """A seed: a whole number from 0 to 2**63 - 1."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise T2ILabError(f"{name} must be a whole number from 0 to {SEED_MAX} (2**63 - 1), got {seed!r}: "
                          + (f"try {name} 0" if name.startswith("--") else f"try {name}=0"))
    return seed


def check_count(value, name: str, low: int, high: int, hint: str = "") -> int:
    """A whole number from `low` to `high` (both included)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise T2ILabError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}"
                          + (f": {hint}" if hint else ""))
    return value


def check_number(value, name: str, low: float, high: float, hint: str = "") -> float:
    """A finite number with low < value <= high (not NaN, not infinite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low < value <= high:
        raise T2ILabError(f"{name} must be a number above {low:g} and at most {high:g}, got {value!r}"
                          + (f": {hint}" if hint else ""))
    return float(value)


def _first_existing(path: Path) -> Path:
    """`path` or the nearest ancestor that exists."""
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _check_writable_dir(folder: Path, what: str, shown: Path) -> None:
    """`folder` (which may not exist yet) can be created and written to: checked by a real write."""
    base = _first_existing(folder)
    if not base.is_dir():
        raise T2ILabError(f"{what} {shown} is under {base}, which is a file, not a folder: choose another path")
    if not os.access(base, os.W_OK | os.X_OK):
        raise T2ILabError(f"{what} {shown} cannot be written: {base} is read-only for you; choose another path")
    try:  # permissions are not the whole story (read-only mounts, /sys, quotas): try it
        fd, probe = tempfile.mkstemp(prefix=".t2ilab-probe.", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise T2ILabError(f"{what} {shown} cannot be written: {base} refuses new files ({e.strerror}); "
                          "choose another path") from None


def written_by_t2ilab(path: str | Path) -> bool:
    """Whether `path` is an image t2ilab saved (it carries MARK), which t2ilab may write again."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            marks = [im.info.get("Software"), im.info.get("comment")]
    except Exception:  # not an image, unreadable: not ours
        return False
    return any(m in (MARK, MARK.encode()) for m in marks)


def check_output_file(path: str | Path, suffixes: tuple[str, ...] = (), what: str = "output",
                      force: bool = False) -> Path:
    """A file a command is about to write: not a folder, not a special file, in a writable place;
    an existing file only if t2ilab wrote it (an image carrying MARK) or `force` says to replace it."""
    path = Path(path).expanduser()
    if str(path) in ("", ".") or (str(path).endswith(("/", os.sep))):
        raise T2ILabError(f"{what} {str(path)!r} is a folder, not a file name: give a file such as out.png")
    if path.is_dir():
        raise T2ILabError(f"{what} {path} is a folder, not a file: give a file inside it, e.g. {path / 'out.png'}")
    if path.exists() or path.is_symlink():
        try:
            mode = path.stat().st_mode
        except OSError as e:
            raise T2ILabError(f"{what} {path} cannot be used ({e.strerror}): choose another file") from None
        if not stat.S_ISREG(mode):
            raise T2ILabError(f"{what} {path} is a special file (a device, pipe or socket), not a regular file: "
                              "choose another file")
        if not os.access(path, os.W_OK):
            raise T2ILabError(f"{what} {path} is read-only: choose another file or make it writable")
        if not force and not written_by_t2ilab(path):
            raise T2ILabError(f"{what} {path} already exists and t2ilab did not write it: choose another file, "
                              "or pass --force to replace it")
    if suffixes and path.suffix.lower() not in suffixes:
        raise T2ILabError(f"{what} {path} must end in {' or '.join(suffixes)}")
    _check_writable_dir(path.parent, what, path)
    return path


def check_output_dir(path: str | Path, what: str = "output folder") -> Path:
    """A folder a command is about to write into: not a file, creatable and writable."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise T2ILabError(f"{what} {path} is a file, not a folder: choose a folder name")
    if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
        raise T2ILabError(f"{what} {path} is read-only for you: choose another folder")
    _check_writable_dir(path, what, path)
    return path


def file_mode() -> int:
    """The mode a new file gets under the current umask (0o644 with the usual 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def temporary(path: Path) -> Path:
    """A new, unique temporary file next to `path` (same folder, so a rename is atomic), mode per umask."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, file_mode())
    os.close(fd)
    return Path(name)


def replace(tmp: Path, path: Path) -> None:
    """Move a finished temporary file onto `path` atomically, with the usual file mode."""
    os.chmod(tmp, file_mode())
    os.replace(tmp, path)
