"""Raters, the reward model and the update rules of t2ilab.rl."""
import pytest
import torch

from t2ilab import hub
from t2ilab.errors import T2ILabError
from t2ilab.evaluate import judge_for
from t2ilab.rl import RULES, PreferenceAdapter, RewardModel, SimulatedRater, make_rater, update
from t2ilab.text import labels_for


@pytest.fixture(scope="module")
def gan():
    return hub.load("shapes-gan")


@pytest.fixture(scope="module")
def judge():
    return judge_for("shapes")


def images_of(gan, prompt, n, seed):
    labels = labels_for(prompt, "shapes", n=n, seed=seed)
    return gan.generate(labels, generator=torch.Generator().manual_seed(seed)), labels


def test_simulated_rater_reads_its_taste_off_the_image(gan):
    big, lb = images_of(gan, "a big circle", 16, 0)
    small, ls = images_of(gan, "a small circle", 16, 1)
    r = SimulatedRater("big", "shapes", seed=0)
    # (one of the 16 big circles of the shipped GAN is lumpy enough to read 0.43)
    assert (r.gold(big, lb) > 0.5).sum() >= 15 and r.gold(big, lb).mean() > 0.9 and r.gold(small, ls).max() < 0.1
    squares = lb.clone()
    squares[:, 0] = 1  # the images claim to be squares: not what they show
    not_asked = r.gold(big, squares)  # a big shape that is not what was asked for is not liked (the lumpy one: 0.57)
    assert (not_asked > 0.5).sum() <= 1 and not_asked.median() < 0.01
    assert SimulatedRater("big", "shapes", faithful=False).gold(big, squares).min() > 0.9
    scores = r.rate(torch.cat([big, small]), torch.cat([lb, ls]))
    assert set(scores.tolist()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert scores[:16].mean() > 4 and scores[16:].mean() < 2
    assert r.likes(big, lb).float().mean() > 0.8 and r.likes(small, ls).float().mean() < 0.2
    assert r.prefer(big, lb, small, ls).float().mean() > 0.8
    again = SimulatedRater("big", "shapes", seed=0).rate(torch.cat([big, small]), torch.cat([lb, ls]))
    assert torch.equal(scores, again)  # seeded noise
    assert SimulatedRater("size=big", "shapes").value == 1 and SimulatedRater("left", "shapes").attribute == "position"
    noisy = SimulatedRater("big", "shapes", noise=0.0, flip=0.5, seed=1).likes(big, lb)
    assert 0.2 < noisy.float().mean() < 0.8  # half the answers flipped


def test_style_taste_needs_its_line_at_the_median():
    vae = hub.load("fashion-vae")
    r = SimulatedRater("dark", "fashion")
    images = vae.generate(labels_for("a dress", "fashion", n=64, seed=5))
    with pytest.raises(T2ILabError, match="calibrate"):
        r.gold(images)
    r.calibrate(vae, "a dress", n=256)
    share = (r.gold(images) > 0.5).float().mean().item()
    assert 0.3 < share < 0.7  # the line is the median of the pretrained samples
    darker = images * 0.5
    assert (r.gold(darker) > 0.5).float().mean() > 0.9


@pytest.mark.parametrize("spec", ["human:big", "simulated:", "simulated:huge", "big"])
def test_unknown_rater_spec(spec):
    with pytest.raises(T2ILabError):
        make_rater(spec, "shapes")


def test_make_rater():
    r = make_rater("simulated:left", "shapes", seed=3)
    assert isinstance(r, SimulatedRater) and r.attribute == "position" and r.value == 0


def test_reward_model_scores_and_pairs(gan, judge):
    images, labels = images_of(gan, "a circle", 96, 2)
    liked = labels[:, 2] == 1  # big
    rm = RewardModel(judge)
    assert torch.equal(rm(images), torch.zeros(96))  # unfitted
    rm.fit_scores(images[:48], torch.where(liked[:48], 5.0, 1.0))
    assert rm.accuracy(images[48:], liked[48:]) > 0.95
    bt = RewardModel(judge).fit_pairs(images[:24], images[24:48], liked[:24].int() > liked[24:48].int())
    assert bt.accuracy(images[48:], liked[48:]) > 0.9
    assert rm.accuracy(images[liked], torch.ones(int(liked.sum()))) != rm.accuracy(images[liked], torch.ones(int(liked.sum())))  # NaN
    with pytest.raises(T2ILabError):
        rm.fit_scores(images[:4], [1.0, 2.0])
    with pytest.raises(T2ILabError):
        rm.fit_pairs(images[:4], images[:3], [True] * 4)


@pytest.mark.parametrize("rule", [r for r in RULES if r != "best-of-n"])
def test_each_rule_raises_the_liked_attribute(gan, rule):
    a = PreferenceAdapter(gan)
    draw = a.sample("a circle", 32, seed=0)
    rewards = (draw.labels[:, 2] == 1).float()  # likes big
    log = update(a, rule, draw, rewards, "a circle")
    p_big = a.probs("a circle")["size"][1]
    assert p_big > 0.55 and log["kl"] > 0
    assert a.probs("a square")["size"][1] > 0.52  # the shared network carries it to another prompt


def test_best_of_n_does_not_train(gan):
    a = PreferenceAdapter(gan)
    before = {k: v.clone() for k, v in a.state_dict().items()}
    draw = a.sample("a circle", 8, seed=0)
    assert update(a, "best-of-n", draw, torch.rand(8), "a circle")["kl"] == 0.0
    assert all(torch.equal(before[k], v) for k, v in a.state_dict().items())


def test_returns_to_go_credit_the_steps(gan):
    # gamma = 0: the attributes (step 1) get no credit for the rating after z (step 2)
    a = PreferenceAdapter(gan)
    draw = a.sample("a circle", 32, seed=0)
    update(a, "reinforce", draw, (draw.labels[:, 2] == 1).float(), "a circle", gamma=0.0, kl_weight=0.0)
    assert a.probs("a circle")["size"] == pytest.approx([0.5, 0.5], abs=1e-6)
    assert a.kl("a circle").item() > 0  # z moved


def test_update_bad_input(gan):
    a = PreferenceAdapter(gan)
    draw = a.sample("a circle", 4, seed=0)
    with pytest.raises(T2ILabError):
        update(a, "ppo", draw, torch.ones(4), "a circle")
    with pytest.raises(T2ILabError):
        update(a, "reinforce", draw, torch.ones(3), "a circle")


def test_a_diverging_update_keeps_the_last_good_policy(gan):
    a = PreferenceAdapter(gan)
    before = {k: v.clone() for k, v in a.state_dict().items()}
    draw = a.sample("a circle", 8, seed=0)
    with pytest.raises(T2ILabError, match="diverged"):
        update(a, "reinforce", draw, torch.arange(8.0) / 8, "a circle", lr=float("inf"))
    assert all(torch.equal(before[k], v) for k, v in a.state_dict().items())


@pytest.mark.parametrize("rewards, says", [("good", "^rewards must be numbers .* got str$"), (None, "got None$"),
                                           ([0.5, 1.0], "^2 rewards for 8 samples: rate every candidate once$")])
def test_ratings_that_are_not_one_number_per_sample_are_one_line(gan, rewards, says):
    a = PreferenceAdapter(gan)
    with pytest.raises(T2ILabError, match=says):
        update(a, "rwl", a.sample("a circle", 8, seed=0), rewards, "a circle")


def test_a_rater_or_adapter_seed_that_is_not_a_seed_is_one_line(gan):
    for bad in (-1, "3", 0.5):
        with pytest.raises(T2ILabError, match="^seed must be a whole number from 0 to"):
            SimulatedRater("big", "shapes", seed=bad)
        with pytest.raises(T2ILabError, match="^seed must be a whole number from 0 to"):
            PreferenceAdapter(gan, seed=bad)
