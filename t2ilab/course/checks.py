"""Self-checks for exercise test cells: a failed check says which input, what was expected, what came back."""
from __future__ import annotations

import torch

from .. import device  # noqa: F401  (sets torch's threads when first imported)


def _show(v) -> str:
    if isinstance(v, torch.Tensor):
        v = v.detach()
        return f"tensor{tuple(v.shape)} {v.flatten()[:6].tolist()}{'…' if v.numel() > 6 else ''}" if v.dim() else f"{v.item():.6g}"
    return repr(v)


def check_close(what: str, got, expected, atol: float = 1e-5, rtol: float = 1e-4, inputs: str = "") -> None:
    """Assert `got` ≈ `expected`; on failure, an AssertionError a student can act on."""
    where = f" for {inputs}" if inputs else ""
    if got is None:
        raise AssertionError(f"{what}{where} returned None: did you forget `return`?")
    got_t, exp_t = torch.as_tensor(got, dtype=torch.float64), torch.as_tensor(expected, dtype=torch.float64)
    if got_t.shape != exp_t.shape:
        raise AssertionError(f"{what}{where} has shape {tuple(got_t.shape)}, expected {tuple(exp_t.shape)}: "
                             "check which dimensions you sum or average over")
    if not torch.isfinite(got_t).all():
        raise AssertionError(f"{what}{where} returned {_show(got_t)}, which has NaN or inf: compute from logits "
                             "with a stable function (F.logsigmoid, F.softplus) instead of log(sigmoid(...))")
    if not torch.allclose(got_t, exp_t, atol=atol, rtol=rtol):
        raise AssertionError(f"{what}{where} returned {_show(got_t)}, expected {_show(exp_t)}")
