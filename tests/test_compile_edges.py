"""autograd.compile at its edges, each against the eager engine: wide dots that share their entries, ops whose
rule compares with ==, an input as the loss, and the arguments compile() and a compiled call refuse, by name.
Each case here was once a silent wrong number or a bare Python error."""

from __future__ import annotations

import math
import random

import pytest

import autograd
import nn
from autograd import Function, Value
from autograd.compile import WIDE


def _eager(fn, args, params):  # noqa: ANN001, ANN202 - the reference: fn on Values, backward
    for p in params:
        p.grad = 0.0
    loss = fn(*[[Value(v) for v in a] if isinstance(a, list) else Value(a) for a in args])
    loss.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return loss.data, grads


def _compiled(fn, args, params):  # noqa: ANN001, ANN202
    for p in params:
        p.grad = 0.0
    value = autograd.compile(fn)(*args)
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return value, grads


def test_wide_dots_reading_the_same_nodes_in_two_orders_give_the_eager_gradients() -> None:
    rng = random.Random(0)
    n = WIDE + 2  # wide: each dot is one sum(map(mul, ...)) over tuples
    ws, c1, c2 = ([Value(rng.uniform(-1, 1)) for _ in range(n)] for _ in range(3))

    def f(x: list) -> Value:
        hs = [(xi * wi).tanh() for xi, wi in zip(x, ws)]
        return autograd.dot(c1, hs) + autograd.dot(c2, hs[::-1])  # each h reaches the loss through both tuples

    x = [rng.uniform(-1, 1) for _ in range(n)]
    value, grads = _compiled(f, [x], ws + c1 + c2)
    want_value, want = _eager(f, [x], ws + c1 + c2)
    assert value == want_value
    assert all(math.isclose(g, e, rel_tol=1e-12, abs_tol=1e-15) for g, e in zip(grads, want))  # were 130 wrong


def test_one_weight_row_read_by_two_wide_dots_in_two_orders_compiles() -> None:
    rng = random.Random(1)
    ws = [Value(rng.uniform(-1, 1)) for _ in range(WIDE + 2)]

    def f(x: list, y: list) -> Value:
        return autograd.dot(ws, x) * autograd.dot(ws[::-1], y)

    x, y = [rng.uniform(-1, 1) for _ in ws], [rng.uniform(-1, 1) for _ in ws]
    value, grads = _compiled(f, [x, y], ws)  # was a NameError from the generated program
    want_value, want = _eager(f, [x, y], ws)
    assert math.isclose(value, want_value, rel_tol=1e-12)
    assert all(math.isclose(g, e, rel_tol=1e-12, abs_tol=1e-15) for g, e in zip(grads, want))


class ZeroToOne(Function):
    """1 at exactly 0, else x: a rule that compares with ==."""

    forward = staticmethod(lambda x: 1.0 if x == 0.0 else x)
    backward = staticmethod(lambda g, out, x: (0.0 if x == 0.0 else g,))


class NanToZero(Function):
    """0 for nan, else x: a rule that compares with !=."""

    forward = staticmethod(lambda x: 0.0 if x != x else x)
    backward = staticmethod(lambda g, out, x: (0.0 if x != x else g,))


@pytest.mark.parametrize("op", [ZeroToOne, NanToZero])
@pytest.mark.parametrize("x", [0.0, 2.0, math.nan])
def test_an_op_whose_rule_compares_with_equals_is_called_on_numbers_not_frozen(op: type[Function], x: float) -> None:
    w = Value(1.5)
    value, grads = _compiled(lambda x: op.apply(x * w) * 2.0, [x], [w])
    want_value, want = _eager(lambda x: op.apply(x * w) * 2.0, [x], [w])
    assert value == want_value or (math.isnan(value) and math.isnan(want_value))
    assert grads == want or all(math.isnan(g) and math.isnan(e) for g, e in zip(grads, want))


def test_an_input_as_the_loss_gives_its_value_and_no_gradient() -> None:
    w = Value(2.0)
    assert autograd.compile(lambda x: x)(3.0) == 3.0  # was a KeyError
    assert autograd.compile(lambda x: x, per_sample=True)([1.0, 2.0]) == 1.5
    assert autograd.compile(lambda x: (x[0], [x[1] * w]), has_aux=True)([1.0, 2.0]) == (1.0, [4.0])
    assert w.grad == 0.0


def test_with_has_aux_the_loss_must_be_one_value_too() -> None:
    w = Value(0.5)
    step = autograd.compile(lambda x: ([w * x, w * w], x * 3.0), has_aux=True)
    with pytest.raises(TypeError, match="must return one Value \\(a loss\\)"):
        step(2.0)  # the second 'loss' was taken as an aux output


@pytest.mark.parametrize("parameters", [
    pytest.param("values", id="parameters() instead of named_parameters()"),
    pytest.param("dict", id="a dict"),
    pytest.param("swapped", id="(Value, name) pairs"),
    pytest.param("number", id="(name, number) pairs"),
])  # fmt: skip
def test_parameters_must_be_name_value_pairs(parameters: str) -> None:
    model = nn.MLP(2, [1], seed=0)
    given = {"values": model.parameters(), "dict": dict(model.named_parameters()),
             "swapped": [(v, n) for n, v in model.named_parameters()],
             "number": [(n, 0.5) for n, _ in model.named_parameters()]}[parameters]  # fmt: skip
    with pytest.raises(TypeError, match="parameters must be \\(name, Value\\) pairs, such as model.named_parameters"):
        autograd.compile(lambda x: model(x), parameters=given)


@pytest.mark.parametrize("name", ["layers..0.w", ".0", "", "0"])
def test_a_parameter_name_with_empty_parts_still_names_a_program(name: str) -> None:
    w = Value(0.5)
    step = autograd.compile(lambda x: w * x, parameters=[(name, w)])
    assert step(2.0) == 1.0 and w.grad == 2.0  # was an IndexError for an empty part before a number


@pytest.mark.parametrize("sample", [b"ab", {5.0: "a", 7.0: "b"}, {5.0, 7.0}, range(2)], ids=repr)
def test_a_later_sample_that_is_not_a_list_of_numbers_is_refused_by_name(sample: object) -> None:
    w = Value(0.5)
    step = autograd.compile(lambda x: w * x[0] + x[1], per_sample=True)
    with pytest.raises(TypeError, match=f"sample 1: a compiled function takes numbers .*got {type(sample).__name__}"):
        step([[1.0, 2.0], sample])  # bytes were read as 97.0 and 98.0, a dict as its keys


@pytest.mark.parametrize("column", [3.0, (v for v in [1.0, 2.0]), {1: 1.0, 2: 2.0}], ids=["float", "gen", "dict"])
def test_a_per_sample_argument_must_be_a_list_of_samples(column: object) -> None:
    step = autograd.compile(lambda x: Value(0.5) * x, per_sample=True)
    with pytest.raises(TypeError, match=f"takes a list of samples per argument, got {type(column).__name__}"):
        step(column)


def test_forward_returns_what_the_function_returns_a_list_of_one_stays_a_list() -> None:
    w = Value(0.5)
    assert autograd.compile(lambda x: [w * x]).forward(2.0) == [(w * Value(2.0)).data]
    assert autograd.compile(lambda x: w * x).forward(2.0) == 1.0
    assert autograd.compile(lambda x: [w * x], per_sample=True).forward([2.0, 4.0]) == [[1.0], [2.0]]


class Step(Function):
    """1 where x > 0, else 0: a comparison times 1.0 is a number."""

    forward = staticmethod(lambda x: (x > 0.0) * 1.0)
    backward = staticmethod(lambda g, out, x: (0.0,))


def test_a_comparison_times_one_is_a_float_as_in_the_eager_engine() -> None:
    w = Value(0.5)
    got = autograd.compile(lambda x: Step.apply(x * w)).forward(2.0)
    want = Step.apply(Value(2.0) * w).data
    assert got == want and type(got) is float  # was True, a bool


def test_a_value_computed_under_no_grad_inside_the_function_is_refused_not_frozen() -> None:
    w = Value(0.5)

    def f(x: Value, t: Value) -> Value:
        with autograd.no_grad():  # a stop-gradient target: under no_grad its number would be fixed at trace time
            target = w * x + t
        return (w * x - target) ** 2

    with pytest.raises(autograd.TracingError, match="computed a Value under no_grad\\(\\) while it was traced"):
        autograd.compile(f)(3.0, 1.0)  # gave 3.75 where eager gives 2.5
    assert f(Value(3.0), Value(1.0)).data == 1.0  # eagerly it is fine


def test_backward_or_grad_inside_the_function_is_refused_its_cuts_depend_on_numbers() -> None:
    w = Value(1.0)

    def f(x: Value) -> Value:
        (gw,) = autograd.grad((w * x).relu(), w, create_graph=True)  # x where w·x > 0, else 0: a branch
        return gw * w

    with pytest.raises(autograd.TracingError, match="called backward\\(\\) or grad\\(\\) while it was traced"):
        autograd.compile(f)(-1.0)  # traced with the relu off, it gave 0 for every later x
    assert f(Value(2.0)).data == 2.0
