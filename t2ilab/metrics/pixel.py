"""Pixel metrics (lesson 05_evaluation, and the source articles' training losses): MSE and MAE."""

from __future__ import annotations

from torch import Tensor

from t2ilab.errors import T2ILabError

__all__ = ["mse", "mae"]


def _pair(a: Tensor, b: Tensor, reduction: str) -> tuple[Tensor, Tensor]:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise T2ILabError("mse/mae compare two torch.Tensors of images; convert them with torch.as_tensor(...)")
    if a.shape != b.shape:
        raise T2ILabError(
            f"the images have shapes {tuple(a.shape)} and {tuple(b.shape)}; they must match (resize or crop one of them)"
        )
    if a.numel() == 0:
        raise T2ILabError("the images are empty; pass at least one pixel")
    if reduction not in ("mean", "none"):
        raise T2ILabError(f"reduction must be 'mean' (one number) or 'none' (one per image), got {reduction!r}")
    if reduction == "none" and a.ndim == 0:
        raise T2ILabError("reduction='none' needs a batch [B, ...]; a single number has no images to list")
    if not a.is_floating_point():
        a = a.float()
    if not b.is_floating_point():
        b = b.float()
    return a, b


def _reduce(per_pixel: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return per_pixel.reshape(per_pixel.shape[0], -1).mean(dim=1)  # one value per image, [B]
    return per_pixel.mean()  # one value over all pixels of all images


def mse(a: Tensor, b: Tensor, reduction: str = "mean") -> Tensor:
    r"""Mean squared error between two images (or batches of images).

    $$ \mathrm{MSE}(a, b) = \frac{1}{n} \sum_{i=1}^{n} (a_i - b_i)^2 $$

    where $a_i$ and $b_i$ are the values of pixel (element) $i$ of `a` and `b` and $n$ the number
    of elements averaged over: all of them (`reduction="mean"`, a 0-d tensor) or those of each
    image (`reduction="none"`, shape [B]). Differentiable, so it also serves as a loss.
    """
    a, b = _pair(a, b, reduction)
    return _reduce((a - b).pow(2), reduction)  # mean of (a_i - b_i)^2


def mae(a: Tensor, b: Tensor, reduction: str = "mean") -> Tensor:
    r"""Mean absolute error between two images (or batches of images).

    $$ \mathrm{MAE}(a, b) = \frac{1}{n} \sum_{i=1}^{n} |a_i - b_i| $$

    where $a_i$ and $b_i$ are the values of pixel (element) $i$ of `a` and `b` and $n$ the number
    of elements averaged over: all of them (`reduction="mean"`, a 0-d tensor) or those of each
    image (`reduction="none"`, shape [B]). Less sensitive to a few very wrong pixels than MSE.
    """
    a, b = _pair(a, b, reduction)
    return _reduce((a - b).abs(), reduction)  # mean of |a_i - b_i|
