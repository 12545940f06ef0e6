"""Grading spec for lessons/05_evaluation.ipynb: MSE and MAE, the Fréchet distance, precision and recall."""
from t2ilab.course.spec import Exercise

SETUP = """\
import math
import numpy as np
import torch
from t2ilab import metrics
"""

EXERCISES = [
    Exercise(
        grade_id="mse_mae_tests",
        solutions=["mse_mae_solution"],
        forbidden=["t2ilab.metrics.pixel.mse", "t2ilab.metrics.pixel.mae"],
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    shape = tuple(int(v) for v in torch.randint(1, 7, (int(torch.randint(1, 5, (1,), generator=g)),), generator=g))
    a, b = torch.rand(shape, generator=g), torch.rand(shape, generator=g)
    return {"what": f"two random tensors of shape {list(shape)}", "value": {"my_mse": my_mse(a, b), "my_mae": my_mae(a, b)}}
''',
        cases=3, atol=1e-6, rtol=1e-5,
    ),
    Exercise(
        grade_id="frechet_tests",
        solutions=["frechet_solution"],
        forbidden=["t2ilab.metrics.frechet.frechet_distance", "t2ilab.metrics.frechet.frechet_distance_features",
                   "t2ilab.metrics.frechet._sqrtm_psd"],
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    d = int(torch.randint(1, 9, (1,), generator=g))
    stats = []
    for n, shift in ((60, 0.0), (50, 0.5)):
        f = torch.randn(n, d, generator=g, dtype=torch.float64) @ torch.randn(d, d, generator=g, dtype=torch.float64) + shift
        stats += [f.mean(0), torch.cov(f.T).reshape(d, d)]
    return {"what": f"Gaussians fitted to random {d}-D features (covariances that do not commute)",
            "value": float(my_frechet_distance(*stats))}
''',
        cases=3, atol=1e-6, rtol=1e-5,
    ),
    Exercise(
        grade_id="precision_recall_tests",
        solutions=["precision_recall_solution"],
        forbidden=["t2ilab.metrics.manifold.precision_recall", "t2ilab.metrics.manifold.knn_radii",
                   "t2ilab.metrics.manifold.in_manifold"],
        probe='''
def probe(seed):
    g = torch.Generator().manual_seed(seed)
    n_real, n_fake = int(torch.randint(20, 90, (1,), generator=g)), int(torch.randint(20, 90, (1,), generator=g))
    d, k = int(torch.randint(1, 9, (1,), generator=g)), int(torch.randint(1, 6, (1,), generator=g))
    real = torch.randn(n_real, d, generator=g, dtype=torch.float64)
    fake = 1.3 * torch.randn(n_fake, d, generator=g, dtype=torch.float64) + 0.4
    p, r = my_precision_recall(real, fake, k=k)
    return {"what": f"random features, real [{n_real}, {d}], fake [{n_fake}, {d}], k = {k}",
            "value": {"precision": float(p), "recall": float(r)}}
''',
        cases=3, atol=1e-9, rtol=1e-9,
    ),
]
