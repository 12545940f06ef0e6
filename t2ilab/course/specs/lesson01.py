"""Grading spec of lesson 01 (From words to conditioning): the tokenizer, the synonym normaliser, the embedding lookup.

Each probe draws its inputs from `seed`: prompts made of the lexicon's words (both languages, with
separators), phrases of every dataset in other cases and with spaces, random label rows and tables.
"""
from t2ilab.course.spec import Exercise

SETUP = ("import random\nimport torch\nfrom t2ilab.schema import schema\n"
         "from t2ilab.text.lexicon import NEUTRAL, SYNONYMS\nfrom t2ilab.text.tokenize import chinese_words\n")

EXERCISES = [
    Exercise(
        grade_id="prompts_tokenize_tests",
        solutions=["prompts_tokenize_solution"],
        forbidden=["t2ilab.text.tokenize.tokenize", "t2ilab.text.tokenize.segment"],
        probe='''
def probe(seed):
    rng = random.Random(seed)
    words = chinese_words()
    pool = sorted(words) + ["circle", "Red", "big", "t-shirt", "ankle boot", "2", "x9", "猫", "狗", "!", ", ", "  "]
    texts = ["".join(rng.choice(pool) + rng.choice(["", " ", "-", "，"]) for _ in range(rng.randint(1, 8)))
             for _ in range(20)]
    chars = "甲乙丙丁戊己庚辛"
    small = {"".join(rng.choice(chars) for _ in range(rng.randint(1, 4))) for _ in range(6)}
    text = "".join(rng.choice(chars) for _ in range(12))
    return {"what": "20 prompts mixing the lexicon's Chinese words with English words and separators, "
                    "and a Chinese text with a small random dictionary",
            "value": [my_tokenize(t, words) for t in texts] + [my_tokenize(text, small)]}
''',
        cases=3,
    ),
    Exercise(
        grade_id="prompts_normalise_tests",
        solutions=["prompts_normalise_solution"],
        forbidden=["t2ilab.text.lexicon.phrases", "t2ilab.text.parse.parse", "t2ilab.text.parse._lookup"],
        probe='''
def probe(seed):
    rng = random.Random(seed)
    value = []
    for dataset in ("shapes", "scenes", "fashion"):
        known = [p for attr, values in schema(dataset).items() if attr not in ("object2", "position2")
                 for v in values for p in [v, *SYNONYMS[dataset][attr].get(v, [])]]
        unknown = [w for w in ["sky", "cat", "please", "blu", "reds", "", *NEUTRAL[dataset][:4]] if w not in known]
        for _ in range(12):
            p = rng.choice(known) if rng.random() < 0.8 else rng.choice(unknown)
            p = rng.choice([p, p.upper(), f"  {p} ", p.title()])
            value.append(repr(my_normalise(p, dataset)))
    return {"what": "36 phrases of shapes, scenes and fashion (synonyms in both languages, other cases, spaces, "
                    "some unknown)", "value": value}
''',
        cases=3,
    ),
    Exercise(
        grade_id="prompts_embed_tests",
        solutions=["prompts_embed_solution"],
        forbidden=["t2ilab.text.encoder.TextEncoder"],
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    a, d, b = (int(torch.randint(lo, hi, (1,), generator=g)) for lo, hi in ((1, 5), (1, 6), (1, 12)))
    sizes = [int(torch.randint(2, 8, (1,), generator=g)) for _ in range(a)]
    tables = [torch.randn(k, d, generator=g).requires_grad_() for k in sizes]
    labels = torch.stack([torch.randint(k, (b,), generator=g) for k in sizes], 1)
    concat, summed = my_embed(labels, tables), my_embed(labels, tables, mode="sum")
    grads = torch.autograd.grad(concat.sum() + 2 * summed.sum(), tables)
    return {"what": f"{b} label rows over {a} attributes, random tables of {d} numbers per value",
            "value": {"concat": concat.detach(), "sum": summed.detach(), "gradients of the tables": list(grads)}}
''',
        cases=3,
    ),
]
