r"""A feedback session: rounds of generate -> rate -> update, saved to JSON as they happen.

The source article's loop: the user describes an image, the model shows several candidates,
the user rates them, the model adjusts, repeat until satisfied. The session is scored by the
discounted return $R = \sum_{t=1}^{T} \gamma^{t-1} r_t$, $r_t$ the mean rating of round t.

`path/session.json` is rewritten (atomically) after every rating and every update, with the
ratings, the candidates (labels and z) and each round's policy, so a crash or a closed
notebook loses nothing: `FeedbackSession.resume(path)` continues where it stopped,
`FeedbackSession.replay(path)` re-runs it from the ratings and reproduces its policy.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import torch

from ..errors import T2ILabError
from ..losses import discounted_return
from ..metrics import prompt_accuracy
from ..validate import check_seed
from .policy import Draw, PreferenceAdapter
from .reward_model import RewardModel
from .store import fingerprint, pack, state_from_json, state_to_json, unpack
from .updates import check_rule, pairs_from, update

FORMAT = "t2ilab.feedback/1"
FILE = "session.json"


def _read(path: Path) -> dict:
    file = path / FILE if path.is_dir() or path.suffix != ".json" else path
    if not file.exists():
        raise T2ILabError(f"no session at {file}: start one with `t2ilab feedback PROMPT --out {file.parent}`")
    try:
        data = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise T2ILabError(f"{file} is not a readable session file ({e.__class__.__name__}): it was cut off or "
                          "edited; start again with --force") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise T2ILabError(f"{file} is not a t2ilab feedback session (format {FORMAT} expected)")
    return data


class FeedbackSession:
    def __init__(self, prompt, model, rule: str = "reinforce", n: int = 16, gamma: float = 0.9,
                 kl_weight: float | None = None, path: str | Path | None = None, seed: int = 0, *,
                 hidden: int = 32, steps: int | None = None, lr: float | None = None,
                 temperature: float = 1.0, pool: int = 4, judge=None, force: bool = False):
        from ..generate import get_model
        from ..evaluate import judge_for

        self.rule = check_rule(rule)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 256:
            raise T2ILabError(f"n must be a whole number of candidates from 1 to 256, got {n!r}")
        if not 0 <= gamma <= 1 or not temperature > 0 or pool < 1:
            raise T2ILabError(f"gamma must be in [0, 1], temperature > 0 and pool >= 1 "
                              f"(got {gamma}, {temperature}, {pool})")
        self.model_name = model if isinstance(model, (str, Path)) else getattr(model, "name", None)
        self.model_name = None if self.model_name is None else str(self.model_name)
        self.model = get_model(model)
        self.base_sha256 = fingerprint(self.model)
        self.prompt, self.n, self.gamma, self.seed = prompt, n, float(gamma), check_seed(seed)
        self.kl_weight, self.steps, self.lr = kl_weight, steps, lr
        self.temperature, self.pool, self.hidden = float(temperature), int(pool), int(hidden)
        self.adapter = PreferenceAdapter(self.model, hidden=hidden, seed=seed)
        self.adapter.base = self.model_name
        self.adapter.fixed(prompt)  # a prompt the dataset cannot say fails here, before any work
        self.judge = judge if judge is not None else judge_for(self.model.dataset)
        self._reward_model, self._stale = RewardModel(self.judge), False
        self.rounds: list[dict] = []  # one record per round
        self._data: list[dict] = []   # per round: draw, scores, pairs, gold, policy after
        self._initial = state_to_json(self.adapter)
        self._pending: dict | None = None
        self._features: dict[int, torch.Tensor] = {}  # round index -> judge features (recomputed after resume)
        self.path = None if path is None else Path(path)
        if self.path is not None:
            if (self.path / FILE).exists() and not force:
                raise T2ILabError(f"{self.path} already holds a session: resume it (--resume) or start over (--force)")
            self.save()

    # -- the loop ---------------------------------------------------------------------------
    def candidates(self) -> tuple[torch.Tensor, Draw]:
        """This round's images [n, C, H, W] and the draw they came from (the same until rated and updated)."""
        if self._pending is None:
            t0 = time.perf_counter()
            seed = (self.seed * 1_000_003 + len(self.rounds) + 1) % 2**63  # a valid seed for any session seed
            if self.rule == "best-of-n" and self.reward_model.fitted:  # show the reward model's best of pool x n
                big = self.adapter.sample(self.prompt, self.n * self.pool, seed=seed)
                images = self.adapter.images(big)
                features = self.judge.embed(images)
                top = self.reward_model(None, features=features).argsort(descending=True)[:self.n]
                draw, images, features = Draw(big.labels[top], big.z[top]), images[top], features[top]
            else:
                draw = self.adapter.sample(self.prompt, self.n, seed=seed, temperature=self.temperature)
                images = self.adapter.images(draw)
                features = self.judge.embed(images)
            self._pending = {"draw": draw, "images": images, "features": features, "scores": None, "pairs": None,
                             "gold": None, "t0": t0}
            self.save()
        return self._pending["images"], self._pending["draw"]

    def _set(self, scores: list[float | None], pairs: list[list[int]], gold=None) -> None:
        if self._pending is None:
            self.candidates()
        self._pending.update(scores=scores, pairs=pairs, gold=None if gold is None else [float(g) for g in gold])
        self.save()

    def rate(self, scores, gold=None) -> None:
        """Score every candidate 1..5 (5 best)."""
        self.candidates()
        s = torch.as_tensor(scores, dtype=torch.float32).flatten()
        if len(s) != self.n or bool(((s < 1) | (s > 5) | torch.isnan(s)).any()):
            raise T2ILabError(f"give one score from 1 to 5 for each of the {self.n} candidates, got {s.tolist()}")
        self._set(s.tolist(), pairs_from(s).tolist(), gold)

    def rate_liked(self, indices) -> None:
        """The candidates the user liked (indices 0..n-1); the others count as disliked."""
        idx = [int(i) for i in indices]
        if any(not 0 <= i < self.n for i in idx) or len(set(idx)) != len(idx):
            raise T2ILabError(f"liked indices must be distinct numbers from 0 to {self.n - 1}, got {idx}")
        self.rate([5.0 if i in idx else 1.0 for i in range(self.n)])

    def rate_pair(self, a_better: bool) -> None:
        """Which of the first two candidates is better: True for the first (a), False for the second (b)."""
        self.candidates()
        if self.n < 2:
            raise T2ILabError("a pairwise rating needs at least 2 candidates per round (n >= 2)")
        scores = [5.0, 1.0] if a_better else [1.0, 5.0]
        self._set(scores + [None] * (self.n - 2), [[0, 1]] if a_better else [[1, 0]])

    def update(self) -> dict:
        """Apply the rule to the ratings, refit the reward model, save; returns the round's record."""
        p = self._pending
        if p is None or p["scores"] is None:
            raise T2ILabError("rate this round's candidates first (rate, rate_liked or rate_pair), then update")
        self._data.append({"draw": p["draw"], "scores": p["scores"], "pairs": p["pairs"], "gold": p["gold"]})
        self._features[len(self._data) - 1] = p["features"]
        logged = self._train()
        self._data[-1]["policy"] = state_to_json(self.adapter)
        rated = [s for s in p["scores"] if s is not None]
        record = {"round": len(self.rounds) + 1, "mean_rating": sum(rated) / len(rated),
                  "liked_share": sum(s >= 4 for s in rated) / len(rated), "kl": logged["kl"],
                  "prompt_accuracy": self._prompt_accuracy(p["features"], p["draw"]), "loss": logged["loss"],
                  "seconds": round(time.perf_counter() - p["t0"], 4)}
        if p["gold"] is not None:
            record.update(gold=sum(p["gold"]) / len(p["gold"]), gold_liked_share=sum(g > 0.5 for g in p["gold"]) / len(p["gold"]))
        self.rounds.append(record)
        self._pending = None
        self.save()
        return record

    def round(self, rater) -> dict:
        """One whole round with a rater: candidates, the rater's scores, update."""
        images, draw = self.candidates()
        if getattr(rater, "attribute", 0) is None and getattr(rater, "line", 0) is None:
            rater.calibrate(self.model, self.prompt, seed=self.seed)  # a style taste's line
        if hasattr(rater, "scores"):  # a simulated rater: its utility and its (noisy) scores
            if getattr(rater, "judge", 0) is None and rater.dataset == self.model.dataset:
                rater.judge = self.judge  # one judge in memory, read once per round
            gold = rater.gold(images, draw.labels, features=self._pending["features"])
            self.rate(rater.scores(gold), gold=gold.tolist())
        else:
            self.rate(rater.rate(images, draw.labels))
        return self.update()

    def undo(self) -> None:
        """Take back the last round (or the pending ratings): its policy and ratings are dropped."""
        if self._pending is not None:
            self._pending = None
        elif self.rounds:
            self.rounds.pop()
            self._data.pop()
            self._features.pop(len(self._data), None)
            state_from_json(self.adapter, self._data[-1]["policy"] if self._data else self._initial)
            self._stale = True
        else:
            raise T2ILabError("nothing to undo: no round has been rated yet")
        self.save()

    def discounted_return(self, gamma: float | None = None) -> float:
        """R = sum_t gamma^(t-1) r_t over the rounds so far, r_t = the round's mean rating."""
        if not self.rounds:
            return 0.0
        return float(discounted_return([r["mean_rating"] for r in self.rounds], self.gamma if gamma is None else gamma))

    # -- training ----------------------------------------------------------------------------
    def _rated(self, rounds: list[int]) -> tuple[Draw, torch.Tensor, torch.Tensor]:
        """The rated samples of some rounds: their draw, rewards in [0, 1] and (winner, loser) pairs."""
        labels, zs, rewards, pairs, offset = [], [], [], [], 0
        for t in rounds:
            d = self._data[t]
            keep = [i for i, s in enumerate(d["scores"]) if s is not None]
            where = {i: offset + j for j, i in enumerate(keep)}
            labels.append(d["draw"].labels[keep])
            zs.append(d["draw"].z[keep])
            rewards += [(d["scores"][i] - 1) / 4 for i in keep]
            pairs += [[where[w], where[lo]] for w, lo in d["pairs"]]
            offset += len(keep)
        return Draw(torch.cat(labels), torch.cat(zs)), torch.tensor(rewards), torch.tensor(pairs, dtype=torch.long).reshape(-1, 2)

    def _train(self) -> dict:
        last = len(self._data) - 1
        rounds = [last] if self.rule == "reinforce" else list(range(last + 1))
        draw, rewards, pairs = self._rated(rounds)
        logged = update(self.adapter, self.rule, draw, rewards, self.prompt, kl_weight=self.kl_weight,
                        steps=self.steps, lr=self.lr, temperature=self.temperature, pairs=pairs)
        self._stale = True
        return logged

    @property
    def reward_model(self) -> RewardModel:
        """The reward model fitted to every rating so far (refitted on first use after a round)."""
        if self._stale:
            self._fit_reward_model()
        return self._reward_model

    def _fit_reward_model(self) -> None:
        self._reward_model, self._stale = RewardModel(self.judge), False
        if not self._data:
            return
        for t in range(len(self._data)):
            if t not in self._features:
                self._features[t] = self.judge.embed(self.adapter.images(self._data[t]["draw"]))
        features = torch.cat([self._features[t] for t in range(len(self._data))])
        scores = [s for d in self._data for s in d["scores"]]
        if all(s is not None for s in scores):
            if len(set(scores)) > 1:
                self._reward_model.fit_scores(None, scores, features=features)
        else:  # pairwise rounds: Bradley-Terry on the pairs
            flat = torch.tensor([0] + [len(d["scores"]) for d in self._data]).cumsum(0)
            wl = torch.tensor([[flat[t] + w, flat[t] + lo] for t, d in enumerate(self._data) for w, lo in d["pairs"]])
            if len(wl):
                self._reward_model.fit_pairs(None, None, torch.ones(len(wl), dtype=torch.bool),
                                            features_a=features[wl[:, 0]], features_b=features[wl[:, 1]])

    @torch.no_grad()
    def _prompt_accuracy(self, features: torch.Tensor, draw: Draw) -> float:
        wanted = draw.labels.clone()
        for a, i in enumerate(self.adapter.fixed(self.prompt)):
            if i is None:
                wanted[:, a] = -1  # open: not judged
        read = torch.stack([head(features).argmax(1) for head in self.judge.heads], 1)
        return prompt_accuracy(read, wanted)

    # -- the file ----------------------------------------------------------------------------
    def to_json(self) -> dict:
        def draw_json(d: Draw) -> dict:
            return {"labels": d.labels.tolist(), "z": pack(d.z)}

        rounds = [{"record": r, **draw_json(d["draw"]), "scores": d["scores"], "pairs": d["pairs"],
                   "gold": d["gold"], "policy": d["policy"]} for r, d in zip(self.rounds, self._data)]
        p = self._pending
        pending = None if p is None else {**draw_json(p["draw"]), "scores": p["scores"], "pairs": p["pairs"], "gold": p["gold"]}
        return {"format": FORMAT, "prompt": self.prompt, "model": self.model_name, "dataset": self.model.dataset,
                "base_sha256": self.base_sha256, "rule": self.rule, "n": self.n, "gamma": self.gamma,
                "kl_weight": self.kl_weight, "seed": self.seed, "hidden": self.hidden, "steps": self.steps,
                "lr": self.lr, "temperature": self.temperature, "pool": self.pool,
                "discounted_return": self.discounted_return(), "initial_policy": self._initial,
                "rounds": rounds, "pending": pending}

    def save(self) -> Path | None:
        """Write path/session.json atomically (a crash mid-write leaves the previous file)."""
        if self.path is None:
            return None
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / (FILE + ".tmp")
        tmp.write_text(json.dumps(self.to_json()))
        os.replace(tmp, self.path / FILE)
        return self.path / FILE

    @classmethod
    def _from_json(cls, data: dict, model, path, judge=None) -> FeedbackSession:
        model = model if model is not None else data.get("model")
        if model is None:
            raise T2ILabError("the session does not name its model (it was made from a model object): pass model=")
        try:
            s = cls(data["prompt"], model, rule=data["rule"], n=data["n"], gamma=data["gamma"],
                    kl_weight=data["kl_weight"], seed=data["seed"], hidden=data["hidden"], steps=data["steps"],
                    lr=data["lr"], temperature=data["temperature"], pool=data["pool"], judge=judge)
        except (KeyError, TypeError) as e:
            raise T2ILabError(f"the session file lacks or garbles {e}: it was edited or truncated") from None
        if s.base_sha256 != data.get("base_sha256"):
            raise T2ILabError(f"the session was made with {data.get('model') or 'another model'}, not this one")
        s.path = None if path is None else Path(path)
        return s

    @classmethod
    def resume(cls, path: str | Path, model=None, judge=None) -> FeedbackSession:
        """Continue a saved session: its rounds, its policy, its reward model and any pending ratings."""
        data = _read(Path(path))
        s = cls._from_json(data, model, Path(path) if Path(path).suffix != ".json" else Path(path).parent, judge)
        try:
            state_from_json(s.adapter, data["initial_policy"])
            s._initial = data["initial_policy"]
            for r in data["rounds"]:
                draw = Draw(torch.tensor(r["labels"], dtype=torch.long), unpack(r["z"]))
                s._data.append({"draw": draw, "scores": r["scores"], "pairs": r["pairs"], "gold": r["gold"],
                                "policy": r["policy"]})
                s.rounds.append(r["record"])
            if s._data:
                state_from_json(s.adapter, s._data[-1]["policy"])
            s._stale = True
            p = data.get("pending")
            if p is not None:
                draw = Draw(torch.tensor(p["labels"], dtype=torch.long), unpack(p["z"]))
                images = s.adapter.images(draw)
                s._pending = {"draw": draw, "images": images, "features": s.judge.embed(images), "scores": p["scores"],
                              "pairs": p["pairs"], "gold": p["gold"], "t0": time.perf_counter()}
        except (KeyError, TypeError, IndexError, ValueError) as e:
            raise T2ILabError(f"the session file is damaged ({e.__class__.__name__}: {e}); start again with --force") from None
        return s

    @classmethod
    def replay(cls, path: str | Path, model=None, judge=None) -> FeedbackSession:
        """Re-run a saved session from its ratings (in memory): the same candidates, the same policy."""
        data = _read(Path(path))
        s = cls._from_json(data, model, None, judge)
        state_from_json(s.adapter, data["initial_policy"])
        for r in data["rounds"]:
            s.candidates()
            rated = [x for x in r["scores"] if x is not None]
            if len(rated) == len(r["scores"]):
                s.rate(r["scores"], gold=r["gold"])
            else:
                s.rate_pair(r["pairs"] == [[0, 1]])
            s.update()
        return s

    def __repr__(self) -> str:
        return (f"FeedbackSession({self.prompt!r}, {self.model_name or self.model.dataset}, rule={self.rule!r}, "
                f"n={self.n}, rounds={len(self.rounds)}, R={self.discounted_return():.3f})")


__all__ = ["FeedbackSession"]
