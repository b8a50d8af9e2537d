"""Every op and n-ary function agrees with PyTorch float64 in value and gradient, edges included."""

from __future__ import annotations

import math
import operator
import random

import pytest
import torch
from strategies import UNARY_OPS, same_float

import autograd
from autograd import Value

INF = math.inf
NAN = math.nan


def tensor(x: float, requires_grad: bool = True) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=requires_grad)


def are_exactly(nodes: tuple, expected: list) -> bool:
    """The same objects, in the same order (Value's == is identity, but say so explicitly)."""
    return len(nodes) == len(expected) and all(p is q for p, q in zip(nodes, expected, strict=True))


def assert_same(got: float, expected: float, what: str, rel: float = 1e-12, abs_: float = 1e-300) -> None:
    assert isinstance(got, float), f"{what}: expected a float, got {type(got).__name__}"
    assert same_float(got, expected, rel, abs_), f"{what}: got {got!r}, torch says {expected!r}"


# ------------------------------------------------------------------------------------------------
# Unary ops: method on Value -> the PyTorch function with the same meaning.
# ------------------------------------------------------------------------------------------------

UNARY = UNARY_OPS  # every unary op, ours and torch's (shared with test_higher_order.py)

# Ops whose derivative is piecewise: at nan, torch's gradient is an artefact of which branch a
# comparison with nan falls into, so only their values are compared there.
PIECEWISE = {"abs", "relu", "leaky_relu()", "leaky_relu(0.2)", "leaky_relu(negative_slope=1.5)",
             "leaky_relu(-0.3)", "elu()", "elu(0.5)", "elu(alpha=2.0)"}

UNARY_POINTS = [
    0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0, math.pi, -math.pi / 2,
    1e-300, -1e-300, 1e-8, -1e-8,
    19.9, 20.0, 20.5, 21.0, 30.0, 37.0, -20.5, -37.0,
    50.0, -50.0, 709.0, 710.0, -745.0, 800.0, -800.0, 1e300, -1e300,
    INF, -INF, NAN,
]


@pytest.mark.parametrize("x", UNARY_POINTS, ids=repr)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_op_value_and_gradient_match_torch(name: str, x: float) -> None:
    ours, theirs = UNARY[name]
    t = tensor(x)
    ty = theirs(t)
    ty.backward()

    v = Value(x)
    y = ours(v)
    y.backward()

    assert_same(y.data, ty.item(), f"{name}({x!r}) value")
    if not (math.isnan(x) and name in PIECEWISE):
        assert_same(v.grad, t.grad.item(), f"d {name}({x!r}) / dx")


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_op_records_one_node_with_its_input_as_parent(name: str) -> None:
    x = Value(0.7)
    y = UNARY[name][0](x)
    assert are_exactly(y.parents, [x])
    assert y.op == name.split("(")[0]


# ------------------------------------------------------------------------------------------------
# Binary operators: Value op Value, Value op number, number op Value.
# ------------------------------------------------------------------------------------------------

BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
BINARY_POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.5, 3.0, 1 / 3, -8.0,
                 1e-300, -1e-300, 50.0, -50.0, 800.0, 1e300, -1e300, INF, -INF, NAN]


@pytest.mark.parametrize("b", BINARY_POINTS, ids=repr)
@pytest.mark.parametrize("a", BINARY_POINTS, ids=repr)
@pytest.mark.parametrize("sym", list(BINARY))
def test_binary_op_between_values_matches_torch(sym: str, a: float, b: float) -> None:
    op = BINARY[sym]
    ta, tb = tensor(a), tensor(b)
    ty = op(ta, tb)
    ty.backward()

    va, vb = Value(a), Value(b)
    y = op(va, vb)
    y.backward()

    assert_same(y.data, ty.item(), f"{a!r} {sym} {b!r} value")
    assert_same(va.grad, ta.grad.item(), f"d({a!r} {sym} {b!r})/da")
    assert_same(vb.grad, tb.grad.item(), f"d({a!r} {sym} {b!r})/db")


@pytest.mark.parametrize("b", BINARY_POINTS, ids=repr)
@pytest.mark.parametrize("a", BINARY_POINTS, ids=repr)
@pytest.mark.parametrize("sym", list(BINARY))
def test_binary_op_value_with_number_on_the_right_matches_torch(sym: str, a: float, b: float) -> None:
    op = BINARY[sym]
    ta = tensor(a)
    ty = op(ta, b)
    ty.backward()

    va = Value(a)
    y = op(va, b)
    y.backward()

    assert_same(y.data, ty.item(), f"Value({a!r}) {sym} {b!r} value")
    assert_same(va.grad, ta.grad.item(), f"d(Value({a!r}) {sym} {b!r})/da")


@pytest.mark.parametrize("b", BINARY_POINTS, ids=repr)
@pytest.mark.parametrize("a", BINARY_POINTS, ids=repr)
@pytest.mark.parametrize("sym", list(BINARY))
def test_binary_op_number_with_value_on_the_right_matches_torch(sym: str, a: float, b: float) -> None:
    op = BINARY[sym]
    tb = tensor(b)
    ty = op(a, tb)
    ty.backward()

    vb = Value(b)
    y = op(a, vb)
    y.backward()

    assert_same(y.data, ty.item(), f"{a!r} {sym} Value({b!r}) value")
    assert_same(vb.grad, tb.grad.item(), f"d({a!r} {sym} Value({b!r}))/db")


@pytest.mark.parametrize("sym", list(BINARY))
def test_plain_number_operand_is_a_constant_not_a_node(sym: str) -> None:
    x = Value(1.5)
    right = BINARY[sym](x, 2)
    left = BINARY[sym](2, x)
    assert are_exactly(right.parents, [x]) and are_exactly(left.parents, [x])
    assert right.op == sym and left.op == sym
    both = BINARY[sym](x, Value(2.0))
    assert len(both.parents) == 2 and both.parents[0] is x and both.parents[1].data == 2.0


def test_integer_operands_give_float_results() -> None:
    y = Value(3) * 2 + 1
    assert type(y.data) is float and y.data == 7.0
    y.backward()
    assert type(y.grad) is float


# ------------------------------------------------------------------------------------------------
# Floating point rules, as in PyTorch float64 and IEEE 754: never a Python exception.
# ------------------------------------------------------------------------------------------------

FLOAT_RULES = [
    ("1 / 0", lambda: Value(1.0) / Value(0.0), INF),
    ("Value(1) / 0", lambda: Value(1.0) / 0, INF),
    ("1 / Value(0)", lambda: 1 / Value(0.0), INF),
    ("-1 / 0", lambda: Value(-1.0) / Value(0.0), -INF),
    ("1 / -0.0", lambda: Value(1.0) / Value(-0.0), -INF),
    ("0 / 0", lambda: Value(0.0) / Value(0.0), NAN),
    ("log(0)", lambda: Value(0.0).log(), -INF),
    ("log(-1)", lambda: Value(-1.0).log(), NAN),
    ("exp(1000)", lambda: Value(1000.0).exp(), INF),
    ("exp(-1000)", lambda: Value(-1000.0).exp(), 0.0),
    ("0 ** -1", lambda: Value(0.0) ** -1, INF),
    ("0 ** Value(-1)", lambda: Value(0.0) ** Value(-1.0), INF),
    ("(-8) ** (1/3)", lambda: Value(-8.0) ** (1 / 3), NAN),
    ("(-8) ** Value(1/3)", lambda: (-8.0) ** Value(1 / 3), NAN),
    ("1e300 ** 2", lambda: Value(1e300) ** 2, INF),
    ("10 ** Value(400)", lambda: 10 ** Value(400.0), INF),
    ("sqrt(-1)", lambda: Value(-1.0).sqrt(), NAN),
    ("1e300 * 1e300", lambda: Value(1e300) * 1e300, INF),
    ("inf - inf", lambda: Value(INF) - Value(INF), NAN),
    ("sigmoid(-1000)", lambda: Value(-1000.0).sigmoid(), 0.0),
    ("softplus(1000)", lambda: Value(1000.0).softplus(), 1000.0),
    ("tanh(1000)", lambda: Value(1000.0).tanh(), 1.0),
]


@pytest.mark.parametrize(("expr", "build", "expected"), FLOAT_RULES, ids=[r[0] for r in FLOAT_RULES])
def test_float_rules_give_ieee_results_never_python_exceptions(expr, build, expected) -> None:
    y = build()
    assert same_float(y.data, expected), f"{expr}: got {y.data!r}, expected {expected!r}"
    y.backward()  # the backward pass must not raise either
    for p in y.parents:
        assert isinstance(p.grad, float)


# ------------------------------------------------------------------------------------------------
# n-ary functions: one node each, vs torch.
# ------------------------------------------------------------------------------------------------

rng = random.Random(1234)
VECTORS = [
    [0.3],
    [1.0, -2.0],
    [rng.gauss(0, 1) for _ in range(5)],
    [rng.gauss(0, 3) for _ in range(10)],
    [0.0, 0.0, 0.0],
    [1000.0, 1000.5, -1000.0],
    [800.0, 800.0],
    [-800.0, -801.0, -799.5],
    [1e300, 1e300],
    [50.0, -50.0, 1e-300],
]
LOGSUMEXP_VECTORS = VECTORS + [[-INF, -INF], [-INF, 0.0], [INF, 1.0], [-INF], [1.0, NAN]]


def torch_leaves(xs: list[float]) -> list[torch.Tensor]:
    return [tensor(x) for x in xs]


def check_against_torch(ours_out: Value, ours_in: list[Value], torch_out: torch.Tensor,
                        torch_in: list[torch.Tensor], what: str, abs_: float = 1e-300) -> None:
    """Backpropagate both outputs, then compare the value and the gradient of every input."""
    grads = torch.autograd.grad(torch_out, torch_in, allow_unused=True)
    ours_out.backward()
    assert_same(ours_out.data, torch_out.item(), f"{what} value")
    for i, (v, g) in enumerate(zip(ours_in, grads, strict=True)):
        expected = 0.0 if g is None else g.item()
        assert_same(v.grad, expected, f"{what}: d/dx[{i}]", abs_=abs_)


@pytest.mark.parametrize("xs", VECTORS, ids=repr)
def test_sum_matches_torch(xs: list[float]) -> None:
    vs, ts = [Value(x) for x in xs], torch_leaves(xs)
    check_against_torch(autograd.sum(vs), vs, torch.stack(ts).sum(), ts, f"sum({xs})")


@pytest.mark.parametrize("xs", VECTORS, ids=repr)
def test_mean_matches_torch(xs: list[float]) -> None:
    vs, ts = [Value(x) for x in xs], torch_leaves(xs)
    check_against_torch(autograd.mean(vs), vs, torch.stack(ts).mean(), ts, f"mean({xs})")


@pytest.mark.parametrize("xs", VECTORS, ids=repr)
def test_dot_of_two_value_lists_matches_torch(xs: list[float]) -> None:
    ws = [rng.uniform(-2, 2) for _ in xs]
    vx, vw = [Value(x) for x in xs], [Value(w) for w in ws]
    tx, tw = torch_leaves(xs), torch_leaves(ws)
    check_against_torch(autograd.dot(vx, vw), vx + vw, torch.dot(torch.stack(tx), torch.stack(tw)),
                        tx + tw, f"dot({xs}, {ws})")


@pytest.mark.parametrize("xs", VECTORS, ids=repr)
def test_dot_with_plain_numbers_on_either_side_matches_torch(xs: list[float]) -> None:
    ws = [rng.uniform(-2, 2) for _ in xs]
    plain = torch.tensor(ws, dtype=torch.float64)
    vx, tx = [Value(x) for x in xs], torch_leaves(xs)
    tout = torch.dot(torch.stack(tx), plain)
    check_against_torch(autograd.dot(vx, ws), vx, tout, tx, "dot(values, numbers)")
    vx, tx = [Value(x) for x in xs], torch_leaves(xs)
    tout = torch.dot(plain, torch.stack(tx))
    check_against_torch(autograd.dot(ws, vx), vx, tout, tx, "dot(numbers, values)")


def test_dot_with_numbers_and_values_mixed_in_one_list_matches_torch() -> None:
    a, b, c = Value(1.5), Value(-2.0), Value(0.25)
    out = autograd.dot([a, 3.0, b], [2.0, c, -1.0])
    assert are_exactly(out.parents, [a, b, c])
    ta, tb, tc = tensor(1.5), tensor(-2.0), tensor(0.25)
    tout = ta * 2.0 + 3.0 * tc + tb * -1.0
    check_against_torch(out, [a, b, c], tout, [ta, tb, tc], "dot([a, 3, b], [2, c, -1])")


@pytest.mark.parametrize("xs", LOGSUMEXP_VECTORS, ids=repr)
def test_logsumexp_matches_torch_even_for_huge_and_infinite_inputs(xs: list[float]) -> None:
    vs, ts = [Value(x) for x in xs], torch_leaves(xs)
    tout = torch.logsumexp(torch.stack(ts), 0)
    check_against_torch(autograd.logsumexp(vs), vs, tout, ts, f"logsumexp({xs})")


@pytest.mark.parametrize("fname", ["softmax", "log_softmax"])
@pytest.mark.parametrize("xs", VECTORS, ids=repr)
def test_softmax_and_log_softmax_each_output_matches_torch(fname: str, xs: list[float]) -> None:
    for i in range(len(xs)):
        vs, ts = [Value(x) for x in xs], torch_leaves(xs)
        out = getattr(autograd, fname)(vs)
        assert isinstance(out, list) and len(out) == len(xs)
        tout = getattr(torch, fname)(torch.stack(ts), 0)
        check_against_torch(out[i], vs, tout[i], ts, f"{fname}({xs})[{i}]")


@pytest.mark.parametrize("fname", ["softmax", "log_softmax"])
@pytest.mark.parametrize("xs", VECTORS, ids=repr)
def test_softmax_and_log_softmax_weighted_sum_of_outputs_matches_torch(fname: str, xs: list[float]) -> None:
    ws = [rng.uniform(-2, 2) for _ in xs]
    vs, ts = [Value(x) for x in xs], torch_leaves(xs)
    outs = getattr(autograd, fname)(vs)
    total = outs[0] * ws[0]
    for o, w in zip(outs[1:], ws[1:], strict=True):
        total = total + o * w
    ttotal = (getattr(torch, fname)(torch.stack(ts), 0) * torch.tensor(ws, dtype=torch.float64)).sum()
    # d/dx_j sum_i w_i y_i subtracts nearly equal terms, so a tiny absolute slack is allowed.
    check_against_torch(total, vs, ttotal, ts, f"sum_i w_i {fname}({xs})_i", abs_=1e-15)


NARY = {
    "sum": lambda vs: autograd.sum(vs),
    "mean": lambda vs: autograd.mean(vs),
    "logsumexp": lambda vs: autograd.logsumexp(vs),
}


@pytest.mark.parametrize("name", list(NARY))
def test_nary_function_is_one_node_whose_parents_are_exactly_the_inputs(name: str) -> None:
    vs = [Value(x) for x in (0.5, -1.0, 2.0, 0.5)]
    out = NARY[name](vs)
    assert out.op == name
    assert isinstance(out.parents, tuple) and are_exactly(out.parents, vs)


def test_dot_is_one_node_whose_parents_are_xs_then_ws() -> None:
    xs, ws = [Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]
    out = autograd.dot(xs, ws)
    assert out.op == "dot" and are_exactly(out.parents, xs + ws)
    assert are_exactly(autograd.dot(xs, [3.0, 4.0]).parents, xs)
    assert are_exactly(autograd.dot([3.0, 4.0], ws).parents, ws)


@pytest.mark.parametrize("fname", ["softmax", "log_softmax"])
def test_each_softmax_output_is_one_node_whose_parents_are_all_inputs(fname: str) -> None:
    vs = [Value(x) for x in (0.5, -1.0, 2.0)]
    outs = getattr(autograd, fname)(vs)
    for o in outs:
        assert o.op == fname
        assert are_exactly(o.parents, vs)


def test_reused_input_in_nary_function_gets_both_contributions() -> None:
    x, y = Value(0.3), Value(-1.2)
    out = autograd.logsumexp([x, y, x])
    out.backward()
    tx, ty = tensor(0.3), tensor(-1.2)
    tout = torch.logsumexp(torch.stack([tx, ty, tx]), 0)
    tout.backward()
    assert_same(x.grad, tx.grad.item(), "d logsumexp([x, y, x]) / dx")
    assert_same(y.grad, ty.grad.item(), "d logsumexp([x, y, x]) / dy")


# ------------------------------------------------------------------------------------------------
# max() works through comparisons and routes the gradient to the larger input.
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.25)])
def test_builtin_max_routes_gradient_to_the_larger_value(a: float, b: float) -> None:
    va, vb = Value(a), Value(b)
    out = max(va, vb) * 3.0
    out.backward()
    ta, tb = tensor(a), tensor(b)
    (torch.maximum(ta, tb) * 3.0).backward()
    assert (va.grad, vb.grad) == (ta.grad.item(), tb.grad.item())
    assert out.data == 3.0 * max(a, b)
