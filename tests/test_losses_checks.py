"""The one input check the losses share (t2ilab.losses.checks): what it accepts, and one line naming the argument."""
import pytest
import torch

from t2ilab.errors import T2ILabError
from t2ilab.losses.checks import batch, class_indices, like, values


def test_values_turns_numbers_into_a_float_tensor_and_refuses_the_rest():
    assert values("r", [1, 2]).dtype == torch.get_default_dtype() and values("r", [1, 2]).tolist() == [1.0, 2.0]
    assert values("r", torch.tensor([3])).tolist() == [3.0] and values("r", 2.5).item() == 2.5
    for bad, said in ((None, "None"), ("abc", "str"), ({"a": 1}, "dict"), ([[1, 2], [3]], "list")):
        with pytest.raises(T2ILabError, match=f"^r must be numbers .*got {said}$"):
            values("r", bad)
    with pytest.raises(T2ILabError, match=r"^r is empty \(shape \(0,\)\); pass at least one value$"):
        values("r", [])


def test_batch_wants_a_batch_dimension():
    assert batch("mu", [[0.0, 1.0]]).shape == (1, 2)
    with pytest.raises(T2ILabError, match="mu is a scalar; pass a batch"):
        batch("mu", 1.0)


def test_like_matches_the_reference_shape_dtype_and_device():
    ref = torch.zeros(3, dtype=torch.float64)
    out = like("b", [1, 2, 3], "a", ref)
    assert out.dtype == torch.float64 and out.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(T2ILabError, match=r"^b has shape \(2,\) but a has \(3,\); they must match element for element$"):
        like("b", [1.0, 2.0], "a", ref)


def test_class_indices_are_whole_numbers_in_range():
    assert class_indices("y", [0, 2]).dtype == torch.long
    assert class_indices("y", torch.tensor([0, 2], dtype=torch.int32), classes=3).tolist() == [0, 2]
    for bad, said in ((torch.tensor([0.0]), "torch.float32"), (torch.tensor([True]), "torch.bool"), (None, "None"),
                      ("ab", "str")):
        with pytest.raises(T2ILabError, match=f"^y must be integer class indices .*got {said}; use .long"):
            class_indices("y", bad)
    with pytest.raises(T2ILabError, match=r"y must be class indices in \[0, 3\); got values from -1 to 3"):
        class_indices("y", [-1, 3], classes=3)


def test_categorical_kl_needs_a_last_dimension_of_values():
    from t2ilab.losses import categorical_kl

    assert categorical_kl(torch.zeros(3)).item() == pytest.approx(0.0)
    with pytest.raises(T2ILabError, match=r"^logits is one number; a categorical needs K values .*\[\.\.\., K\]$"):
        categorical_kl(1.0)
