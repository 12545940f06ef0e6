"""The rating panel without a browser: set the controls, press the buttons, read what the session got."""
import base64
import io
import json
from types import SimpleNamespace

import ipywidgets as widgets
import pytest
import torch
from PIL import Image as PILImage

from t2ilab.course.rating import RatingPanel, curves_png
from t2ilab.errors import T2ILabError


class FakeSession:
    """The session interface the panel uses, with images that show the policy's state and the round."""

    def __init__(self, prompt, model=None, rule="reinforce", n=4, gamma=0.9, kl_weight=None, path=None, seed=0,
                 force=False):
        self.prompt, self.model, self.rule, self.n, self.gamma = prompt, model, rule, n, gamma
        self.kl_weight, self.path, self.seed = kl_weight, path, seed
        self.rounds, self.levels, self.level, self.pending, self.received = [], [], 0, None, []

    def candidates(self):
        images = torch.zeros(self.n, 3, 32, 32)
        images[:, 0] = self.level / 10
        images[:, 1] = torch.arange(self.n).float().view(-1, 1, 1) / self.n
        images[:, 2] = len(self.rounds) / 10
        return images, SimpleNamespace(labels=torch.zeros(self.n, 4, dtype=torch.long), z=torch.zeros(self.n, 2))

    def rate(self, scores, gold=None):
        scores = [float(s) for s in scores]
        if len(scores) != self.n or not all(1 <= s <= 5 for s in scores):
            raise T2ILabError("give one score from 1 to 5 per candidate")
        self.pending = (scores, gold)

    def rate_pair(self, a_better):
        self.pending = (([5.0, 1.0] if a_better else [1.0, 5.0]) + [None] * (self.n - 2), None)

    def update(self):
        if self.pending is None:
            raise T2ILabError("rate first")
        scores, gold = self.pending
        self.received.append(self.pending)
        rated = [s for s in scores if s is not None]
        self.levels.append(self.level)
        self.level += sum(s == 5 for s in rated)
        record = {"round": len(self.rounds) + 1, "mean_rating": sum(rated) / len(rated),
                  "liked_share": sum(s >= 4 for s in rated) / len(rated), "kl": 0.1 * self.level,
                  "prompt_accuracy": 1.0, "gold": None if gold is None else sum(gold) / len(gold)}
        self.rounds.append(record)
        self.pending = None
        return record

    def undo(self):
        if self.pending is not None:
            self.pending = None
        elif self.rounds:
            self.rounds.pop()
            self.level = self.levels.pop()
        else:
            raise T2ILabError("nothing to undo: no round has been rated yet")

    def discounted_return(self, gamma=None):
        g = self.gamma if gamma is None else gamma
        return sum(g ** t * r["mean_rating"] for t, r in enumerate(self.rounds))


class FakeRater:
    """Likes the even-numbered candidates; its gold utility is 1 for them, 0 for the others."""

    def gold(self, images, labels):
        return (torch.arange(len(images)) % 2 == 0).float()

    def likes(self, images, labels):
        return torch.arange(len(images)) % 2 == 0

    def rate(self, images, labels):
        return torch.where(torch.arange(len(images)) % 2 == 0, 5.0, 2.0)

    def prefer(self, img_a, lab_a, img_b, lab_b):
        return torch.ones(len(img_a), dtype=torch.bool)


def pngs(panel):
    return [img.value for img in panel.images]


def all_widgets(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from all_widgets(child)


def test_controls_have_stable_descriptions_and_images_name_the_prompt():
    panel = RatingPanel(FakeSession("a circle", n=4))
    assert [t.description for t in panel.likes] == [f"like candidate {k}" for k in range(1, 5)]
    assert [s.description for s in panel.stars] == [f"stars for candidate {k}" for k in range(1, 5)]
    assert panel.update_button.description == "update" and panel.undo_button.description == "undo"
    assert panel.gamma.description == "γ" and panel.better.description == "better of two"
    controls = [w for w in all_widgets(panel) if isinstance(w, (widgets.ValueWidget, widgets.Button))
                and not isinstance(w, (widgets.Image, widgets.HTML))]
    assert len(controls) >= 2 * 4 + 5 and all(c.description for c in controls)
    images = [w for w in all_widgets(panel) if isinstance(w, widgets.Image)]
    assert len(images) == 5 and all("a circle" in img.tooltip for img in images)
    assert all(PILImage.open(io.BytesIO(img.value)).size == (96, 96) for img in panel.images)


def test_update_sends_the_likes_and_shows_new_candidates():
    s = FakeSession("a circle", n=4)
    panel = RatingPanel(s)
    before, curves_before = pngs(panel), panel.curves.value
    panel.likes[0].value = panel.likes[3].value = True
    panel.update_button.click()
    assert s.received == [([5.0, 1.0, 1.0, 5.0], None)]
    assert len(s.rounds) == 1
    after = pngs(panel)
    assert all(a != b for a, b in zip(after, before)), "every candidate changes after an update"
    assert panel.curves.value != curves_before
    assert not any(t.value for t in panel.likes), "the toggles are cleared for the new round"
    assert "round 2" in panel.status.value and "round 1 learned" in panel.status.value
    assert "3.00" in panel.ret.value  # R = mean rating of the one round: (5 + 1 + 1 + 5) / 4


def test_undo_restores_the_candidates_and_refuses_when_empty():
    s = FakeSession("a circle", n=4)
    panel = RatingPanel(s)
    first = pngs(panel)
    panel.likes[1].value = True
    panel.update_button.click()
    second = pngs(panel)
    panel.likes[2].value = True
    panel.update_button.click()
    assert len(s.rounds) == 2 and pngs(panel) != second
    panel.undo_button.click()
    assert len(s.rounds) == 1 and pngs(panel) == second
    panel.undo_button.click()
    assert len(s.rounds) == 0 and pngs(panel) == first
    panel.undo_button.click()
    assert "refused: nothing to undo" in panel.status.value and pngs(panel) == first


def test_stars_and_better_of_two():
    s = FakeSession("a circle", n=4)
    panel = RatingPanel(s, mode="stars")
    assert all(t.layout.display == "none" for t in panel.likes)
    for control, v in zip(panel.stars, (1, 2, 4, 5)):
        control.value = v
    panel.update_button.click()
    assert s.received[-1] == ([1.0, 2.0, 4.0, 5.0], None)
    assert [c.value for c in panel.stars] == [3, 3, 3, 3]

    panel.mode.value = "pair"
    assert [c.layout.display for c in panel.cells] == [None, None, "none", "none"]
    assert panel.better.layout.display is None
    panel.update_button.click()  # no choice made yet
    assert len(s.rounds) == 1 and "refused: choose the better" in panel.status.value
    panel.better.value = False
    panel.update_button.click()
    assert s.received[-1] == ([1.0, 5.0, None, None], None) and len(s.rounds) == 2
    assert panel.better.value is None


def test_a_bad_rating_is_refused_in_one_line():
    class Picky(FakeSession):
        def update(self):
            raise T2ILabError("the model is\nbusy")

    panel = RatingPanel(Picky("a circle", n=4))
    panel.update_button.click()
    assert "refused: the model is busy" in panel.status.value


def test_auto_drives_the_controls_and_records_gold():
    s = FakeSession("a circle", n=4)
    panel = RatingPanel(s)
    records = panel.auto(FakeRater(), rounds=3)
    assert len(records) == 3 and len(s.rounds) == 3
    assert s.received[0] == ([5.0, 1.0, 5.0, 1.0], [1.0, 0.0, 1.0, 0.0])
    assert records[-1]["gold"] == 0.5
    panel.mode.value = "stars"
    panel.auto(FakeRater(), rounds=1)
    assert s.received[-1][0] == [5.0, 2.0, 5.0, 2.0]
    panel.mode.value = "pair"
    panel.auto(FakeRater(), rounds=1)
    assert s.received[-1][0][:2] == [5.0, 1.0]


def test_gamma_slider_shows_the_discounted_return():
    s = FakeSession("a circle", n=4)
    panel = RatingPanel(s)
    panel.auto(FakeRater(), rounds=2)  # mean rating 3 in both rounds
    panel.gamma.value = 0.5
    assert "4.50" in panel.ret.value and "γ = 0.50" in panel.ret.value  # 3 + 0.5 * 3
    panel.gamma.value = 0.0
    assert "3.00" in panel.ret.value


def test_prompt_box_starts_a_new_session_only_before_any_round():
    s = FakeSession("a circle", n=4)
    panel = RatingPanel(s)
    panel.prompt.value = "a square"
    assert panel.session is not s and panel.session.prompt == "a square"
    assert all("a square" in img.tooltip for img in panel.images)
    panel.auto(FakeRater(), rounds=1)
    kept = panel.session
    panel.prompt.value = "a triangle"
    assert panel.session is kept and panel.prompt.value == "a square"
    assert "refused" in panel.status.value


def test_static_rendering_shows_candidates_ratings_and_curves():
    panel = RatingPanel(FakeSession("a circle", n=4))
    panel.auto(FakeRater(), rounds=2)
    panel.likes[0].value = True
    data = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    png = PILImage.open(io.BytesIO(base64.b64decode(data["image/png"])))
    assert png.width >= 900 and png.height > 236
    assert data["text/html"].count("<img alt='candidate ") == 4 and "a circle" in data["text/html"]
    assert "1: liked" in data["text/html"]
    assert data["text/plain"].startswith("RatingPanel: “a circle”, 2 rounds rated")


def test_curves_png_with_and_without_rounds():
    empty = PILImage.open(io.BytesIO(curves_png([], "a circle")))
    rounds = [{"round": t, "mean_rating": 2 + t / 2, "liked_share": t / 5, "kl": 0.1 * t, "prompt_accuracy": 1.0,
               "gold": None if t == 2 else 0.5} for t in range(1, 5)]
    full = PILImage.open(io.BytesIO(curves_png(rounds, "a circle")))
    assert empty.size == full.size == (900, 236)
    assert empty.tobytes() != full.tobytes()


def test_unknown_mode_is_refused():
    with pytest.raises(T2ILabError, match="mode must be one of like, stars, pair"):
        RatingPanel(FakeSession("a circle"), mode="thumbs")


def test_with_the_real_session_the_file_is_written_and_undo_restores_the_policy(tmp_path):
    from t2ilab.rl import FeedbackSession, SimulatedRater

    s = FeedbackSession("a circle", "shapes-gan", n=4, path=tmp_path / "fb", seed=1)
    panel = RatingPanel(s)
    first = pngs(panel)
    initial = {k: v.clone() for k, v in s.adapter.state_dict().items()}
    panel.likes[0].value = True
    panel.update_button.click()
    saved = json.loads((tmp_path / "fb" / "session.json").read_text())
    assert len(saved["rounds"]) == 1 and saved["rounds"][0]["scores"] == [5.0, 1.0, 1.0, 1.0]
    assert pngs(panel) != first
    assert any(not torch.equal(v, initial[k]) for k, v in s.adapter.state_dict().items())
    panel.undo_button.click()
    assert pngs(panel) == first and not s.rounds
    assert all(torch.equal(v, initial[k]) for k, v in s.adapter.state_dict().items())
    assert json.loads((tmp_path / "fb" / "session.json").read_text())["rounds"] == []
    records = panel.auto(SimulatedRater("big", "shapes", seed=0), rounds=2)
    assert [r["round"] for r in records] == [1, 2] and all(0 <= r["gold"] <= 1 for r in records)


def test_with_the_real_session_a_new_prompt_keeps_the_settings(tmp_path):
    from t2ilab.rl import FeedbackSession

    s = FeedbackSession("a circle", "shapes-gan", rule="rwl", n=4, gamma=0.5, path=tmp_path / "fb", seed=3)
    panel = RatingPanel(s)
    panel.prompt.value = "a big square"
    new = panel.session
    assert new is not s and (new.prompt, new.rule, new.n, new.gamma, new.seed) == ("a big square", "rwl", 4, 0.5, 3)
    saved = json.loads((tmp_path / "fb" / "session.json").read_text())
    assert saved["prompt"] == "a big square" and saved["model"] == "shapes-gan"
    panel.prompt.value = "a purple elephant"  # a word the dataset cannot draw: one line, nothing changes
    assert panel.session is new and panel.prompt.value == "a big square" and "refused: unknown word" in panel.status.value
