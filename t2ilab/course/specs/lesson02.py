"""Grading spec for lessons/02_gan.ipynb: the discriminator loss, the generator loss, one round of the game."""
from t2ilab.course.spec import Exercise

SETUP = """\
import math
import torch
import torch.nn.functional as F
from t2ilab.losses import (discriminator_loss, gan_value, generator_loss_nonsaturating,
                           generator_loss_saturating, hinge_discriminator_loss, hinge_generator_loss,
                           optimal_discriminator)
"""

# Logits with a spread of scales in every case: ordinary ones and some near ±300 (stability).
_LOGITS = '''
def _probe_logits(n, g):
    scale = 10 ** (torch.rand(n, generator=g) * 3.5 - 1)  # 0.1 .. 300
    return torch.randn(n, generator=g) * scale


def _probe_gradients(loss, inputs):
    # None for each input when no gradient reaches it (the comparison then says so)
    if isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1:
        return torch.autograd.grad(loss, inputs, allow_unused=True)
    return (None,) * len(inputs)
'''

_LOSSES = ["t2ilab.losses.gan.discriminator_loss", "t2ilab.losses.gan.gan_value",
           "t2ilab.losses.gan.generator_loss_nonsaturating"]

EXERCISES = [
    Exercise(
        grade_id="gan_d_loss_tests",
        solutions=["gan_d_loss_solution"],
        forbidden=["t2ilab.losses.gan.discriminator_loss", "t2ilab.losses.gan.gan_value"],
        probe=_LOGITS + '''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    n, m = int(torch.randint(1, 40, (1,), generator=g)), int(torch.randint(1, 40, (1,), generator=g))
    real, fake = _probe_logits(n, g).requires_grad_(), _probe_logits(m, g).requires_grad_()
    loss = my_discriminator_loss(real, fake)
    g_real, g_fake = _probe_gradients(loss, (real, fake))
    return {"what": f"{n} real and {m} fake random logits, some of them near ±300",
            "value": {"the loss": loss, "its gradient w.r.t. real_logits": g_real,
                      "its gradient w.r.t. fake_logits": g_fake}}
''',
        cases=3, atol=1e-5, rtol=1e-4,
    ),
    Exercise(
        grade_id="gan_g_loss_tests",
        solutions=["gan_g_loss_solution"],
        forbidden=_LOSSES,
        probe=_LOGITS + '''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    m = int(torch.randint(1, 64, (1,), generator=g))
    fake = _probe_logits(m, g).requires_grad_()
    loss = my_generator_loss(fake)
    return {"what": f"{m} random fake logits, some of them near ±300",
            "value": {"the loss": loss, "its gradient": _probe_gradients(loss, (fake,))[0]}}
''',
        cases=3, atol=1e-5, rtol=1e-4,
    ),
    Exercise(
        grade_id="gan_step_tests",
        solutions=["gan_d_loss_solution", "gan_g_loss_solution", "gan_step_solution"],
        forbidden=["t2ilab.toys.gan1d.gan_step", "t2ilab.toys.gan1d.discriminator_step", "t2ilab.toys.gan1d.generator_step"],
        probe='''
import t2ilab.toys.gan1d as _probe_gan1d  # (probe names start with _probe: they must not replace a student's)


def probe(seed):
    g = torch.Generator().manual_seed(seed)
    kind = ["SGD", "Adam", "SGD with momentum"][int(torch.randint(0, 3, (1,), generator=g))]
    torch.manual_seed(seed)
    G, D = _probe_gan1d.Generator1D(), _probe_gan1d.Discriminator1D()
    if kind == "SGD":
        opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=0.05), torch.optim.SGD(D.parameters(), lr=0.05)
    elif kind == "Adam":
        opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    else:
        opt_g = torch.optim.SGD(G.parameters(), lr=0.1, momentum=0.9)
        opt_d = torch.optim.SGD(D.parameters(), lr=0.01, momentum=0.9)
    rounds = []
    for _ in range(3):
        real, z = _probe_gan1d.sample_data(16, generator=g), torch.randn(16, 4, generator=g)
        out = my_gan_step(G, D, opt_g, opt_d, real, z)
        if not isinstance(out, tuple) or len(out) != 2:
            raise TypeError(f"my_gan_step should return (d_loss, g_loss), got {type(out).__name__}")
        rounds.append([float(out[0]), float(out[1])])
    return {"what": f"three rounds from a seeded start with {kind} optimisers, batches of 16",
            "value": {"(d_loss, g_loss) of each round": rounds,
                      "D's weights after the three rounds": [p.detach() for p in D.parameters()],
                      "G's weights after the three rounds": [p.detach() for p in G.parameters()]}}
''',
        cases=3, atol=1e-5, rtol=1e-4,
    ),
]
