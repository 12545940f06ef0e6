"""`python -m t2ilab ...`: the same as the `t2ilab` command."""
from .cli import console

console()
