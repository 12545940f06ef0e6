"""A corner said as two positions: "at the top on the left" is the top left corner.

The lexicon knows "top left", "bottom right corner" and 左上角 as one phrase each; a prompt may also
name the two sides apart ("a red circle at the bottom, on the right", "在下面的右边"). One of top and
bottom with one of left and right is that corner; any other pair of positions stays a clash.
"""
from __future__ import annotations

VERTICAL, HORIZONTAL = ("top", "bottom"), ("left", "right")


def combine(found: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The (attribute, value, words) phrases of a prompt, with one vertical and one horizontal
    position (and no other) replaced by their corner, where the first of them was said."""
    said = [(i, value, words) for i, (attr, value, words) in enumerate(found) if attr == "position"]
    values = {value for _, value, _ in said}
    if len(values) != 2 or not (values & set(VERTICAL) and values & set(HORIZONTAL)):
        return found
    corner = f"{(values & set(VERTICAL)).pop()} {(values & set(HORIZONTAL)).pop()}"
    first = said[0][0]
    words = " + ".join(dict.fromkeys(w for _, _, w in said))
    return [("position", corner, words) if i == first else f
            for i, f in enumerate(found) if i == first or f[0] != "position"]
