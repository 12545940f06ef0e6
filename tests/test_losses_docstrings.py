"""The course rule: every equation function carries its LaTeX ($$ ... $$) and says what each symbol is."""

from __future__ import annotations

import inspect

import pytest

import t2ilab.losses as losses
import t2ilab.metrics as metrics

FUNCTIONS = [
    (module.__name__, name, getattr(module, name))
    for module in (losses, metrics)
    for name in module.__all__
    if inspect.isfunction(getattr(module, name))
]


def test_every_public_name_is_exported():
    """Each name a submodule (t2ilab.losses.gan, t2ilab.metrics.frechet, ...) makes public is in its
    package's __all__, as the same object, so `from t2ilab.losses import *` gives every equation."""
    import importlib
    import pkgutil

    assert len(FUNCTIONS) >= 30
    for package in (losses, metrics):
        for info in pkgutil.iter_modules(package.__path__):
            sub = importlib.import_module(f"{package.__name__}.{info.name}")
            for name in getattr(sub, "__all__", []):
                assert name in package.__all__, f"{sub.__name__}.{name} is not in {package.__name__}.__all__"
                assert getattr(package, name) is getattr(sub, name), f"{package.__name__}.{name}"
        star: dict = {}
        exec(f"from {package.__name__} import *", star)
        assert set(package.__all__) <= set(star), package.__name__


@pytest.mark.parametrize("module, name, fn", FUNCTIONS, ids=[f"{m}.{n}" for m, n, _ in FUNCTIONS])
def test_docstring_carries_the_equation(module, name, fn):
    doc = inspect.getdoc(fn) or ""
    assert doc.count("$$") == 2, f"{module}.{name}: needs exactly one $$ ... $$ block"
    equation = doc.split("$$")[1]
    assert "\\" in equation or "=" in equation, f"{module}.{name}: the $$ block holds no equation"
    assert "where " in doc.split("$$")[2], f"{module}.{name}: say what each symbol is ('where ...') after the equation"
    hints = inspect.get_annotations(fn)
    assert "return" in hints, f"{module}.{name}: missing return type hint"
