"""Every metric handed something that is not numbers (a string, None, a dict) says so by name in one line."""
import pytest
import torch

from t2ilab import metrics
from t2ilab.errors import T2ILabError

F = torch.rand(8, 3, generator=torch.Generator().manual_seed(0))
L = torch.zeros(8, 2, dtype=torch.long)
CALLS = {  # metric -> (its arguments with one replaced by BAD, the name the message must give)
    "prompt_accuracy": (lambda bad: metrics.prompt_accuracy(bad, L), "pred_labels"),
    "attribute_accuracy": (lambda bad: metrics.attribute_accuracy(L, bad), "wanted"),
    "gaussian_stats": (lambda bad: metrics.gaussian_stats(bad), "features"),
    "frechet_distance": (lambda bad: metrics.frechet_distance(bad, torch.eye(3), torch.zeros(3), torch.eye(3)), "mu1"),
    "frechet_distance sigma": (lambda bad: metrics.frechet_distance(torch.zeros(3), torch.eye(3), torch.zeros(3), bad),
                               "sigma2"),
    "frechet_distance_features": (lambda bad: metrics.frechet_distance_features(F, bad), "features2"),
    "knn_radii": (lambda bad: metrics.knn_radii(bad), "features"),
    "in_manifold": (lambda bad: metrics.in_manifold(F, F, bad), "radii"),
    "precision_recall": (lambda bad: metrics.precision_recall(bad, F), "real_features"),
    "diversity": (lambda bad: metrics.diversity(bad), "features"),
    "diversity_ratio": (lambda bad: metrics.diversity_ratio(F, bad), "real_features"),
}


@pytest.mark.parametrize("bad, shown", [("abc", "str"), (None, "None"), ({"a": 1}, "dict")])
@pytest.mark.parametrize("metric", sorted(CALLS))
def test_not_numbers_is_one_line_naming_the_argument(metric, bad, shown):
    call, name = CALLS[metric]
    with pytest.raises(T2ILabError, match=rf"^{name} must be a tensor \(or a list of numbers\), got {shown}$"):
        call(bad)


def test_lists_of_numbers_are_still_taken():
    assert metrics.prompt_accuracy([[0, 1], [1, 1]], [[0, 1], [0, 1]]) == 0.5
    assert metrics.frechet_distance([0.0], [[1.0]], [2.0], [[1.0]]) == pytest.approx(4.0)
