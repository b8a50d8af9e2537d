"""Regressions from the audit of the engine's edges, each against torch float64 or a hand-derived value; and
micrograd's own names (`_prev`, `_op`), so that code written for micrograd walks chaingrad's graphs."""

from __future__ import annotations

import math
import threading

import pytest
import torch
from strategies import same_float

import autograd
from autograd import Value


def torch_leaves(xs: list[float]) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("big", [1e8, 1e12, 1e17])
def test_log_softmax_gradient_keeps_its_precision_for_huge_inputs(big: float) -> None:
    xs = [Value(0.0), Value(big), Value(big)]
    autograd.log_softmax(xs)[0].backward()
    t = torch_leaves([0.0, big, big])
    torch.log_softmax(t, 0)[0].backward()
    for x, g in zip(xs, t.grad.tolist()):
        assert same_float(x.grad, g, 1e-15, 0.0)


def test_log_softmax_of_minus_infinity_has_torchs_finite_gradient() -> None:
    xs = [Value(0.0), Value(-math.inf)]
    autograd.log_softmax(xs)[1].backward()
    t = torch_leaves([0.0, -math.inf])
    torch.log_softmax(t, 0)[1].backward()
    assert [x.grad for x in xs] == t.grad.tolist() == [-1.0, 1.0]


def test_softmax_and_log_softmax_of_plus_infinity_are_nan_as_in_torch() -> None:
    t = torch.tensor([0.0, math.inf], dtype=torch.float64)
    ours = [v.data for v in autograd.softmax([Value(0.0), Value(math.inf)])]
    ours_log = [v.data for v in autograd.log_softmax([Value(0.0), Value(math.inf)])]
    for a, b in zip(ours + ours_log, torch.softmax(t, 0).tolist() + torch.log_softmax(t, 0).tolist()):
        assert same_float(a, b, 0.0, 0.0)


def test_grad_never_touches_grad_even_beside_a_backward_in_another_thread() -> None:
    w = Value(1.5)
    expected_grad = 0.0
    errors: list[str] = []

    def backward_many() -> None:
        for _ in range(300):
            (w * 2.0).backward()

    def grad_many() -> None:
        for _ in range(300):
            (g,) = autograd.grad(w * w, w)
            if g.data != 3.0:
                errors.append(repr(g))

    threads = [threading.Thread(target=backward_many), threading.Thread(target=grad_many)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected_grad = 300 * 2.0
    assert errors == [] and w.grad == expected_grad  # no contribution lost, no wrong grad() result


def test_grad_leaves_every_grad_as_it_was() -> None:
    x, y = Value(2.0), Value(3.0)
    x.grad, y.grad = 7.0, -1.0
    z = x * y + x
    z.grad = 5.0
    assert [g.data for g in autograd.grad(z, [x, y])] == [4.0, 2.0]
    assert (x.grad, y.grad, z.grad) == (7.0, -1.0, 5.0)


def test_data_is_always_a_float_even_empty_sums_and_after_a_user_writes_an_int() -> None:
    assert type(autograd.sum([]).data) is float and autograd.sum([]).exp().data == 1.0
    assert (1.0 / autograd.sum([])).data == math.inf
    assert type(autograd.dot([], []).data) is float
    v = Value(1.0)
    v.data = 2
    assert type(v.data) is float and v.exp().data == math.exp(2.0)
    with pytest.raises(TypeError, match="Value data must be an int or a float, got str"):
        v.data = "2"


def test_parity_with_torch_at_signed_zero_nan_and_infinite_gradients() -> None:
    assert math.copysign(1.0, Value(-0.0).relu().data) == -1.0  # torch: relu(-0.0) = -0.0
    for fn, torch_fn in ((Value.__abs__, torch.abs), (lambda v: v.elu(), torch.nn.functional.elu),
                         (Value.relu, torch.relu)):  # fmt: skip
        v = Value(math.nan)
        fn(v).backward()
        t = torch_leaves([math.nan])
        torch_fn(t).sum().backward()
        assert same_float(v.grad, t.grad.item(), 0.0, 0.0)
    x = Value(2.0)
    (0.0 ** x).backward(math.inf)
    t = torch_leaves([2.0])
    (0.0**t).sum().backward(torch.tensor(math.inf, dtype=torch.float64))
    assert same_float(x.grad, t.grad.item(), 0.0, 0.0)  # nan in both


def test_gradcheck_refuses_a_zero_or_negative_step_with_a_value_error() -> None:
    for eps in (0.0, -1e-6, math.nan):
        with pytest.raises(ValueError, match="eps must be"):
            autograd.gradcheck(lambda x: x * x, [1.0], eps=eps)


def test_grad_of_none_is_a_type_error_naming_the_argument() -> None:
    with pytest.raises(TypeError, match="outputs must be a Value or a list of Values, got NoneType"):
        autograd.grad(None, Value(1.0))  # type: ignore[arg-type]


def test_micrograds_names_prev_and_op_walk_the_graph_as_its_trace_graph_does() -> None:
    # micrograd's trace_graph: walk v._prev from the root, collect nodes and edges, and print v._op as text.
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = (a * b + b**3).relu()
    e = c - d
    nodes, edges, stack = set(), set(), [e]
    while stack:
        v = stack.pop()
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                stack.append(child)
    assert {a, b, c, d, e} <= nodes and (a, c) in edges and (d, e) in edges
    assert (e._op, d._op, c._op, a._op) == ("-", "relu", "+", "")
    assert all(isinstance(v._op, str) for v in nodes)


def test_micrograds_engine_test_expression_gives_its_documented_numbers() -> None:
    # The expression of micrograd's README and engine tests, with the values it documents.
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert f"{g.data:.4f}" == "24.7041" and f"{a.grad:.4f}" == "138.8338" and f"{b.grad:.4f}" == "645.5773"


@pytest.mark.parametrize("bad", [None, 3, Value(1.0)])
def test_draw_dot_names_a_highlight_that_is_not_a_list_of_values(bad: object) -> None:
    with pytest.raises(TypeError, match="highlight must be a list of Values"):
        autograd.draw_dot(Value(1.0) * 2.0, highlight=bad)  # type: ignore[arg-type]
