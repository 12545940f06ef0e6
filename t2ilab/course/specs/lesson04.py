"""Grading spec of lesson 04 (Learning from your ratings): four exercises, probed on seeded random inputs.

Each probe calls the student's function on inputs drawn from `seed` and returns the values (and, where
the exercise is about gradients, the gradients) that the grader compares with the lesson's own solution.
"""
from t2ilab.course.spec import Exercise

SETUP = "import math\nimport torch\nimport torch.nn.functional as F\n"

EXERCISES = [
    Exercise(
        grade_id="rl_return_tests",
        solutions=["rl_return_solution"],
        forbidden=["t2ilab.losses.rl.discounted_return", "t2ilab.losses.rl.returns_to_go",
                   "t2ilab.losses.discounted_return", "t2ilab.losses.returns_to_go"],
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    t, b = int(torch.randint(1, 25, (1,), generator=g)), int(torch.randint(2, 6, (1,), generator=g))
    gamma = float(torch.rand((), generator=g))
    one = torch.rand(t, generator=g) * 4 + 1
    many = torch.rand(b, t, generator=g) * 4 + 1
    return {"what": f"one session of {t} rounds and {b} sessions of {t} rounds, gamma in [0, 1], 0 and 1",
            "value": {"one session": my_discounted_return(one, gamma),
                      "several sessions": my_discounted_return(many, gamma),
                      "gamma 0": my_discounted_return(one, 0.0),
                      "gamma 1": my_discounted_return(many, 1.0)}}
''',
        cases=3, atol=1e-4, rtol=1e-4,
    ),
    Exercise(
        grade_id="rl_reinforce_tests",
        solutions=["rl_reinforce_solution"],
        forbidden=["t2ilab.losses.rl.reinforce_loss", "t2ilab.losses.rl.reinforce_to_go_loss",
                   "t2ilab.losses.rl.rlhf_objective", "t2ilab.losses.reinforce_loss",
                   "t2ilab.losses.rlhf_objective"],
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    n = int(torch.randint(2, 40, (1,), generator=g))
    log_probs = (-torch.rand(n, generator=g) * 5).requires_grad_()
    rewards = torch.randint(1, 6, (n,), generator=g).float().requires_grad_()   # a missing detach shows
    per_candidate = (rewards.detach().sum() - rewards.detach()) / (n - 1)          # leave-one-out baseline
    value = {}
    for name, b in (("baseline a number", float(rewards.detach().mean())), ("baseline per candidate", per_candidate)):
        lp = log_probs.detach().clone().requires_grad_()
        loss = my_reinforce_loss(lp, rewards, b)
        loss.backward()
        value[name] = {"loss": loss.detach(), "d loss / d log_probs": lp.grad,
                       "no gradient reached the rewards": float(rewards.grad is None)}
        rewards.grad = None
    return {"what": f"{n} candidates with random log-probabilities and ratings", "value": value}
''',
        cases=3, atol=1e-5, rtol=1e-4,
    ),
    Exercise(
        grade_id="rl_bradley_terry_tests",
        solutions=["rl_bradley_terry_solution"],
        forbidden=["t2ilab.losses.rl.bradley_terry_loss", "t2ilab.losses.rl.bradley_terry_probability",
                   "t2ilab.losses.rl.dpo_loss", "t2ilab.losses.bradley_terry_loss",
                   "t2ilab.losses.bradley_terry_probability"],
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    n = int(torch.randint(1, 40, (1,), generator=g))
    scale = [0.1, 3.0, 100.0][seed % 3]
    a = (torch.randn(n, generator=g) * scale).requires_grad_()
    b = (torch.randn(n, generator=g) * scale).requires_grad_()
    prefer_a = torch.rand(n, generator=g) < 0.5
    loss = my_bradley_terry_loss(a, b, prefer_a)
    loss.backward()
    return {"what": f"{n} pairs of random scores (some of them large)",
            "value": {"loss": loss.detach(), "d loss / d score_a": a.grad, "d loss / d score_b": b.grad}}
''',
        cases=3, atol=1e-5, rtol=1e-4,
    ),
    Exercise(
        grade_id="rl_dpo_tests",
        solutions=["rl_dpo_solution"],
        forbidden=["t2ilab.losses.rl.dpo_loss", "t2ilab.losses.dpo_loss",
                   "t2ilab.losses.rl.bradley_terry_loss", "t2ilab.losses.bradley_terry_loss"],
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    n = int(torch.randint(1, 40, (1,), generator=g))
    beta = [0.05, 0.5, 2.0][seed % 3]
    scale = [1.0, 10.0, 100.0][(seed // 3) % 3]
    logp_w, logp_l, ref_w, ref_l = (torch.randn(n, generator=g) * scale - 3 for _ in range(4))
    logp_w.requires_grad_(), logp_l.requires_grad_()
    loss = my_dpo_loss(logp_w, logp_l, ref_w, ref_l, beta)
    loss.backward()
    return {"what": f"{n} pairs of random log-probabilities, a random beta",
            "value": {"loss": loss.detach(), "d loss / d logp_w": logp_w.grad, "d loss / d logp_l": logp_l.grad}}
''',
        cases=3, atol=1e-5, rtol=1e-4,
    ),
]
