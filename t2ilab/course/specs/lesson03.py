"""Grading spec for lessons/03_vae.ipynb: the Gaussian KL, the reparameterised sample, the β-ELBO."""
from t2ilab.course.spec import Exercise

SETUP = """\
import math
import torch
import torch.nn.functional as F
from t2ilab import losses
"""

# "no t2ilab.losses inside your answer" (the lesson's exercise text)
_VAE = ["t2ilab.losses.vae." + f for f in ("gaussian_kl", "reparameterize", "bernoulli_log_likelihood",
                                           "gaussian_log_likelihood", "beta_elbo")]

EXERCISES = [
    Exercise(
        grade_id="kl_tests",
        solutions=["kl_solution"],
        forbidden=_VAE,
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    b, j = int(torch.randint(1, 9, (1,), generator=g)), int(torch.randint(1, 17, (1,), generator=g))
    mu, logvar = 2 * torch.randn(b, j, generator=g), 1.5 * torch.randn(b, j, generator=g)
    return {"what": f"random mu and logvar of shape [{b}, {j}]", "value": my_gaussian_kl(mu, logvar)}
''',
        cases=3, atol=1e-5, rtol=1e-4,
    ),
    Exercise(
        grade_id="reparameterize_tests",
        solutions=["reparameterize_solution"],
        forbidden=_VAE,
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    b, j = int(torch.randint(1, 9, (1,), generator=g)), int(torch.randint(1, 17, (1,), generator=g))
    mu = torch.randn(b, j, generator=g).requires_grad_()
    logvar = torch.randn(b, j, generator=g).requires_grad_()
    z = my_reparameterize(mu, logvar, torch.Generator().manual_seed(seed + 1))
    d_mu = d_logvar = None  # no gradient reaches mu or logvar (the comparison says so)
    if isinstance(z, torch.Tensor) and z.requires_grad:
        d_mu, d_logvar = torch.autograd.grad(z.pow(2).sum(), (mu, logvar), allow_unused=True)
    return {"what": f"random mu and logvar of shape [{b}, {j}] and a seeded generator",
            "value": {"z": z, "the gradient of sum(z^2) w.r.t. mu": d_mu,
                      "the gradient of sum(z^2) w.r.t. logvar": d_logvar}}
''',
        cases=3, atol=1e-5, rtol=1e-4,
    ),
    Exercise(
        grade_id="elbo_tests",
        solutions=["kl_solution", "reparameterize_solution", "elbo_solution"],
        forbidden=_VAE,
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    b, c, j = int(torch.randint(1, 7, (1,), generator=g)), int(torch.randint(1, 4, (1,), generator=g)), 8
    h, w = int(torch.randint(2, 6, (1,), generator=g)), int(torch.randint(2, 6, (1,), generator=g))
    x = torch.rand(b, c, h, w, generator=g)
    x = torch.where(torch.rand(b, c, h, w, generator=g) < 0.5, x.round(), x)  # some binary pixels
    scale = 10 ** (torch.rand(b, c, h, w, generator=g) * 3.5 - 1)              # logits 0.1 .. 300
    logits = torch.randn(b, c, h, w, generator=g) * scale
    mu, logvar = torch.randn(b, j, generator=g), torch.randn(b, j, generator=g)
    beta = round(float(torch.rand(1, generator=g)) * 4, 2)
    return {"what": f"x and logits [{b}, {c}, {h}, {w}] (some logits near ±300), mu and logvar [{b}, {j}], beta = {beta}",
            "value": my_beta_elbo(x, logits, mu, logvar, beta)}
''',
        cases=3, atol=1e-3, rtol=1e-4,
    ),
]
