"""Prompt accuracy: does the judge read, in the generated image, the attributes the prompt asked for?

Labels are [N, A] integer class indices, one column per attribute (shape, color, size, ...).
In `wanted`, -1 marks an attribute the prompt left open ("a red shape": any shape): it is ignored.
"""

from __future__ import annotations

import torch
from torch import Tensor

from t2ilab.errors import T2ILabError
from t2ilab.metrics.features import as_tensor

__all__ = ["OPEN", "prompt_accuracy", "attribute_accuracy"]

OPEN = -1  # the value of an attribute the prompt did not fix


def _labels(pred_labels: Tensor, wanted: Tensor) -> tuple[Tensor, Tensor]:
    pred = as_tensor("pred_labels", pred_labels)
    want = as_tensor("wanted", wanted).to(pred.device)
    for name, t in (("pred_labels", pred), ("wanted", want)):
        if t.is_floating_point() or t.dtype == torch.bool:
            raise T2ILabError(f"{name} must be integer class indices (torch.long), got {t.dtype}; use .argmax(dim=-1) or .long()")
    if pred.ndim == 1:
        pred = pred.unsqueeze(1)  # one attribute: [N] -> [N, 1]
    if want.ndim == 1:
        want = want.unsqueeze(1)
    if pred.shape != want.shape or pred.ndim != 2:
        raise T2ILabError(
            f"pred_labels has shape {tuple(pred.shape)} but wanted has {tuple(want.shape)}; both must be [N, A]"
        )
    if pred.numel() == 0:
        raise T2ILabError("pred_labels and wanted are empty; judge at least one image")
    if bool((want < OPEN).any()):
        raise T2ILabError(f"wanted has values below {OPEN}; use class indices >= 0, or {OPEN} for an open attribute")
    return pred, want


def prompt_accuracy(pred_labels: Tensor, wanted: Tensor) -> float:
    r"""Share of generated images with every attribute the prompt fixed read correctly by the judge.

    $$ \mathrm{acc} = \frac{1}{N} \sum_{n=1}^{N} \prod_{a \,:\, w_{n,a} \ne -1} \mathbb{1}\big[\hat{y}_{n,a} = w_{n,a}\big] $$

    where $\hat{y}_{n,a}$ is the judge's reading of attribute $a$ in image $n$ (`pred_labels`,
    [N, A]), $w_{n,a}$ what the prompt asked for (`wanted`, [N, A]; $-1$ = left open, skipped)
    and $N$ the number of images. An image whose prompt fixes nothing counts as correct.
    """
    pred, want = _labels(pred_labels, wanted)
    fixed = want != OPEN  # attributes the prompt fixed
    right = (pred == want) | ~fixed  # 1[y_hat = w], open attributes always pass
    return float(right.all(dim=1).double().mean())  # 1/N sum_n prod_a


def attribute_accuracy(pred_labels: Tensor, wanted: Tensor) -> list[float]:
    r"""Accuracy of each attribute separately, over the images whose prompt fixed it.

    $$ \mathrm{acc}_a = \frac{\sum_{n} \mathbb{1}\big[w_{n,a} \ne -1\big]\, \mathbb{1}\big[\hat{y}_{n,a} = w_{n,a}\big]}{\sum_{n} \mathbb{1}\big[w_{n,a} \ne -1\big]} $$

    where $\hat{y}_{n,a}$ is the judge's reading of attribute $a$ in image $n$ (`pred_labels`,
    [N, A]) and $w_{n,a}$ what the prompt asked for (`wanted`; $-1$ = open). Returns one float
    per attribute; NaN for an attribute that no prompt fixed.
    """
    pred, want = _labels(pred_labels, wanted)
    fixed = want != OPEN  # 1[w != -1]
    right = (pred == want) & fixed  # 1[w != -1] 1[y_hat = w]
    counts = fixed.sum(dim=0)
    result = []
    for a in range(want.shape[1]):
        n_fixed = int(counts[a])
        result.append(float(right[:, a].sum()) / n_fixed if n_fixed else float("nan"))  # acc_a
    return result
