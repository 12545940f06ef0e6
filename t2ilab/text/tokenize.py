"""Text -> tokens -> ids: the first step of every text-conditioned model.

English splits on spaces and punctuation. Chinese is written without spaces, so a run of Chinese
characters is cut into lexicon words by longest match (蓝天 before 蓝, 大草原 before 大);
a character that starts no lexicon word becomes a token of its own.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LETTER = rf"(?:(?![{_CJK}_])\w)"  # a letter or digit of any script except Chinese
_TOKEN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>{_LETTER}+(?:'{_LETTER}+)*)")


def is_chinese(token: str) -> bool:
    """True when every character of `token` is a Chinese character."""
    return bool(token) and re.fullmatch(f"[{_CJK}]+", token) is not None


@functools.lru_cache(maxsize=1)
def chinese_words() -> frozenset[str]:
    """Every Chinese word of the lexicon (all datasets, stop words too): the segmentation dictionary."""
    from .lexicon import COUNT_WORDS, NEUTRAL, STOP_WORDS, SYNONYMS

    words = {*STOP_WORDS, *COUNT_WORDS}
    for name, attrs in SYNONYMS.items():
        words.update(NEUTRAL[name])
        for values in attrs.values():
            for synonyms in values.values():
                words.update(synonyms)
    return frozenset(w for w in words if is_chinese(w))


def segment(run: str) -> list[str]:
    """Cut a run of Chinese characters into lexicon words, longest match first, left to right."""
    words = chinese_words()
    longest = max(map(len, words))
    out, i = [], 0
    while i < len(run):
        n = next(n for n in range(min(longest, len(run) - i), 0, -1) if n == 1 or run[i:i + n] in words)
        out.append(run[i:i + n])
        i += n
    return out


def tokenize(text: str) -> list[str]:
    """Lowercase words; punctuation and hyphens split ("t-shirt" -> t, shirt); Chinese by longest match."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    tokens: list[str] = []
    for m in _TOKEN.finditer(text):
        tokens += segment(m["cjk"]) if m["cjk"] else [m["word"]]
    return tokens


class Vocabulary:
    """Token <-> id table. Id 0 is <pad> (fills short sequences), 1 is <unk> (any unseen token)."""

    PAD, UNK = "<pad>", "<unk>"

    def __init__(self, tokens: Iterable[str]) -> None:
        self.itos: list[str] = [self.PAD, self.UNK]
        self.stoi: dict[str, int] = {self.PAD: 0, self.UNK: 1}
        for t in tokens:
            if t not in self.stoi:
                self.stoi[t] = len(self.itos)
                self.itos.append(t)
        self.pad_id, self.unk_id = 0, 1

    @classmethod
    def for_dataset(cls, name: str) -> Vocabulary:
        """Every token the prompt parser of a built-in dataset knows (sorted, so ids are stable)."""
        from ..schema import schema
        from .lexicon import NEUTRAL, STOP_WORDS, phrases

        schema(name)  # a clear error for an unknown dataset
        words = [*phrases(name), *NEUTRAL[name], *STOP_WORDS]
        return cls(sorted({t for w in words for t in tokenize(w)}))

    def encode(self, text: str, length: int | None = None) -> list[int]:
        """Ids of the tokens of `text`; with `length`, cut or padded with <pad> to exactly that many."""
        ids = [self.stoi.get(t, self.unk_id) for t in tokenize(text)]
        if length is not None:
            ids = ids[:length] + [self.pad_id] * max(0, length - len(ids))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """Tokens of `ids` joined by spaces, <pad> left out (a tensor of ids works too)."""
        ids = ids.tolist() if hasattr(ids, "tolist") else ids
        return " ".join(self.itos[i] for i in ids if i != self.pad_id)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens: {', '.join(self.itos[:8])}, ...)"
