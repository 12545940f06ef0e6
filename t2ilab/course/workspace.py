"""`t2ilab workspace`: the student's own copies of the lessons. Never overwrites an edited notebook.

A record (`.t2ilab-workspace.json`) keeps the sha256 of each copy as it was handed out. On an
update, a notebook whose file still has that hash (untouched) is replaced; an edited one is kept
and the new version is written beside it as `NAME.new.ipynb`.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat

from .release import LESSONS, student_notebook

RECORD = ".t2ilab-workspace.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def workspace(to: str | Path = "workspace", lessons: Path = LESSONS) -> dict[str, str]:
    """Copy student versions of the lessons into `to`; returns {notebook: what happened}."""
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    record_path = to / RECORD
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    report = {}
    for src in sorted(lessons.glob("*.ipynb")):
        dst = to / src.name
        text = nbformat.writes(student_notebook(nbformat.read(src, as_version=4)))
        if not dst.exists():
            dst.write_text(text)
            report[src.name] = "added"
        elif record.get(src.name) == _digest(dst):
            if dst.read_text() != text:
                dst.write_text(text)
                report[src.name] = "updated"
            else:
                report[src.name] = "unchanged"
        else:  # the student edited it (or it predates the record): keep it, offer the new one beside it
            new = dst.with_suffix(".new.ipynb")
            new.write_text(text)
            report[src.name] = f"kept your edited copy; the new version is {new.name}"
            continue
        record[src.name] = _digest(dst)
    record_path.write_text(json.dumps(record, indent=1))
    return report
