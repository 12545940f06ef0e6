"""Lesson tooling: executing notebooks, student versions, the student workspace, self-checks."""
