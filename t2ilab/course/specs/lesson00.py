"""Grading spec of lesson 00 (Describe an image, get an image): two exercises on a prompt's attributes.

Each probe builds attribute dicts or prompts from `seed` (canonical values of the three built-in
datasets, some attributes open) and returns what the student's function makes of them.
"""
from t2ilab.course.spec import Exercise

SETUP = "import random\nimport torch\nfrom t2ilab.schema import schema\nfrom t2ilab.text import parse\n"

EXERCISES = [
    Exercise(
        grade_id="tour_caption_tests",
        solutions=["tour_caption_solution"],
        probe='''
def probe(seed):
    rng = random.Random(seed)
    value = []
    for dataset in ("shapes", "scenes", "fashion"):
        for _ in range(6):
            attrs = {a: (rng.choice(v) if rng.random() < 0.6 else None) for a, v in schema(dataset).items()}
            if rng.random() < 0.3:  # the dict's own order must be kept
                attrs = dict(reversed(list(attrs.items())))
            value.append(caption(attrs))
    return {"what": "18 attribute dicts of shapes, scenes and fashion, some values open, some in another order",
            "value": value}
''',
        cases=3,
    ),
    Exercise(
        grade_id="tour_open_tests",
        solutions=["tour_open_solution"],
        probe='''
def probe(seed):
    rng = random.Random(seed)
    neutral = {"shapes": "shape", "scenes": "scene", "fashion": "clothing"}
    value = []
    for dataset in ("shapes", "scenes", "fashion"):
        for _ in range(6):
            words = [rng.choice(v) for a, v in schema(dataset).items()  # one object at most (object2: none)
                     if a not in ("object2", "position2") and rng.random() < 0.5]
            rng.shuffle(words)
            got = open_choices("a " + " ".join(words + [neutral[dataset]]), dataset)
            value.append(list(got) if isinstance(got, (tuple, list)) else got)
    return {"what": "18 prompts of shapes, scenes and fashion naming some attributes and leaving the others open",
            "value": value}
''',
        cases=3,
    ),
]
