"""t2ilab.evaluate's helpers that lessons call: seen and held-out label combinations, and their mistakes."""
import pytest
import torch

from t2ilab.data import HELDOUT
from t2ilab.errors import T2ILabError
from t2ilab.evaluate import combos, evaluate
from t2ilab.models import ConditionalVAE


def test_combos_draw_seen_or_held_out_combinations_by_seed():
    held = {tuple(c) for c in HELDOUT["shapes"]}
    seen, unseen = combos("shapes", False, 200, 0), combos("shapes", True, 50, 0)
    assert seen.shape == (200, 4) and unseen.shape == (50, 4) and seen.dtype == torch.long
    assert not any(tuple(c) in held for c in seen.tolist()) and all(tuple(c) in held for c in unseen.tolist())
    assert torch.equal(combos("shapes", False, 20, 3), combos("shapes", False, 20, 3))
    assert not torch.equal(combos("shapes", False, 20, 3), combos("shapes", False, 20, 4))


@pytest.mark.parametrize("args, says", [(("fashion", True, 3, 0), "^fashion has no held-out combinations: use heldout=False$"),
                                        (("shapes", False, 0, 0), "^n must be a whole number from 1 to 1,000,000, got 0$"),
                                        (("shapes", False, 2.5, 0), "got 2.5$"),
                                        (("shapes", False, 3, -1), "^seed must be a whole number .*try seed=0$"),
                                        (("dogs", False, 3, 0), "^unknown dataset 'dogs'")])
def test_combos_mistakes_are_one_line(args, says):
    with pytest.raises(T2ILabError, match=says):
        combos(*args)


def test_evaluate_refuses_a_model_that_names_no_dataset():
    with pytest.raises(T2ILabError, match="^evaluate needs a t2ilab model that names its dataset"):
        evaluate(ConditionalVAE(widths=(8, 8, 8), latent=4), samples=10)
    with pytest.raises(T2ILabError, match="^evaluate needs a t2ilab model"):
        evaluate(torch.nn.Linear(2, 2), samples=10)
