"""Two objects in one scene: which position goes with which object, and which object is first.

"a house on the left and a tree on the right", "on the left a house, on the right a tree" and
"左边有一座房子，右边有一棵树" all say the same. A position belongs to the object just before it
when that object has none yet, otherwise to the next object. The first object (`object`,
`position`) is the one further left, so every picture has one label vector; an object without a
position keeps the place reading order gives it ("a house and a tree": the house on the left).
"""
from __future__ import annotations

from ..errors import T2ILabError
from .lexicon import number_word

ORDER = ["left", "middle", "right"]


def _pair(values: list[str]) -> str:
    return ", ".join(values[:-1]) + " and " + values[-1]


def bind(found: list[tuple[str, str, str]]) -> list[list]:
    """The (attribute, value, words) phrases of a prompt, in order -> [object or None, position or
    None] per object named (one entry with object None when only a position is named)."""
    objects: list[list] = []
    pending: str | None = None          # a position said before its object: "on the left a house"
    for attr, value, _ in found:
        if attr == "object":
            objects.append([value, pending])
            pending = None
        elif attr == "position":
            if objects and objects[-1][1] is None and pending is None:
                objects[-1][1] = value
            elif pending is None:
                pending = value
            else:
                raise T2ILabError(f"the prompt asks for two positions: {pending} and {value}; keep one, "
                                  "or name an object for each (a house on the left and a tree on the right)")
    if pending is not None:
        if not objects:
            return [[None, pending]]
        where = [p for _, p in objects if p] + [pending]
        raise T2ILabError(f"the prompt asks for {number_word(len(where))} positions ({_pair(where)}) "
                          f"for {number_word(len(objects))} object{'s' if len(objects) > 1 else ''}; give each object one "
                          "position (a house on the left and a tree on the right)")
    return objects or [[None, None]]


def place(found: list[tuple[str, str, str]]) -> dict[str, str | None]:
    """{object, position, object2, position2} of a scene prompt (None where it leaves one open)."""
    objects = bind(found)
    if len(objects) > 2:
        names = [o for o, _ in objects]
        raise T2ILabError(f"the prompt names {number_word(len(names))} objects ({_pair(names)}), "
                          "but a scene holds at most two; keep two")
    if len(objects) == 1:
        (first, where), = objects
        return {"object": first, "position": where, "object2": "none", "position2": "none"}
    (a, pa), (b, pb) = objects
    if "sun" == a == b:
        raise T2ILabError("the prompt names the sun twice, but the sky has one; keep one sun")
    if pa is not None and pa == pb:
        raise T2ILabError(f"the prompt puts the {a} and the {b} both {_at(pa)}; give each its own place: "
                          "left, middle or right")
    if pa is not None and pb is not None:
        first, second = sorted(objects, key=lambda o: ORDER.index(o[1]))
    elif pa is None and pb is None:
        first, second = objects                              # reading order: named first, further left
    else:
        placed, free = (objects[0], objects[1]) if pa is not None else (objects[1], objects[0])
        if placed[1] == "middle":                            # the other takes its side by reading order
            free = [free[0], "left" if free is objects[0] else "right"]
        first, second = (placed, free) if placed[1] == "left" or free[1] == "right" else (free, placed)
    return {"object": first[0], "position": first[1], "object2": second[0], "position2": second[1]}


def _at(position: str) -> str:
    return "in the middle" if position == "middle" else f"on the {position}"
