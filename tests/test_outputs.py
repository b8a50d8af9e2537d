"""nn.outputs, nn.predict and nn.accuracy with a compiled forward pass: the eager engine's numbers, faster.

The reference is the same model run eagerly (itself checked against torch elsewhere). The forward program does
the float operations of the eager forward pass in the same order, so the numbers agree bit for bit.
"""

from __future__ import annotations

import random

import pytest

import autograd
import nn
from autograd import Value


def points(n: int, width: int, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(width)] for _ in range(n)]


@pytest.mark.parametrize("nin, sizes", [(2, [8, 3]), (2, [8, 1]), (35, [40, 5]), (3, [4, 4, 1])])
def test_compiled_outputs_are_the_eager_outputs_bit_for_bit(nin: int, sizes: list[int]) -> None:
    model = nn.MLP(nin, sizes, seed=1)  # (35 inputs and 40 hidden: the wide rows' sum(map(...)) form)
    X = points(30, nin)
    compiled = nn.outputs(model, X, compile=True)
    eager = nn.outputs(model, X, compile=False)
    assert compiled == eager
    with autograd.no_grad():
        by_hand = [model(x) for x in X]
    assert eager == [o.data if isinstance(o, Value) else [v.data for v in o] for o in by_hand]
    assert nn.predict(model, X, compile=True) == nn.predict(model, X, compile=False)


def test_a_model_with_dropout_is_compiled_in_eval_mode_and_its_modes_are_restored() -> None:
    model = nn.MLP(2, [6, 2], seed=2, dropout=0.5)
    model.train()
    X = points(20, 2, seed=5)
    compiled = nn.outputs(model, X, compile=True)
    assert all(m.training for m in model.modules())  # left as it was
    model.eval()
    with autograd.no_grad():
        assert compiled == [[v.data for v in model(x)] for x in X]


class Branchy(nn.Module):
    """A model whose forward pass branches on a number: it cannot be compiled, only run eagerly."""

    def __init__(self) -> None:
        super().__init__()
        self.w = Value(0.5)

    def forward(self, x: list) -> Value:
        s = self.w * x[0]
        return s * 2.0 if s > 0 else s * 3.0


def test_a_model_that_branches_on_a_number_runs_eagerly_by_default_and_is_refused_when_compile_is_asked() -> None:
    model = Branchy()
    X = [[1.0], [-1.0]] * 600  # enough samples (nn.train.COMPILE_FROM) for the default to try compiling
    assert nn.outputs(model, X) == [1.0, -1.5] * 600
    with pytest.raises(autograd.TracingError, match="compared a Value"):
        nn.outputs(model, X, compile=True)


def test_accuracy_is_the_same_whichever_way_the_forward_pass_runs() -> None:
    X, y = nn.make_moons(300, noise=0.2, seed=6)
    model = nn.MLP(2, [8, 2], seed=7)
    assert nn.accuracy(model, X, y, compile=True) == nn.accuracy(model, X, y, compile=False)


def test_bad_arguments_get_clear_errors() -> None:
    model = nn.MLP(2, [3, 1], seed=8)
    with pytest.raises(TypeError, match="compile"):
        nn.outputs(model, [[0.0, 1.0]], compile="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="X must be a list"):
        nn.outputs(model, 3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sample 1 has 3 numbers but sample 0 has 2"):
        nn.outputs(model, [[0.0, 1.0], [0.0, 1.0, 2.0]], compile=True)
