"""The feedback session: saved as it happens, survives a crash, resumes, undoes, replays; the adapter file."""
import json

import pytest
import torch

from t2ilab.rl.store import read_header
from t2ilab.errors import T2ILabError
from t2ilab.rl import FeedbackSession, SimulatedRater, load_adapter, save_adapter


def big_scores(draw):
    return torch.where(draw.labels[:, 2] == 1, 5.0, 1.0)  # a deterministic rater: big is 5, small 1


def run(s, rounds):
    for _ in range(rounds):
        _, draw = s.candidates()
        s.rate(big_scores(draw))
        s.update()


def state(s):
    return {k: v.clone() for k, v in s.adapter.state_dict().items()}


def same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_round_with_a_simulated_rater(tmp_path):
    s = FeedbackSession("a circle", "shapes-gan", n=8, path=tmp_path, seed=0)
    rec = s.round(SimulatedRater("big", "shapes", seed=0))
    for key in ("mean_rating", "liked_share", "gold", "gold_liked_share", "kl", "prompt_accuracy", "seconds"):
        assert key in rec
    assert 1 <= rec["mean_rating"] <= 5 and 0 <= rec["gold"] <= 1 and rec["kl"] > 0
    data = json.loads((tmp_path / "session.json").read_text())
    assert data["rounds"][0]["record"] == rec and len(data["rounds"][0]["scores"]) == 8
    assert s.discounted_return(0.5) == pytest.approx(rec["mean_rating"])


def test_saved_after_every_step_and_survives_a_crash(tmp_path):
    s = FeedbackSession("a circle", "shapes-gan", n=8, path=tmp_path, seed=1)
    run(s, 2)
    _, draw = s.candidates()
    assert json.loads((tmp_path / "session.json").read_text())["pending"]["scores"] is None
    s.rate(big_scores(draw))
    saved = json.loads((tmp_path / "session.json").read_text())
    assert len(saved["rounds"]) == 2 and saved["pending"]["scores"] == big_scores(draw).tolist()
    policy = state(s)
    (tmp_path / "session.json.tmp").write_text('{"half a fi')  # the process died mid-write
    del s  # ... and the notebook was closed
    r = FeedbackSession.resume(tmp_path)
    assert len(r.rounds) == 2 and same(state(r), policy)
    images, again = r.candidates()  # the pending round, with its ratings
    assert torch.equal(again.labels, draw.labels) and torch.equal(again.z, draw.z)
    assert r.update()["round"] == 3
    assert len(json.loads((tmp_path / "session.json").read_text())["rounds"]) == 3


def test_resumed_session_continues_exactly(tmp_path):
    straight = FeedbackSession("a circle", "shapes-gan", n=8, seed=2)
    run(straight, 4)
    first = FeedbackSession("a circle", "shapes-gan", n=8, path=tmp_path, seed=2)
    run(first, 2)
    second = FeedbackSession.resume(tmp_path)
    run(second, 2)
    assert same(state(straight), state(second))
    assert second.discounted_return() == pytest.approx(straight.discounted_return())


def test_replay_reproduces_the_policy(tmp_path):
    s = FeedbackSession("a circle", "shapes-gan", rule="rwl", n=8, path=tmp_path, seed=3)
    run(s, 3)
    again = FeedbackSession.replay(tmp_path)
    assert same(state(s), state(again)) and [r["mean_rating"] for r in again.rounds] == [r["mean_rating"] for r in s.rounds]


def test_undo_restores_the_policy(tmp_path):
    s = FeedbackSession("a circle", "shapes-gan", rule="dpo", n=8, path=tmp_path, seed=4)
    start = state(s)
    run(s, 1)
    after_one = state(s)
    run(s, 1)
    assert not same(after_one, state(s))
    s.undo()
    assert same(after_one, state(s)) and len(s.rounds) == 1
    assert len(json.loads((tmp_path / "session.json").read_text())["rounds"]) == 1
    s.undo()
    assert same(start, state(s)) and s.rounds == []
    with pytest.raises(T2ILabError, match="nothing to undo"):
        s.undo()


def test_liked_pairs_and_return(tmp_path):
    s = FeedbackSession("a circle", "shapes-vae", rule="dpo", n=4, seed=5)
    s.candidates()
    s.rate([5, 5, 5, 5])
    s.update()
    s.candidates()
    s.rate_liked([])
    s.update()
    assert [r["mean_rating"] for r in s.rounds] == [5.0, 1.0]
    assert s.discounted_return(0.5) == pytest.approx(5.5)  # 5 + 0.5 * 1
    s.candidates()
    s.rate_pair(True)
    rec = s.update()
    assert rec["mean_rating"] == 3.0 and s.reward_model.fitted  # Bradley-Terry on the pair


def test_best_of_n_shows_the_reward_models_best():
    s = FeedbackSession("a circle", "shapes-gan", rule="best-of-n", n=8, seed=6, pool=4)
    run(s, 2)
    assert s.adapter.kl("a circle").item() == 0.0  # never trained
    images, draw = s.candidates()
    assert (draw.labels[:, 2] == 1).float().mean() > 0.8  # the reward model learnt "big" from 16 ratings


def test_bad_input(tmp_path):
    s = FeedbackSession("a circle", "shapes-gan", n=4, path=tmp_path)
    with pytest.raises(T2ILabError, match="rate"):
        s.update()
    for bad in ([1, 2, 3], [0, 1, 2, 3], [1, 2, 3, 6]):
        with pytest.raises(T2ILabError):
            s.rate(bad)
    with pytest.raises(T2ILabError):
        s.rate_liked([4])
    with pytest.raises(T2ILabError, match="already holds a session"):
        FeedbackSession("a circle", "shapes-gan", n=4, path=tmp_path)
    FeedbackSession("a circle", "shapes-gan", n=4, path=tmp_path, force=True)
    with pytest.raises(T2ILabError, match="no session"):
        FeedbackSession.resume(tmp_path / "nothing")
    (tmp_path / "session.json").write_text('{"format": "t2ilab.feedback/1", "rou')
    with pytest.raises(T2ILabError, match="not a readable session"):
        FeedbackSession.resume(tmp_path)
    with pytest.raises(T2ILabError):
        FeedbackSession("a circle", "shapes-gan", rule="ppo")
    with pytest.raises(T2ILabError):
        FeedbackSession("a circle", "shapes-gan", n=0)
    with pytest.raises(T2ILabError):
        FeedbackSession("a cirlce", "shapes-gan")


def test_adapter_file_round_trip(tmp_path):
    s = FeedbackSession("a circle", "shapes-gan", n=8, seed=7)
    run(s, 2)
    path = save_adapter(s.adapter, tmp_path)
    assert path.name == "adapter.safetensors" and read_header(path)[0]["extra"]["base"] == "shapes-gan"
    back = load_adapter(tmp_path)
    assert back.probs("a circle") == s.adapter.probs("a circle")
    with pytest.raises(T2ILabError, match="learned on shapes-gan"):
        load_adapter(tmp_path, model="shapes-vae")
    with pytest.raises(T2ILabError, match="no adapter"):
        load_adapter(tmp_path / "none")


def test_any_valid_seed_draws_a_round_and_a_bad_one_is_one_line():
    s = FeedbackSession("a circle", "shapes-gan", n=4, seed=2**63 - 1)  # its rounds' seeds stay below 2**63
    assert 1 <= s.round(SimulatedRater("big", "shapes", seed=0))["mean_rating"] <= 5
    for bad in (-1, "7", 1.5):
        with pytest.raises(T2ILabError, match="^seed must be a whole number from 0 to"):
            FeedbackSession("a circle", "shapes-gan", n=4, seed=bad)
