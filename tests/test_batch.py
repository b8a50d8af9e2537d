"""Batches: Neuron, Layer, MLP and autograd.linear take a list of inputs, like a 2-D tensor in PyTorch, and give
one output per input: the same nodes as one call per input, checked against those calls and against torch."""

from __future__ import annotations

import random

import pytest
import torch

import autograd
import nn
from autograd import Value


def rows(nin: int, count: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2.0, 2.0) for _ in range(nin)] for _ in range(count)]


def loss_of(outputs: list) -> Value:
    """A loss that weighs every output of every input differently, so each gradient is distinct."""
    flat = [v for out in outputs for v in (out if isinstance(out, list) else [out])]
    return autograd.dot(flat, [0.5 + 0.25 * i for i in range(len(flat))])


def grads(model: nn.Module) -> list[float]:
    return [p.grad for p in model.parameters()]


def structure(v: Value) -> list[tuple[str, int]]:
    """The ops and parent counts of v's whole graph, depth first: equal for graphs made the same way."""
    seen, stack, out = set(), [v], []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        out.append((node.op, len(node.parents)))
        stack.extend(reversed(node.parents))
    return out


@pytest.mark.parametrize("activation", ["relu", "tanh", "linear"])
@pytest.mark.parametrize("sizes", [(2, [16, 16, 1]), (3, [4, 2]), (1, [3, 1])])
def test_a_batch_gives_exactly_what_one_call_per_input_gives(sizes: tuple, activation: str) -> None:
    nin, nouts = sizes
    X = rows(nin, 7, seed=nin)
    one_by_one = nn.MLP(nin, nouts, activation=activation, seed=3)
    batched = nn.MLP(nin, nouts, activation=activation, seed=3)

    single = [one_by_one([Value(v) for v in x]) for x in X]
    together = batched([[Value(v) for v in x] for x in X])
    loss_of(single).backward()
    loss_of(together).backward()

    assert len(together) == len(X)
    for a, b in zip(single, together):
        a, b = (a, b) if isinstance(a, list) else ([a], [b])
        assert [v.data for v in a] == [v.data for v in b]  # the same arithmetic, so the same floats
        assert [structure(v) for v in a] == [structure(v) for v in b]
    assert grads(one_by_one) == grads(batched)


def test_a_batch_matches_torch_on_a_2d_input() -> None:
    X = rows(3, 5, seed=11)
    model = nn.MLP(3, [8, 4], activation="tanh", seed=2)
    outputs = model(X)
    loss_of(outputs).backward()

    seq = nn.to_torch(model)
    t_out = seq(torch.tensor(X, dtype=torch.float64))
    weights = torch.tensor([0.5 + 0.25 * i for i in range(t_out.numel())], dtype=torch.float64)
    (t_out.reshape(-1) * weights).sum().backward()

    for ours, theirs in zip(outputs, t_out.tolist()):
        for o, t in zip(ours, theirs):
            assert abs(o.data - t) <= 1e-12 * max(1.0, abs(t))
    t_grads = [g for layer in seq if isinstance(layer, torch.nn.Linear)
               for w_row, b in zip(layer.weight.grad.tolist(), layer.bias.grad.tolist()) for g in [*w_row, b]]
    for p, g in zip(model.parameters(), t_grads, strict=True):
        assert abs(p.grad - g) <= 1e-12 * max(1.0, abs(g))


def test_linear_on_a_batch_matches_torch_f_linear_on_a_2d_input() -> None:
    X = rows(4, 3, seed=5)
    W = rows(4, 2, seed=6)
    b = [0.25, -0.5]
    ys = autograd.linear([[Value(v) for v in x] for x in X], [[Value(v) for v in r] for r in W], [Value(v) for v in b])
    t = torch.nn.functional.linear(torch.tensor(X, dtype=torch.float64), torch.tensor(W, dtype=torch.float64),
                                   torch.tensor(b, dtype=torch.float64)).tolist()  # fmt: skip
    assert [y.data for out in ys for y in out] == pytest.approx([v for row in t for v in row], rel=1e-12)


def test_layer_and_neuron_batches_give_one_output_per_input() -> None:
    X = rows(2, 4, seed=1)
    layer = nn.Layer(2, 1, seed=0)
    wide = nn.Layer(2, 3, seed=0)
    neuron = nn.Neuron(2, seed=0)
    assert [v.data for v in layer(X)] == [layer(x).data for x in X]  # one output: a Value per input
    assert [[v.data for v in out] for out in wide(X)] == [[v.data for v in wide(x)] for x in X]
    assert [v.data for v in neuron(X)] == [neuron(x).data for x in X]


def test_residual_and_dropout_apply_to_each_input_of_a_batch() -> None:
    X = rows(4, 6, seed=9)
    residual = nn.MLP(4, [4, 4, 1], residual=True, seed=1)
    assert [v.data for v in residual(X)] == [residual(x).data for x in X]

    dropped = nn.MLP(4, [32, 1], dropout=0.5, seed=1)
    hidden = dropped.layers[0]
    # Each input draws its own mask: the hidden outputs after dropout differ in which units are zero.
    outs = [dropped.dropout(out) for out in hidden._forward([[Value(v) for v in x] for x in X[:2]])]
    zero_sets = [{i for i, v in enumerate(out) if v.data == 0.0} for out in outs]
    assert zero_sets[0] != zero_sets[1]
    dropped.eval()
    assert [v.data for v in dropped(X)] == [dropped(x).data for x in X]


@pytest.mark.parametrize("x, expected", [
    ([[1.0, 2.0]], True), ([(1.0, 2.0), (3.0, 4.0)], True), ([[Value(1.0)]], True),
    ([1.0, 2.0], False), ([Value(1.0)], False), (Value(1.0), False), (1.0, False), ([], False), ("ab", False),
    (["ab"], False),
])  # fmt: skip
def test_is_batch_tells_a_list_of_inputs_from_one_input(x: object, expected: bool) -> None:
    assert autograd.is_batch(x) is expected


def test_an_input_of_the_wrong_length_in_a_batch_is_a_value_error() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="expected an input of length 2, got length 3"):
        model([[1.0, 2.0], [1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="input entries must be numbers or Values, got str"):
        model([[1.0, 2.0], [1.0, "x"]])


def test_fit_makes_one_call_per_batch_for_a_model_that_takes_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = nn.make_moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    calls = []
    forward = nn.MLP.forward

    def counting(self: nn.MLP, x: object) -> object:
        calls.append(autograd.is_batch(x))
        return forward(self, x)

    monkeypatch.setattr(nn.MLP, "forward", counting)
    nn.fit(model, X, y, loss="bce_with_logits", epochs=2, batch_size=10, shuffle=False, progress=False)
    assert calls == [True] * 8  # 4 batches a epoch, 2 epochs
