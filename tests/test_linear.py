"""autograd.linear, the whole-layer weighted sums: against torch.nn.functional.linear in float64, against
autograd.dot row by row, with plain-number constants mixed in, at second order, and with bad input."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from strategies import same_float

import autograd
from autograd import Value


def numbers(rng: random.Random, n: int) -> list[float]:
    return [rng.uniform(-2.0, 2.0) for _ in range(n)]


def torch_leaf(v: float, grad: bool = True) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float64, requires_grad=grad)


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (17, 16)])
def test_outputs_and_gradients_match_torch_linear(shape: tuple[int, int], with_bias: bool) -> None:
    nin, nout = shape
    rng = random.Random(nin * 100 + nout)
    x_num, w_num, b_num = numbers(rng, nin), [numbers(rng, nin) for _ in range(nout)], numbers(rng, nout)
    seeds = numbers(rng, nout)  # a different weight on each output, so each row's gradient is distinct

    x, w, b = [Value(v) for v in x_num], [[Value(v) for v in row] for row in w_num], [Value(v) for v in b_num]
    ys = autograd.linear(x, w, b if with_bias else None)
    autograd.dot(ys, seeds).backward()

    tx = torch.tensor(x_num, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(w_num, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b_num, dtype=torch.float64, requires_grad=True)
    ty = torch.nn.functional.linear(tx, tw, tb if with_bias else None)
    (ty * torch.tensor(seeds, dtype=torch.float64)).sum().backward()

    assert len(ys) == nout
    for ours, theirs in zip(ys, ty.tolist()):
        assert same_float(ours.data, theirs, 1e-12)
    for ours, theirs in zip(x, tx.grad.tolist()):
        assert same_float(ours.grad, theirs, 1e-12, 1e-15)
    for row, t_row in zip(w, tw.grad.tolist()):
        for ours, theirs in zip(row, t_row):
            assert same_float(ours.grad, theirs, 1e-12, 1e-15)
    expected_b = tb.grad.tolist() if with_bias else [0.0] * nout
    for ours, theirs in zip(b, expected_b):
        assert same_float(ours.grad, theirs, 1e-12, 1e-15)


def test_each_output_is_the_dot_node_of_its_row_with_the_bias_as_a_weight_on_1() -> None:
    rng = random.Random(3)
    x = [Value(v) for v in numbers(rng, 4)]
    w = [[Value(v) for v in numbers(rng, 4)] for _ in range(3)]
    b = [Value(v) for v in numbers(rng, 3)]
    for y, row, bias in zip(autograd.linear(x, w, b), w, b):
        d = autograd.dot([*row, bias], [*x, 1.0])
        assert y.op == "dot" == d.op
        assert y.data == d.data
        assert y.parents == d.parents == (*row, bias, *x)


def test_plain_numbers_among_weights_and_inputs_are_constants_with_torch_gradients_for_the_rest() -> None:
    # A row may hold ints and floats beside Values (a weight held fixed); an input may be a plain number.
    x_entries: list = [Value(0.5), 2, Value(-1.25)]
    w_entries: list = [[Value(1.5), -0.75, 3], [0.25, Value(2.0), Value(-0.5)]]
    b_entries: list = [Value(0.1), 0.3]
    ys = autograd.linear(x_entries, w_entries, b_entries)
    (ys[0] * 2.0 + ys[1] * -3.0).backward()

    def leaf(e: object) -> torch.Tensor:
        return torch_leaf(e.data) if isinstance(e, Value) else torch_leaf(float(e), grad=False)

    tx = [leaf(e) for e in x_entries]
    tw = [[leaf(e) for e in row] for row in w_entries]
    tb = [leaf(e) for e in b_entries]
    ty = [sum(wi * xi for wi, xi in zip(row, tx)) + bj for row, bj in zip(tw, tb)]
    (ty[0] * 2.0 + ty[1] * -3.0).backward()

    for ours, theirs in zip(ys, ty):
        assert same_float(ours.data, theirs.item(), 1e-12)
    pairs = list(zip(x_entries, tx)) + list(zip(b_entries, tb))
    pairs += [pair for row, t_row in zip(w_entries, tw) for pair in zip(row, t_row)]
    checked = 0
    for ours, theirs in pairs:
        if isinstance(ours, Value):
            assert same_float(ours.grad, theirs.grad.item(), 1e-12, 1e-15)
            checked += 1
    assert checked == 6  # 2 inputs, 1 bias and 3 weights are Values
    assert all(isinstance(p, Value) for y in ys for p in y.parents)  # constants are never nodes
    assert len(ys[0].parents) == 1 + 1 + 2 and len(ys[1].parents) == 2 + 0 + 2  # row, bias, inputs


def test_second_derivatives_through_linear_match_torch() -> None:
    # y = Σ_j tanh(w_j·x + b_j)²: its Hessian with respect to x, by differentiating the gradient again.
    rng = random.Random(8)
    x_num, w_num, b_num = numbers(rng, 3), [numbers(rng, 3) for _ in range(2)], numbers(rng, 2)
    x = [Value(v) for v in x_num]
    w = [[Value(v) for v in row] for row in w_num]
    b = [Value(v) for v in b_num]
    y = autograd.sum([z.tanh() * z.tanh() for z in autograd.linear(x, w, b)])
    first = autograd.grad(y, x, create_graph=True)
    hessian = [[h.data for h in autograd.grad(g, x, allow_unused=True) if h is not None] for g in first]

    tw = torch.tensor(w_num, dtype=torch.float64)
    tb = torch.tensor(b_num, dtype=torch.float64)

    def f(tx: torch.Tensor) -> torch.Tensor:
        return torch.tanh(torch.nn.functional.linear(tx, tw, tb)).pow(2).sum()

    t_hessian = torch.autograd.functional.hessian(f, torch.tensor(x_num, dtype=torch.float64)).tolist()
    for row, t_row in zip(hessian, t_hessian, strict=True):
        for ours, theirs in zip(row, t_row, strict=True):
            assert same_float(ours, theirs, 1e-11, 1e-14)


def test_rows_of_different_lengths_or_an_input_of_the_wrong_length_is_a_value_error() -> None:
    x = [Value(1.0), Value(2.0)]
    with pytest.raises(ValueError, match="weight row 1 has 3 entries, row 0 has 2"):
        autograd.linear(x, [[Value(1.0), Value(2.0)], [Value(1.0), Value(2.0), Value(3.0)]], [Value(0.0)] * 2)
    with pytest.raises(ValueError, match="the weight rows have 3 entries, the input 2"):
        autograd.linear(x, [[Value(1.0), Value(2.0), Value(3.0)]] * 2, [Value(0.0)] * 2)
    with pytest.raises(ValueError, match="the weight rows have 3 entries, the input 2"):
        autograd.linear([x, x], [[Value(1.0), Value(2.0), Value(3.0)]], None)
    with pytest.raises(ValueError, match="2 weight rows but 1 biases"):
        autograd.linear(x, [[Value(1.0), Value(2.0)]] * 2, [Value(0.0)])


@pytest.mark.parametrize("bad", ["s", None, [1.0], True])
def test_a_weight_that_is_neither_a_value_nor_a_number_is_a_type_error(bad: object) -> None:
    x = [Value(1.0), Value(2.0)]
    with pytest.raises(TypeError, match=f"linear\\(\\) takes Values or numbers, got {type(bad).__name__}"):
        autograd.linear(x, [[Value(1.0), bad]], [Value(0.0)])


@pytest.mark.parametrize("bad", ["s", None, [1.0], True])
def test_an_input_entry_that_is_neither_a_value_nor_a_number_is_a_type_error(bad: object) -> None:
    w = [[Value(1.0), Value(2.0)]]
    with pytest.raises(TypeError, match=f"linear\\(\\) takes Values or numbers, got {type(bad).__name__}"):
        autograd.linear([Value(1.0), bad], w, [Value(0.0)])
    with pytest.raises(TypeError, match=f"linear\\(\\) takes Values or numbers, got {type(bad).__name__}"):
        autograd.linear([[Value(1.0), Value(2.0)], [Value(1.0), bad]], w)  # in a batch, after a good input


def test_numpy_numbers_are_constants_like_floats_on_either_side() -> None:
    # A NumPy scalar has a .data attribute too (a buffer, not a number): linear must still take it as the
    # constant it is, on the input side and in a weight row, and give what the same floats give. Row 0 holds
    # an int, so it is checked before the input's NumPy number is found.
    def run(number: type) -> tuple[list[float], list[int], list[float]]:
        x = [Value(0.5), number(2.0), Value(-1.25)]
        w = [[Value(1.5), Value(-0.75), 3], [Value(0.25), Value(2.0), number(-0.5)]]
        b = [Value(0.1), Value(0.3)]
        ys = autograd.linear(x, w, b)
        (ys[0] * 2.0 + ys[1] * -3.0).backward()
        values = [v for v in [*x, *b, *w[0], *w[1]] if isinstance(v, Value)]
        return [y.data for y in ys], [len(y.parents) for y in ys], [v.grad for v in values]

    data, n_parents, grads = run(np.float64)
    assert data[0] == 1.5 * 0.5 + -0.75 * 2.0 + 3.0 * -1.25 + 0.1 and all(type(d) is float for d in data)
    assert n_parents == [2 + 1 + 2, 2 + 1 + 2]  # the row's Values, the bias, the input's Values
    assert (data, n_parents, grads) == run(float)


def test_an_input_that_is_not_a_list_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="linear\\(\\) takes a list of Values or numbers, got Value"):
        autograd.linear(Value(1.0), [[Value(1.0)]])


def test_a_foreign_object_with_a_data_attribute_is_refused_by_name_when_the_node_is_made() -> None:
    # An object that is not a Value but has a .data number must not slip into a graph: linear names it at once.
    class Imitation:
        data = 2.0

    with pytest.raises(TypeError, match="linear\\(\\) takes Values or numbers, got Imitation"):
        autograd.linear([Value(1.0), Value(3.0)], [[Value(0.5), Imitation()]])


def test_under_no_grad_the_outputs_are_leaves_and_detect_anomaly_names_a_non_finite_sum() -> None:
    # linear makes its nodes in place while no mode block is open; inside one it goes through the checks.
    x, w, b = [Value(1.0), Value(2.0)], [[Value(3.0), Value(4.0)], [Value(1e308), Value(1e308)]], [Value(0.5)] * 2
    recorded = autograd.linear(x, w, b)
    with autograd.no_grad():
        frozen = autograd.linear(x, w, b)
    assert [y.data for y in frozen] == [y.data for y in recorded] == [3.0 + 8.0 + 0.5, math.inf]
    assert all(y.parents == () and y.op == "" for y in frozen)
    assert all(y.op == "dot" and len(y.parents) == 5 for y in recorded)
    with autograd.detect_anomaly(), pytest.raises(FloatingPointError, match="'dot' returned inf"):
        autograd.linear(x, w, b)
    assert autograd.linear(x, w, b)[1].data == math.inf  # and outside the block it is just a number again


def test_a_batch_builds_the_nodes_that_dot_builds_for_each_row_and_input() -> None:
    # linear reads each row's numbers once per call: the nodes must still be exactly dot(row + [b], x + [1]).
    rng = random.Random(3)
    w = [[Value(v) for v in numbers(rng, 3)] for _ in range(4)]
    b = [Value(v) for v in numbers(rng, 4)]
    batch = [[Value(v) for v in numbers(rng, 3)] for _ in range(5)]
    ys = autograd.linear(batch, w, b)
    for out, x in zip(ys, batch):
        for j, y in enumerate(out):
            reference = autograd.dot([*w[j], b[j]], [*x, 1.0])
            assert (y.op, y.parents, y.data) == (reference.op, reference.parents, reference.data)
