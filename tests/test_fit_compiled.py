"""fit(compile=True) trains exactly as fit(compile=False) does: the same History and the same parameters, to
rounding, for every named loss; and it refuses what it cannot compile."""

from __future__ import annotations

import pytest

import nn
from nn import optim
from nn.functional import l2_penalty


def run(loss: str, compile: bool, sizes: list[int], y: list, X: list, **kwargs: object) -> tuple[nn.History, list]:
    model = nn.MLP(2, sizes, seed=4)
    sgd = optim.SGD(model.parameters(), lr=0.3, momentum=0.5)
    history = nn.fit(model, X, y, loss=loss, optimizer=sgd, epochs=4, progress=False, seed=1, compile=compile,
                     regularization=lambda m: 1e-3 * l2_penalty(m.parameters()), **kwargs)  # fmt: skip
    return history, [p.data for p in model.parameters()]


X, labels = nn.make_moons(24, noise=0.1, seed=2)
CASES = {
    "hinge": ([8, 1], labels),
    "bce_with_logits": ([8, 1], labels),
    "cross_entropy": ([8, 2], labels),
    "mse": ([8, 1], [float(t) for t in labels]),
}


@pytest.mark.parametrize("loss", list(CASES))
@pytest.mark.parametrize("batch_size", [None, 10])
def test_fit_compiled_gives_the_eager_history_and_parameters(loss: str, batch_size: int | None) -> None:
    sizes, y = CASES[loss]
    eager, eager_params = run(loss, False, sizes, y, X, batch_size=batch_size)
    compiled, compiled_params = run(loss, True, sizes, y, X, batch_size=batch_size)
    for name in ("train_loss", "train_accuracy", "lr"):
        assert getattr(compiled, name) == pytest.approx(getattr(eager, name), rel=1e-9), name
    assert compiled_params == pytest.approx(eager_params, rel=1e-9, abs=1e-12)


def test_fit_compiled_refuses_a_loss_function_and_dropout_with_the_way_out() -> None:
    model = nn.MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match="named losses.*compile=False"):
        nn.fit(model, X, labels, loss=lambda o, t: o[0], epochs=1, progress=False, compile=True)
    dropped = nn.MLP(2, [4, 1], dropout=0.5, seed=0)
    with pytest.raises(ValueError, match="dropout.*compile=False"):
        nn.fit(dropped, X, labels, loss="hinge", epochs=1, progress=False, compile=True)
    with pytest.raises(TypeError, match="compile must be True or False"):
        nn.fit(model, X, labels, loss="hinge", epochs=1, progress=False, compile="yes")
