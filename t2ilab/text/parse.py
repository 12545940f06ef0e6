"""Free-form prompt (English or Chinese) -> the canonical attributes of a dataset.

The parser walks the tokens left to right and takes the longest lexicon phrase at each step
("ankle boot" before "boot"). Attribute phrases fix a value, neutral and stop words are skipped,
anything else is an error that names the word and the nearest known ones: never a silent guess.
"""
from __future__ import annotations

import difflib
import functools

from ..schema import SCHEMAS, FolderVocabulary, folder_vocabulary, schema
from ..errors import T2ILabError
from .lexicon import ATTRIBUTE_PLURALS, COUNT_WORDS, NEUTRAL, STOP_WORDS, number_word, phrases
from .corners import combine
from .objects import place
from .tokenize import is_chinese, tokenize

MAX_PROMPT_CHARS = 500
EXAMPLES = {"shapes": "a big red circle on the left",
            "scenes": "a grassland under a blue sky with a tree in the middle",
            "fashion": "an ankle boot"}
TWO_OBJECTS = {"scenes"}  # datasets whose prompts may name two objects, each at its own position
CORNERS = {"shapes"}      # datasets whose corners may be said as two positions

Entry = tuple[str, "str | None", "str | None"]  # (kind: attr | neutral | stop | count, attribute, value)


def _table(dataset: str) -> tuple[dict[tuple[str, ...], Entry], int]:
    """Token tuple of every phrase a dataset knows -> its entry; and the longest phrase in tokens."""
    if dataset in SCHEMAS:
        return _builtin_table(dataset)
    vocab = folder_vocabulary(dataset)
    if vocab is None:
        schema(dataset)  # raises: unknown dataset
    if vocab.table is None:
        vocab.table = _folder_table(vocab)
    return vocab.table


def _common(table: dict[tuple[str, ...], Entry]) -> None:
    for w in STOP_WORDS:
        table[tuple(tokenize(w))] = ("stop", None, None)
    for w in COUNT_WORDS:
        table[tuple(tokenize(w))] = ("count", None, None)


def folder_phrases(vocab: FolderVocabulary) -> dict[str, tuple[str, str]]:
    """An image folder's prompts -> ("label", class): each caption, each class name ("sea_lions",
    "sea lions") and its singular ("sea lion")."""
    table = {text: ("label", value) for text, value in vocab.captions.items()}
    for value in vocab.labels:
        words = " ".join(tokenize(value))
        for phrase in {value, words, *(" ".join(words.split()[:-1] + [s]) for s in _singulars(words.split()[-1])
                                       if words)}:
            if phrase.strip():
                table[phrase] = ("label", value)
    return table


def _folder_table(vocab: FolderVocabulary) -> tuple[dict[tuple[str, ...], Entry], int]:
    table: dict[tuple[str, ...], Entry] = {}
    _common(table)
    for phrase, (attr, value) in folder_phrases(vocab).items():
        key = tuple(tokenize(phrase))
        if key:
            table[key] = ("attr", attr, value)
    return table, max(map(len, table))


@functools.cache
def _builtin_table(dataset: str) -> tuple[dict[tuple[str, ...], Entry], int]:
    table: dict[tuple[str, ...], Entry] = {}
    for w in STOP_WORDS:
        table[tuple(tokenize(w))] = ("stop", None, None)
    for w in COUNT_WORDS:
        table[tuple(tokenize(w))] = ("count", None, None)
    for w in NEUTRAL[dataset]:
        table[tuple(tokenize(w))] = ("neutral", None, None)
    for phrase, (attr, value) in phrases(dataset).items():
        table[tuple(tokenize(phrase))] = ("attr", attr, value)
    return table, max(map(len, table))


def _singulars(word: str) -> list[str]:
    """Candidate singulars of an English plural: boxes -> box, circles -> circle, skies -> sky."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return []
    out = [word[:-3] + "y"] if word.endswith("ies") else []
    return out + ([word[:-2]] if word.endswith("es") else []) + [word[:-1]]


def _lookup(table: dict[tuple[str, ...], Entry], span: list[str]) -> Entry | None:
    """The entry of a token span, trying its last word as a plural of a known word."""
    key = tuple(span)
    if key in table:
        return table[key]
    for singular in _singulars(span[-1]):
        entry = table.get(key[:-1] + (singular,))
        if entry is not None and entry[0] != "stop":
            return entry
    return None


def _scan(tokens: list[str], dataset: str) -> tuple[list[tuple[str, str, str]], int, list[str], list[str]]:
    """Longest-match walk: (attribute, value, words) per attribute phrase, the number of neutral
    words, the unknown words, the count words ("two", "3")."""
    table, longest = _table(dataset)
    found: list[tuple[str, str, str]] = []
    neutral, unknown, counts = 0, [], []
    i, last_unknown = 0, -2
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            entry = _lookup(table, tokens[i:i + n])
            if entry is not None:
                break
        if entry is None and tokens[i].isdecimal():  # "1 red circle" is fine, "3 red circles" a count
            entry, n = ("stop" if int(tokens[i]) == 1 else "count", None, None), 1
        if entry is None:  # adjacent unknown Chinese characters are one unknown word: 猫咪
            if last_unknown == i - 1 and is_chinese(tokens[i]) and is_chinese(unknown[-1]):
                unknown[-1] += tokens[i]
            elif tokens[i] not in unknown:
                unknown.append(tokens[i])
            last_unknown, i = i, i + 1
            continue
        kind, attr, value = entry
        if kind == "attr":
            words = tokens[i:i + n]
            found.append((attr, value, "".join(words) if any(map(is_chinese, words)) else " ".join(words)))
        if kind == "count":
            counts.append("".join(tokens[i:i + n]))
        neutral += kind == "neutral"
        i += n
    return found, neutral, unknown, counts


def check_prompt(prompt: str) -> list[str]:
    """The tokens of a prompt, or a T2ILabError when it is not text, empty, or too long."""
    if not isinstance(prompt, str):
        raise T2ILabError(f"the prompt must be text (a str), got {type(prompt).__name__}; "
                          f"write it in quotes, e.g. \"{EXAMPLES['shapes']}\"")
    if not prompt.strip():
        raise T2ILabError(f"the prompt is empty; describe the image, e.g. \"{EXAMPLES['shapes']}\"")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise T2ILabError(f"the prompt is {len(prompt)} characters long, over the limit of "
                          f"{MAX_PROMPT_CHARS}; shorten it to the attributes you want")
    tokens = tokenize(prompt)
    if not tokens:
        raise T2ILabError(f"the prompt {prompt.strip()!r} has no words; describe the image, "
                          f"e.g. \"{EXAMPLES['shapes']}\"")
    return tokens


def _owner(word: str, dataset: str) -> str | None:
    """Another built-in dataset in which `word` names an attribute value, if any."""
    for other in SCHEMAS:
        if other != dataset:
            entry = _lookup(_table(other)[0], tokenize(word) or [word])
            if entry is not None and entry[0] == "attr":
                return other
    return None


def _or(words: list[str]) -> str:
    quoted = [repr(w) for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def unknown_words_message(words: list[str], dataset: str) -> str:
    """One line naming each unknown word with the nearest known words (difflib) or its dataset."""
    vocab = None if dataset in SCHEMAS else folder_vocabulary(dataset)
    if vocab is not None:
        some = ", ".join(repr(v) for v in vocab.labels[:6]) + (", …" if len(vocab.labels) > 6 else "")
        close = difflib.get_close_matches(" ".join(words), sorted(folder_phrases(vocab)), n=3, cutoff=0.6)
        return (f"unknown word{'s' if len(words) > 1 else ''} {', '.join(map(repr, words))}: prompts of the image "
                f"folder {dataset} are its class names ({some}) or its captions"
                + (f"; did you mean {_or(close)}?" if close else ""))
    known = sorted({*phrases(dataset), *NEUTRAL[dataset]})
    lost, notes = [], []
    for w in words:
        owner = _owner(w, dataset)
        close = difflib.get_close_matches(w, known, n=3, cutoff=0.7)
        if owner:
            notes.append(f"{w!r} — a word of dataset {owner!r}, not {dataset!r}: remove it or use {owner!r}")
        elif close:
            notes.append(f"{w!r} — did you mean {_or(close)}?")
        else:
            lost.append(repr(w))
    if lost:
        some = [v for values in SCHEMAS[dataset].values() for v in values[:3]]
        notes.insert(0, f"{', '.join(lost)} ({dataset} prompts use words like {', '.join(some)}; "
                        f"all of them: t2ilab.text.lexicon.SYNONYMS[{dataset!r}])")
    return ("unknown word " if len(words) == 1 else "unknown words ") + "; ".join(notes)


def parse(prompt: str, dataset: str = "shapes") -> dict[str, str | None]:
    """Prompt -> {attribute: canonical value or None}, None where the prompt leaves it open."""
    attributes = schema(dataset)
    found, _, unknown, counts = _scan(check_prompt(prompt), dataset)
    if counts:
        raise T2ILabError(f"the prompt asks for a number of things ({', '.join(map(repr, counts))}), but an "
                          f"image shows one; describe one and ask for several images with n= "
                          f"(t2ilab generate -n 4)")
    if unknown:
        raise T2ILabError(unknown_words_message(unknown, dataset))
    if dataset in CORNERS:  # shapes: "at the top on the left" is the top left corner
        found = combine(found)
    placed = place(found) if dataset in TWO_OBJECTS else {}  # scenes: each object with its position
    asked: dict[str, dict[str, str]] = {a: {} for a in attributes}  # value -> words that asked for it
    for attr, value, words in found:
        if attr not in placed:
            asked[attr].setdefault(value, words)
    clashes = []
    for attr, values in asked.items():
        if len(values) > 1:
            named = [v if w == v else f"{v} ({w})" for v, w in values.items()]
            clashes.append(f"{number_word(len(named))} {ATTRIBUTE_PLURALS.get(attr, attr + 's')}: "
                           f"{', '.join(named[:-1])} and {named[-1]}")
    if clashes:
        raise T2ILabError(f"the prompt asks for {', and '.join(clashes)}; keep one"
                          + (" of each" if len(clashes) > 1 else ""))
    return {a: placed[a] if a in placed else next(iter(values), None) for a, values in asked.items()}


def guess_dataset(prompt: str) -> str:
    """The built-in dataset whose words explain the whole prompt with the most attributes."""
    tokens = check_prompt(prompt)
    scans = {name: _scan(tokens, name) for name in SCHEMAS}
    fits = [(len(f), n, -i, name) for i, (name, (f, n, u, _)) in enumerate(scans.items()) if not u and (f or n)]
    if fits:
        return max(fits)[3]
    if all(not u for _, _, u, _ in scans.values()):
        raise T2ILabError(f"the prompt {prompt.strip()!r} names nothing to draw; say what you want, "
                          f"e.g. \"{EXAMPLES['shapes']}\" or \"{EXAMPLES['scenes']}\"")
    best = min(scans, key=lambda name: (len(scans[name][2]), -len(scans[name][0])))
    raise T2ILabError(f"no built-in dataset knows every word of the prompt; the closest is {best!r}: "
                      + unknown_words_message(scans[best][2], best))
