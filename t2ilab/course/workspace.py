"""`t2ilab workspace`: the student's own copies of the lessons. Never overwrites a student's work.

What counts as work is the cells' sources (and their types and order), not the file: running a
lesson and saving it changes only outputs, and that is not an edit. A record
(`.t2ilab-workspace.json`) keeps, for every file workspace wrote, the digest of the sources it
wrote. On an update:

- a lesson whose sources are still the ones handed out is replaced by the new version (outputs
  are not work);
- an edited lesson is kept; when the lesson has changed since it was handed out, the new version
  is written beside it as `NAME.new.ipynb` — but
  only where that file is missing or is itself workspace's own untouched copy; otherwise the next
  free `NAME.new2.ipynb`, `NAME.new3.ipynb`, ...
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat

from ..errors import T2ILabError
from .release import LESSONS, lesson_paths, student_notebook

RECORD = ".t2ilab-workspace.json"


def sources_digest(nb: nbformat.NotebookNode) -> str:
    """sha256 of a notebook's cell types and sources, in order: what a student can have edited."""
    cells = [[cell.cell_type, cell.source] for cell in nb.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def _file_digest(path: Path) -> str | None:
    """The sources digest of a notebook file; None when it is not a readable notebook."""
    try:
        return sources_digest(nbformat.read(path, as_version=4))
    except Exception:  # noqa: BLE001 - a broken file is the student's; it is never overwritten
        return None


def _read_record(to: Path) -> dict[str, str]:
    """{file name: sources digest workspace wrote}; a record of the first format is converted."""
    path = to / RECORD
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return {}
    if isinstance(data, dict) and data.get("format") == 2:
        return dict(data.get("written", {}))
    written = {}  # format 1: {name: sha256 of the file's bytes as handed out}
    for name, sha in (data.items() if isinstance(data, dict) else []):
        f = to / name
        if f.exists() and hashlib.sha256(f.read_bytes()).hexdigest() == sha and (d := _file_digest(f)):
            written[name] = d
    return written


def _new_version(dst: Path, text: str, digest: str, written: dict[str, str]) -> str:
    """Write the new version of an edited lesson beside it; returns the one-line report."""
    stem = dst.name[: -len(".ipynb")]
    for k in range(1, 100):
        new = dst.with_name(f"{stem}.new{'' if k == 1 else k}.ipynb")
        current = _file_digest(new) if new.exists() else None
        if current == digest:  # already there
            written[new.name] = digest
            return f"kept your edited copy; a newer version is in {new.name}"
        if not new.exists() or (current is not None and written.get(new.name) == current):
            new.write_text(text)
            written[new.name] = digest
            return f"kept your edited copy; the new version is {new.name}"
    return "kept your edited copy; a newer version exists but every NAME.newK.ipynb is taken: move some away"


def workspace(to: str | Path = "workspace", lessons: Path | None = None) -> dict[str, str]:
    """Copy student versions of the lessons into `to`; returns {notebook: what happened}."""
    lessons = LESSONS if lessons is None else Path(lessons)
    sources = lesson_paths(lessons)
    to = Path(to)
    if to.exists() and not to.is_dir():
        raise T2ILabError(f"{to} is a file, not a folder: pass --to a folder for the lessons")
    to.mkdir(parents=True, exist_ok=True)
    written = _read_record(to)
    report = {}
    for src in sources:
        dst = to / src.name
        nb = student_notebook(nbformat.read(src, as_version=4))
        text, digest = nbformat.writes(nb), sources_digest(nb)
        current = _file_digest(dst) if dst.exists() else None
        if not dst.exists():
            dst.write_text(text)
            written[dst.name], report[src.name] = digest, "added"
        elif current == digest:  # the version handed out, perhaps run and saved: leave it as it is
            written[dst.name], report[src.name] = digest, "unchanged"
        elif current is not None and written.get(dst.name) == current:  # not touched since handed out
            dst.write_text(text)
            written[dst.name], report[src.name] = digest, "updated"
        elif written.get(dst.name) == digest:  # edited, and the lesson has not changed since it was handed out
            report[src.name] = "kept your edited copy (no newer version)"
        else:  # the student's work (or a file workspace did not write): keep it, the new version beside it
            report[src.name] = _new_version(dst, text, digest, written)
    (to / RECORD).write_text(json.dumps({"format": 2, "written": written}, indent=1, sort_keys=True))
    return report
