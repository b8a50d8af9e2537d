"""autograd.compile on wide dots: a row of WIDE or more pairs becomes `sum(map(mul, row, xs))` over tuples.

The reference is the eager engine on the same graph. One sample compiled as a whole function does the same
float operations in the same order as eager, so it must agree bit for bit; over a batch the gradients add up
the samples in another order, so within 1e-12.
"""

from __future__ import annotations

import random

import pytest
from strategies import same_float

import autograd
import nn
from autograd import Value
from autograd.compile import WIDE


def cross_entropy(model: nn.Module, x: list, onehot: list) -> Value:
    z = model(x)
    return autograd.logsumexp(z) - autograd.dot(onehot, z)


def data(n: int, width: int, classes: int, seed: int) -> tuple[list, list, list]:
    rng = random.Random(seed)
    X = [[rng.uniform(-1, 1) for _ in range(width)] for _ in range(n)]
    labels = [rng.randrange(classes) for _ in range(n)]
    return X, labels, [[1.0 if j == t else 0.0 for j in range(classes)] for t in labels]


def eager_grads(model: nn.Module, loss: Value) -> list[float]:
    model.zero_grad()
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    return grads


@pytest.mark.parametrize("width, hidden", [(WIDE - 2, WIDE - 2), (WIDE - 1, WIDE - 1), (WIDE + 38, WIDE + 8)])
def test_one_sample_of_a_wide_network_compiles_to_the_eager_numbers_bit_for_bit(width: int, hidden: int) -> None:
    model = nn.MLP(width, [hidden, 3], seed=width)
    X, _, onehot = data(1, width, 3, seed=1)
    step = autograd.compile(lambda x, t: cross_entropy(model, x, t), parameters=model.named_parameters())
    loss = step(X[0], onehot[0])
    compiled = [p.grad for p in model.parameters()]
    eager = cross_entropy(model, [Value(a) for a in X[0]], onehot[0])
    assert loss == eager.data
    assert compiled == eager_grads(model, eager)
    code = step.code(X[0], onehot[0])
    assert ("sum(map(mul," in code) == (width + 1 >= WIDE)  # the bias makes one pair more
    if hidden + 1 >= WIDE:  # the hidden layer's gradients come back as one list, then one name per node
        assert "g_hs = [s + g_dot" in code and " * v for s, v in zip(g_hs, " in code and "g_relu0, g_relu1," in code


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_the_per_sample_form_of_a_wide_network_equals_eager_over_the_batch(reduction: str) -> None:
    model = nn.MLP(WIDE + 8, [WIDE + 4, WIDE + 4, 4], seed=3)
    X, labels, onehot = data(12, WIDE + 8, 4, seed=2)
    step = autograd.compile(lambda x, t: cross_entropy(model, x, t), per_sample=True, reduction=reduction)
    loss = step(X, onehot)
    compiled = [p.grad for p in model.parameters()]
    per_sample = [cross_entropy(model, [Value(a) for a in x], t) for x, t in zip(X, onehot)]
    eager = autograd.mean(per_sample) if reduction == "mean" else autograd.sum(per_sample)
    assert same_float(loss, eager.data, 1e-12)
    for got, expected in zip(compiled, eager_grads(model, eager), strict=True):
        assert same_float(got, expected, 1e-12, 1e-15)
    outputs = step.forward(X, onehot)  # the forward form reads the same rows
    assert outputs == pytest.approx([v.data for v in per_sample], rel=1e-12)


def test_wide_rows_whose_entries_are_used_elsewhere_too_get_their_gradients_line_by_line() -> None:
    # The hidden nodes feed a wide layer AND a sum (a skip connection); a weight of the row is also in an
    # L2-like term of the loss: neither can be one list of gradients, and the numbers must still be eager's.
    model = nn.MLP(WIDE + 3, [WIDE + 2, 2], seed=5)
    first, second = model.layers
    w0 = second.neurons[0].w[0]

    def loss(x: list) -> Value:
        hidden = first(x)
        z = second(hidden)
        return autograd.logsumexp(z) + 0.1 * autograd.sum(hidden) + w0 * w0

    X, _, _ = data(1, WIDE + 3, 2, seed=4)
    step = autograd.compile(loss)
    value = step(X[0])
    compiled = [p.grad for p in model.parameters()]
    eager = loss([Value(a) for a in X[0]])
    assert value == eager.data
    assert compiled == eager_grads(model, eager)


def test_a_dot_of_a_row_with_itself_and_with_constants() -> None:
    ws = [Value(random.Random(7).uniform(-1, 1) * (i + 1)) for i in range(WIDE + 5)]
    consts = [0.5 * i for i in range(WIDE + 5)]

    def fn() -> Value:
        return autograd.dot(ws, ws) + autograd.dot(consts, ws).tanh()

    step = autograd.compile(fn)
    value = step()
    compiled = [w.grad for w in ws]
    for w in ws:
        w.grad = 0.0
    eager = fn()
    eager.backward()
    assert value == eager.data
    assert compiled == [w.grad for w in ws]
    assert "sum(map(mul," in step.code()


def test_a_hidden_layer_of_dead_relus_hands_back_zeros_as_eager_does() -> None:
    model = nn.MLP(WIDE, [WIDE, 2], seed=8)
    for neuron in model.layers[0].neurons:  # every hidden relu off: nothing reaches the first layer
        neuron.b.data = -100.0
    X, _, onehot = data(3, WIDE, 2, seed=9)
    step = autograd.compile(lambda x, t: cross_entropy(model, x, t), per_sample=True)
    step(X, onehot)
    first = [p.grad for p in model.layers[0].parameters()]
    assert first == [0.0] * len(first)
    assert any(p.grad != 0.0 for p in model.layers[1].parameters())  # the biases of the output layer still learn
