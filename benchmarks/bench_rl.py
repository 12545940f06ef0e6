"""Learning from ratings -> results/rl.json (seeded; t2ilab.rl with the simulated rater).

- `shapes`: per update rule, 10 rounds of 16 rated images of "a circle" on shapes-gan, rater
  "big" (a two-way taste the prompt leaves open). Round 0 is the pretrained sampler. Per round,
  measured on 128 fresh samples of the policy (best-of-n: the best 128 of 512 by the reward
  model): `liked_share` (gold utility > 1/2), `prompt_accuracy` (judge), `kl` (closed form),
  `reward_model_accuracy` (ranking accuracy on 128 held-out pretrained samples), and the rated
  candidates' own `mean_rating` and `seconds`.
- `shapes_small`: the same with 4 human-sized rounds of 8 images.
- `fashion`: style taste "dark" on fashion-gan ("a dress"), the line at the median brightness
  of the pretrained samples; `prompt_accuracy` is the class accuracy (if Fashion-MNIST's judge exists).
- `transfer`: the best shapes policy learnt on "a circle", liked share on 3 other prompts.
- `round_seconds`: median seconds of one round (generate 16, rate, update) over the shapes runs.
- `reward_hacking`: REINFORCE against a reward model fitted to 32 ratings, 60 hard steps of 48
  samples, per KL weight: proxy (reward model score), gold (the rater's true utility, same 1..5
  scale), KL and prompt accuracy every 5 steps; the gold peak and where it was; early stopping
  at a KL budget of 10 nats.
- `gamma_exploration`: R = sum_t gamma^(t-1) r_t (r_t the round's mean rating, 10 rounds, 2 seeds)
  at gamma 0.5 and 0.95 for several exploration levels (the policy's scale; candidates per round).
Run: python benchmarks/bench_rl.py   (about 5 minutes on 2 cores); `python benchmarks/bench_rl.py fashion`
re-measures only the `fashion` entry.
"""
from __future__ import annotations

import statistics
import time

import torch
from common import write

from t2ilab import hub
from t2ilab.losses import reinforce_loss
from t2ilab.metrics import prompt_accuracy
from t2ilab.rl import RULES, FeedbackSession, PreferenceAdapter, RewardModel, SimulatedRater
from t2ilab.text import labels_for

EVAL = 128
TRANSFER_PROMPTS = ("a square", "a red triangle", "a diamond on the left")


def r4(x):
    return None if x is None or x != x else round(float(x), 4)


def wanted_of(adapter, prompt, labels):
    wanted = labels.clone()
    for a, i in enumerate(adapter.fixed(prompt)):
        if i is None:
            wanted[:, a] = -1  # open: not judged
    return wanted


@torch.no_grad()
def measure(adapter, judge, rater, prompt, seed=10_000, reward_model=None, pool=4):
    """liked share and prompt accuracy of EVAL fresh samples (with a reward model: the best EVAL of pool x EVAL)."""
    draw = adapter.sample(prompt, EVAL * (pool if reward_model is not None else 1), seed=seed)
    images = adapter.images(draw)
    features = judge.embed(images)
    if reward_model is not None:
        top = reward_model(None, features=features).argsort(descending=True)[:EVAL]
        images, features, labels = images[top], features[top], draw.labels[top]
    else:
        labels = draw.labels
    liked = rater.gold(images, labels, features=features) > 0.5
    read = torch.stack([h(features).argmax(1) for h in judge.heads], 1)
    return float(liked.float().mean()), prompt_accuracy(read, wanted_of(adapter, prompt, labels))


def held_out(model, judge, rater, prompt, n=EVAL, seed=20_000):
    """Pretrained samples and whether the rater truly likes them: the reward model's test set."""
    labels = labels_for(prompt, model.dataset, n=n, seed=seed)
    images = model.generate(labels, generator=torch.Generator().manual_seed(seed)).cpu()
    features = judge.embed(images)
    return features, rater.gold(images, labels, features=features) > 0.5


def curve(rule, model, prompt, taste, rounds, n, seed=0):
    s = FeedbackSession(prompt, model, rule=rule, n=n, seed=seed)
    rater = SimulatedRater(taste, s.model.dataset, seed=seed, judge=s.judge)
    if rater.attribute is None:
        rater.calibrate(s.model, prompt)
    test_f, test_liked = held_out(s.model, s.judge, rater, prompt)
    liked, acc = measure(s.adapter, s.judge, rater, prompt)
    rows = [{"round": 0, "liked_share": r4(liked), "prompt_accuracy": r4(acc), "kl": 0.0, "reward_model_accuracy": None}]
    for _ in range(rounds):
        rec = s.round(rater)
        rm = s.reward_model if rule == "best-of-n" else None
        liked, acc = measure(s.adapter, s.judge, rater, prompt, reward_model=rm, pool=s.pool)
        rows.append({"round": rec["round"], "liked_share": r4(liked), "prompt_accuracy": r4(acc), "kl": r4(rec["kl"]),
                     "reward_model_accuracy": r4(s.reward_model.accuracy(None, test_liked, features=test_f)),
                     "rated_gold_liked_share": r4(rec["gold_liked_share"]), "mean_rating": r4(rec["mean_rating"]),
                     "seconds": rec["seconds"]})
    print(rule, prompt, taste, n, [r["liked_share"] for r in rows], flush=True)
    return rows, s


def summary(rows):
    return {"liked_start": rows[0]["liked_share"], "liked_end": rows[-1]["liked_share"],
            "prompt_accuracy_kept": r4(rows[-1]["prompt_accuracy"] / rows[0]["prompt_accuracy"]), "kl_end": rows[-1]["kl"]}


def shapes(rounds, n):
    out, sessions = {}, {}
    for rule in RULES:
        rows, s = curve(rule, "shapes-gan", "a circle", "big", rounds, n)
        out[rule], sessions[rule] = {"rounds": rows, **summary(rows)}, s
    best = max(out, key=lambda r: (out[r]["liked_end"], out[r]["prompt_accuracy_kept"]))
    return {"best_rule": best, **out}, sessions


def transfer(s, rater):
    start = PreferenceAdapter(s.model, hidden=s.hidden, seed=s.seed)
    res = {}
    for p in TRANSFER_PROMPTS:
        before, _ = measure(start, s.judge, rater, p)
        after, acc = measure(s.adapter, s.judge, rater, p)
        res[p] = {"liked_before": r4(before), "liked_after": r4(after), "lift": r4(after - before), "prompt_accuracy": r4(acc)}
    res["min_lift"] = min(v["lift"] for v in res.values())
    return res


def hacking(kl_weights=(0.0, 0.1, 1.0), steps=60, batch=48, every=5, ratings=32, lr=0.5, kl_budget=10.0):
    """Optimise hard against a reward model fitted to few ratings: proxy vs gold vs KL."""
    model, prompt = hub.load("shapes-gan"), "a circle"
    start = PreferenceAdapter(model)
    judge = FeedbackSession(prompt, model).judge
    rater = SimulatedRater("big", "shapes", seed=0, judge=judge)
    draw = start.sample(prompt, ratings, seed=1)
    images = start.images(draw)
    rm = RewardModel(judge).fit_scores(images, rater.rate(images, draw.labels))
    out = {"ratings": ratings, "steps": steps, "batch": batch, "lr": lr, "curves": {}}
    for lam in kl_weights:
        a = PreferenceAdapter(model)
        opt = torch.optim.SGD(a.parameters(), lr=lr)
        rows = []
        for step in range(steps + 1):
            if step % every == 0:
                with torch.no_grad():
                    d = a.sample(prompt, EVAL, seed=50_000)
                    im = a.images(d)
                    f = judge.embed(im)
                    read = torch.stack([h(f).argmax(1) for h in judge.heads], 1)
                    rows.append({"step": step, "proxy": r4(rm(None, features=f).mean()),
                                 "gold": r4(1 + 4 * rater.gold(im, d.labels, features=f).mean()),
                                 "kl": r4(a.kl(prompt)), "prompt_accuracy": r4(prompt_accuracy(read, wanted_of(a, prompt, d.labels)))})
            if step == steps:
                break
            d = a.sample(prompt, batch, seed=step)
            reward = rm(a.images(d)) / 4  # the proxy on the rating scale / 4, like (score - 1) / 4
            opt.zero_grad()
            loss = reinforce_loss(a.log_prob(d, prompt), reward, "mean") + lam * a.kl(prompt)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(a.parameters(), 5.0)  # hard, but not divergent
            opt.step()
        peak = max(rows, key=lambda r: r["gold"])
        stop = [r for r in rows if r["kl"] <= kl_budget][-1]  # early stopping: the last point within the KL budget
        out["curves"][str(lam)] = {"points": rows, "gold_peak": peak["gold"], "gold_peak_step": peak["step"],
                                   "kl_at_gold_peak": peak["kl"], "gold_end": rows[-1]["gold"], "proxy_end": rows[-1]["proxy"],
                                   "kl_end": rows[-1]["kl"], "prompt_accuracy_end": rows[-1]["prompt_accuracy"],
                                   "early_stop": {"kl_budget": kl_budget, "step": stop["step"], "gold": stop["gold"],
                                                  "proxy": stop["proxy"]}}
        print("hacking", lam, [(r["proxy"], r["gold"], r["kl"]) for r in rows[::3]], flush=True)
    return out


def gamma_exploration(rule, rounds=10, seeds=(0, 1)):
    levels = [("scale", 0.5, 16), ("scale", 1.0, 16), ("scale", 2.0, 16), ("candidates", 1.0, 4),
              ("candidates", 1.0, 32)]
    table = []
    for kind, scale, n in levels:
        returns = {"0.5": [], "0.95": []}
        for seed in seeds:
            s = FeedbackSession("a circle", "shapes-gan", rule=rule, n=n, seed=seed, temperature=scale)
            rater = SimulatedRater("big", "shapes", seed=seed, judge=s.judge)
            for _ in range(rounds):
                s.round(rater)
            for g in returns:
                returns[g].append(s.discounted_return(float(g)))
        table.append({"level": kind, "policy_scale": scale, "candidates": n,
                      "R_gamma_0.5": r4(statistics.mean(returns["0.5"])), "R_gamma_0.95": r4(statistics.mean(returns["0.95"]))})
        print("gamma", table[-1], flush=True)
    best = {g: max(table, key=lambda r: r[f"R_gamma_{g}"]) for g in ("0.5", "0.95")}
    return {"rule": rule, "rounds": rounds, "seeds": list(seeds), "table": table,
            "best_at_0.5": {k: best["0.5"][k] for k in ("level", "policy_scale", "candidates")},
            "best_at_0.95": {k: best["0.95"][k] for k in ("level", "policy_scale", "candidates")},
            "best_differs": best["0.5"] is not best["0.95"]}


def fashion_part() -> dict:
    """The `fashion` entry: style taste "dark" on fashion-gan ("a dress"), per rule."""
    try:
        fashion = {}
        for rule in ("reinforce", "rwl", "dpo"):
            rows, _ = curve(rule, "fashion-gan", "a dress", "dark", 10, 16)
            fashion[rule] = {"rounds": rows, **summary(rows)}
        return {"model": "fashion-gan", "prompt": "a dress", "taste": "dark",
                "best_rule": max(fashion, key=lambda r: fashion[r]["liked_end"]), **fashion}
    except Exception as e:  # Fashion-MNIST missing: say so, measure the rest
        return {"skipped": str(e)[:200]}


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["fashion"]:  # only the fashion entry (after fashion-gan changed), merged into rl.json
        import json

        from common import RESULTS

        torch.manual_seed(0)
        path = RESULTS / "rl.json"
        old = json.loads(path.read_text())
        path.write_text(json.dumps({**old, "fashion": fashion_part(), "fashion_date": time.strftime("%Y-%m-%d")},
                                   indent=2) + "\n")
        sys.exit()
    t0 = time.perf_counter()
    torch.manual_seed(0)
    result = {}
    result["shapes"], sessions = shapes(10, 16)
    best = result["shapes"]["best_rule"]
    result["round_seconds"] = {"median": r4(statistics.median(r["seconds"] for rule in RULES if rule != "best-of-n"
                                                               for r in result["shapes"][rule]["rounds"][1:])),
                               "per_rule": {rule: r4(statistics.median(r["seconds"] for r in result["shapes"][rule]["rounds"][1:]))
                                            for rule in RULES}}
    result["transfer"] = {"rule": best, "from": "a circle",
                          **transfer(sessions[best], SimulatedRater("big", "shapes", judge=sessions[best].judge))}
    result["shapes_small"], _ = shapes(4, 8)
    if "fashion-judge" in hub.manifest():
        result["fashion"] = fashion_part()
    result["reward_hacking"] = hacking()
    result["gamma_exploration"] = gamma_exploration(best)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    write("rl", result)
