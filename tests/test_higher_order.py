"""Derivatives of derivatives: autograd.grad(create_graph=True) matches torch.autograd.grad to any order."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from strategies import UNARY_OPS, same_float

import autograd
from autograd import Value


def tensor(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def assert_close(got: float, expected: float, what: str, rel: float = 1e-12, abs_: float = 1e-300) -> None:
    assert same_float(got, expected, rel, abs_), f"{what}: got {got!r}, torch says {expected!r}"


def our_derivatives(f, x: float, order: int) -> list[float]:
    """[f(x), f'(x), ..., f^(order)(x)] by repeated autograd.grad(create_graph=True).

    A derivative that no longer depends on x (elu' = 1 for x > 0) may come back unused: then the rest are 0.
    """
    v = Value(x)
    y = f(v)
    out = [y.data]
    for _ in range(order):
        (y,) = autograd.grad(y, [v], create_graph=True, allow_unused=True)
        if y is None:
            break
        assert isinstance(y, Value)
        out.append(y.data)
    return out + [0.0] * (order + 1 - len(out))


def torch_derivatives(f, x: float, order: int) -> list[float]:
    """The same with torch.autograd.grad(create_graph=True)."""
    t = tensor(x)
    y = f(t)
    out = [y.item()]
    for _ in range(order):
        if not y.requires_grad:  # a constant derivative: every further one is 0
            break
        (y,) = torch.autograd.grad(y, [t], create_graph=True, allow_unused=True)
        if y is None:
            break
        out.append(y.item())
    return out + [0.0] * (order + 1 - len(out))


def test_power_rule_to_the_fourth_derivative_x_cubed() -> None:
    x = Value(2.0)
    y = x**3
    (d1,) = autograd.grad(y, [x], create_graph=True)
    (d2,) = autograd.grad(d1, [x], create_graph=True)
    (d3,) = autograd.grad(d2, [x], create_graph=True)
    assert d1.data == 3 * 2.0**2  # 3x^2
    assert d2.data == 6 * 2.0  # 6x
    assert d3.data == 6.0  # 6
    # the fourth derivative of a cubic is zero; it may be reported as 0 or as an unused input
    (d4,) = autograd.grad(d3, [x], allow_unused=True)
    assert d4 is None or d4.data == 0.0


SMOOTH = {
    **{name: UNARY_OPS[name] for name in ("tanh", "sigmoid", "exp", "log", "sin", "cos", "softplus", "sqrt",
                                          "elu()", "elu(alpha=2.0)", "neg")},
    "elu(alpha=0.7)": (lambda v: v.elu(alpha=0.7), lambda t: F.elu(t, alpha=0.7)),
    "x ** 2.5": (lambda v: v**2.5, lambda t: t**2.5),
    "2 ** x": (lambda v: 2**v, lambda t: 2**t),
    "1 / x": (lambda v: 1 / v, lambda t: 1 / t),
}
POSITIVE_ONLY = {"log", "sqrt", "x ** 2.5", "1 / x"}
POINTS = [-2.3, -0.7, 0.3, 1.1, 2.9, 5.0]


@pytest.mark.parametrize("x", POINTS)
@pytest.mark.parametrize("name", list(SMOOTH))
def test_third_derivative_of_smooth_op_matches_torch(name: str, x: float) -> None:
    if name in POSITIVE_ONLY:
        x = abs(x)
    ours, theirs = SMOOTH[name]
    got = our_derivatives(ours, x, 3)
    expected = torch_derivatives(theirs, x, 3)
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert_close(g, e, f"d^{k}/dx^{k} {name} at {x}", rel=1e-10, abs_=1e-14)


def mixed(x, y, lib):
    """A two-variable function touching many ops: x*exp(y) + sin(x/y) + x**y + tanh(x*y) * sigmoid(y - x)."""
    if lib == "torch":
        return x * torch.exp(y) + torch.sin(x / y) + x**y + torch.tanh(x * y) * torch.sigmoid(y - x)
    return x * y.exp() + (x / y).sin() + x**y + (x * y).tanh() * (y - x).sigmoid()


def mixed_softplus(x, y, lib):
    """log(x^2 + y^2 + 1) * softplus(x - 2y) / (1 + cos(x)^2)."""
    if lib == "torch":
        return torch.log(x * x + y * y + 1) * F.softplus(x - 2 * y) / (1 + torch.cos(x) ** 2)
    return (x * x + y * y + 1).log() * (x - 2 * y).softplus() / (1 + x.cos() ** 2)


@pytest.mark.parametrize("point", [(1.3, 0.8), (0.4, 2.1), (2.5, 1.5)])
@pytest.mark.parametrize("fn", [mixed, mixed_softplus])
def test_hessian_and_third_order_mixed_partials_match_torch(fn, point: tuple[float, float]) -> None:
    vx, vy = Value(point[0]), Value(point[1])
    tx, ty = tensor(point[0]), tensor(point[1])
    ours = autograd.grad(fn(vx, vy, "ours"), [vx, vy], create_graph=True)
    theirs = torch.autograd.grad(fn(tx, ty, "torch"), [tx, ty], create_graph=True)
    for i in range(2):
        assert_close(ours[i].data, theirs[i].item(), f"{fn.__name__} d/dx{i}", rel=1e-11)
        row = autograd.grad(ours[i], [vx, vy], create_graph=True)
        trow = torch.autograd.grad(theirs[i], [tx, ty], create_graph=True, retain_graph=True)
        for j in range(2):
            assert_close(row[j].data, trow[j].item(), f"{fn.__name__} H[{i}][{j}]", rel=1e-10)
            third = autograd.grad(row[j], [vx, vy])
            tthird = torch.autograd.grad(trow[j], [tx, ty], retain_graph=True)
            for k in range(2):
                assert_close(third[k].data, tthird[k].item(), f"{fn.__name__} d3/dx{i}dx{j}dx{k}", rel=1e-9)


NARY = {
    "logsumexp": (lambda vs: autograd.logsumexp(vs), lambda t: torch.logsumexp(t, 0)),
    "softmax[1]": (lambda vs: autograd.softmax(vs)[1], lambda t: torch.softmax(t, 0)[1]),
    "log_softmax[0]": (lambda vs: autograd.log_softmax(vs)[0], lambda t: torch.log_softmax(t, 0)[0]),
    "mean of squares": (lambda vs: autograd.mean([v * v for v in vs]), lambda t: (t * t).mean()),
    "dot(x, x**3)": (lambda vs: autograd.dot(vs, [v**3 for v in vs]), lambda t: torch.dot(t, t**3)),
    "sum of tanh": (lambda vs: autograd.sum([v.tanh() for v in vs]), lambda t: t.tanh().sum()),
}


@pytest.mark.parametrize("name", list(NARY))
def test_hessian_of_nary_function_matches_torch(name: str) -> None:
    xs = [0.3, -1.2, 2.0]
    ours, theirs = NARY[name]
    vs = [Value(x) for x in xs]
    ts = [tensor(x) for x in xs]
    g = autograd.grad(ours(vs), vs, create_graph=True)
    tg = torch.autograd.grad(theirs(torch.stack(ts)), ts, create_graph=True)
    for i in range(3):
        assert_close(g[i].data, tg[i].item(), f"{name} d/dx{i}", rel=1e-11)
        row = autograd.grad(g[i], vs, allow_unused=True)
        trow = torch.autograd.grad(tg[i], ts, allow_unused=True, retain_graph=True)
        for j in range(3):
            got = 0.0 if row[j] is None else row[j].data
            expected = 0.0 if trow[j] is None else trow[j].item()
            assert_close(got, expected, f"{name} H[{i}][{j}]", rel=1e-10, abs_=1e-15)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
def test_backward_with_create_graph_leaves_a_differentiable_gradient() -> None:
    x = Value(0.6)
    y = x.tanh() * x.exp()
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)

    t = tensor(0.6)
    (torch.tanh(t) * torch.exp(t)).backward(create_graph=True)
    assert_close(x.grad.data, t.grad.item(), "first derivative via backward(create_graph=True)")

    (second,) = autograd.grad(x.grad, [x])
    (tsecond,) = torch.autograd.grad(t.grad, [t])
    assert_close(second.data, tsecond.item(), "second derivative through x.grad")


def test_grad_leaves_dot_grad_of_leaves_and_interior_nodes_untouched() -> None:
    x, w = Value(1.5), Value(-0.5)
    h = x * w
    y = h.sigmoid() + x
    result = autograd.grad(y, [x, w])
    assert isinstance(result, tuple) and len(result) == 2
    assert (x.grad, w.grad, h.grad, y.grad) == (0.0, 0.0, 0.0, 0.0)
    s = 1 / (1 + math.exp(0.75))
    assert_close(result[0].data, s * (1 - s) * -0.5 + 1.0, "dy/dx by hand", rel=1e-14)
    assert_close(result[1].data, s * (1 - s) * 1.5, "dy/dw by hand", rel=1e-14)


def test_grad_without_create_graph_returns_constants() -> None:
    x = Value(0.5)
    (g,) = autograd.grad(x.exp() * x, [x])
    assert isinstance(g, Value)
    assert g.parents == ()
    assert_close(g.data, math.exp(0.5) * 1.5, "d(x e^x)/dx = (1 + x) e^x", rel=1e-14)


def test_grad_outputs_weights_the_outputs_and_several_outputs_add_up() -> None:
    x = Value(0.9)
    y1, y2 = x.sin(), x * x
    (g,) = autograd.grad([y1, y2], [x], grad_outputs=[2.0, -3.0])
    t = tensor(0.9)
    weights = [torch.tensor(2.0, dtype=torch.float64), torch.tensor(-3.0, dtype=torch.float64)]
    (tg,) = torch.autograd.grad([torch.sin(t), t * t], [t], grad_outputs=weights)
    assert_close(g.data, tg.item(), "2 cos(x) - 6x")


def test_grad_of_unused_input_raises_unless_allow_unused() -> None:
    x, z = Value(1.0), Value(2.0)
    y = x * 3.0
    t, tz = tensor(1.0), tensor(2.0)
    with pytest.raises(RuntimeError):  # torch raises too: z is not part of the graph of y
        torch.autograd.grad(t * 3.0, [t, tz])
    with pytest.raises((RuntimeError, ValueError), match=r"(?i)unused|not .*graph|reach"):
        autograd.grad(y, [x, z])
    gx, gz = autograd.grad(y, [x, z], allow_unused=True)
    assert gx.data == 3.0 and gz is None
    assert torch.autograd.grad(t * 3.0, [t, tz], allow_unused=True)[1] is None


def test_grad_of_grad_of_a_shared_subexpression_matches_torch() -> None:
    x = Value(0.8)
    s = x.sin()
    y = s * s * x + s.exp()
    (g,) = autograd.grad(y, [x], create_graph=True)
    (h,) = autograd.grad(g, [x])
    t = tensor(0.8)
    ts = torch.sin(t)
    (tg,) = torch.autograd.grad(ts * ts * t + torch.exp(ts), [t], create_graph=True)
    (th,) = torch.autograd.grad(tg, [t])
    assert_close(g.data, tg.item(), "first derivative")
    assert_close(h.data, th.item(), "second derivative")
