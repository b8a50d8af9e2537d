"""A learner's own op, defined through the public op API (autograd.Function), works on every path of the engine:
backward, higher order, gradcheck, draw_dot and detect_anomaly, checked against torch float64."""

from __future__ import annotations

import math

import pytest
import torch
from strategies import same_float

import autograd
from autograd import Function, Value
from autograd.floats import exp, tanh


class Cube(Function):
    """x³;  d/dx = 3x²."""

    @staticmethod
    def forward(x):  # noqa: ANN001, ANN205 - written as a learner writes it
        return x * x * x

    @staticmethod
    def backward(g, out, x):  # noqa: ANN001, ANN205
        return (g * 3.0 * x * x,)


class GELU(Function):
    """The tanh approximation of GELU: x/2 · (1 + tanh(√(2/π)(x + 0.044715x³)))."""

    name = "gelu"
    forward = staticmethod(lambda x: 0.5 * x * (1.0 + tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x))))

    @staticmethod
    def backward(g, out, x):  # noqa: ANN001, ANN205
        k = math.sqrt(2.0 / math.pi)
        t = tanh(k * (x + 0.044715 * x * x * x))
        return (g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3 * 0.044715 * x * x)),)


class LectureTanh(Function):
    """The lecture's tanh: (e^2x - 1)/(e^2x + 1), with d/dx = 1 - out², reusing the output."""

    forward = staticmethod(lambda x: (exp(2.0 * x) - 1.0) / (exp(2.0 * x) + 1.0))
    backward = staticmethod(lambda g, out, x: (g * (1.0 - out * out),))


class Scale(Function):
    """c·x with a plain-number constant c as a second argument: its gradient entry is ignored."""

    forward = staticmethod(lambda x, c: c * x)
    backward = staticmethod(lambda g, out, x, c: (g * c, None))


TORCH = {
    Cube: lambda t: t**3,
    GELU: lambda t: torch.nn.functional.gelu(t, approximate="tanh"),
    LectureTanh: torch.tanh,
}
POINTS = [-2.5, -0.7, 0.0, 0.3, 1.9]


@pytest.mark.parametrize("op", list(TORCH), ids=lambda op: op.__name__)
@pytest.mark.parametrize("x", POINTS)
def test_a_custom_op_gives_torchs_value_and_first_and_second_derivatives(op: type[Function], x: float) -> None:
    v = Value(x)
    out = op.apply(v)
    (first,) = autograd.grad(out, v, create_graph=True)
    (second,) = autograd.grad(first, v)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    t_out = TORCH[op](t)
    (t_first,) = torch.autograd.grad(t_out, t, create_graph=True)
    (t_second,) = torch.autograd.grad(t_first, t)
    assert same_float(out.data, t_out.item(), 1e-12, 1e-15)
    assert same_float(first.data, t_first.item(), 1e-12, 1e-15)
    assert same_float(second.data, t_second.item(), 1e-9, 1e-12)
    out.backward()
    assert same_float(v.grad, t_first.item(), 1e-12, 1e-15)


@pytest.mark.parametrize("op", list(TORCH), ids=lambda op: op.__name__)
def test_gradcheck_passes_a_custom_op_in_a_bigger_expression(op: type[Function]) -> None:
    assert autograd.gradcheck(lambda a, b: op.apply(a * b + 0.5) * b, [0.8, -1.1])


def test_gradcheck_catches_a_custom_op_with_a_wrong_derivative() -> None:
    class WrongCube(Cube):
        backward = staticmethod(lambda g, out, x: (g * 2.0 * x * x,))

    assert autograd.gradcheck(WrongCube.apply, [1.3], raise_exception=False) is False
    with pytest.raises(autograd.GradcheckError, match="backward gives 3.38"):
        autograd.gradcheck(WrongCube.apply, [1.3])


def test_a_custom_op_is_one_node_named_after_it_in_the_graph_and_the_picture() -> None:
    x = Value(1.5, label="x")
    y = Cube.apply(x) + GELU.apply(x)
    cube, gelu = y.parents
    assert (cube.op, gelu.op, cube.parents, gelu.parents) == ("cube", "gelu", (x,), (x,))
    source = autograd.draw_dot(y).source
    assert "[label=cube " in source and "[label=gelu " in source


def test_a_constant_argument_is_not_a_parent_and_gets_no_gradient() -> None:
    x = Value(2.0)
    y = Scale.apply(x, 3)  # an int constant becomes a float
    assert y.parents == (x,) and y.data == 6.0 and type(y.data) is float
    y.backward()
    assert x.grad == 3.0


def test_detect_anomaly_names_a_custom_op_whose_result_is_not_finite() -> None:
    with autograd.detect_anomaly(), pytest.raises(FloatingPointError, match="'cube' returned inf"):
        Cube.apply(Value(1e200))
    assert Cube.apply(Value(1e200)).data == math.inf  # outside the block it is just a number


def test_a_custom_op_under_no_grad_gives_a_leaf() -> None:
    with autograd.no_grad():
        y = Cube.apply(Value(2.0))
    assert (y.data, y.op, y.parents) == (8.0, "", ())


def test_a_custom_op_refuses_an_argument_that_is_not_a_value_or_a_number() -> None:
    with pytest.raises(TypeError, match="cube\\(\\) takes Values or numbers, got str"):
        Cube.apply("2")


def test_a_forward_that_returns_an_int_gives_a_float_and_one_that_returns_text_is_refused() -> None:
    class Three(Function):
        forward = staticmethod(lambda x: 3)
        backward = staticmethod(lambda g, out, x: (0.0,))

    class Text(Function):
        forward = staticmethod(lambda x: "three")
        backward = staticmethod(lambda g, out, x: (0.0,))

    assert type(Three.apply(Value(1.0)).data) is float
    with pytest.raises(TypeError, match="Text.forward\\(\\) result must be an int or a float, got str"):
        Text.apply(Value(1.0))
