"""The one exception type for a user's mistake: the CLI prints its message as one line."""


class T2ILabError(Exception):
    """A mistake a user can fix. The message says what was wrong and how to fix it, in one line."""
