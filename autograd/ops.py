"""Every operation of the engine in one table: its forward on floats and its derivative, side by side.

Two layers, as in minitorch:

1. A float prelude (`exp`, `log`, `div`, `pow`, ...) that follows IEEE 754 like PyTorch's float64:
   `1/0 = inf`, `log(0) = -inf`, `log(-1) = nan`, `exp(1000) = inf`. Python's `math` raises
   ZeroDivisionError, ValueError or OverflowError in those places instead; these functions never do.
   Each also accepts a `Value`, and then calls the `Value`'s own method so that the graph is recorded.

2. The op table. Each op names its forward and its backward rule. A backward rule receives the incoming
   gradient `g`, the inputs and the output, and returns `g * d(out)/d(input)` (the chain rule, one step).
   The rules are written once with the prelude and plain arithmetic, so the SAME formula runs on floats
   (an ordinary backward pass) or on `Value`s (`create_graph=True`: the gradient is itself a graph, which can
   be differentiated again, to any order).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from itertools import chain, compress
from typing import Any

inf, nan = math.inf, math.nan

# ---------------------------------------------------------------------------------------------------------
# 1. The float prelude. `type(x) is float` is the float path; anything else is a Value and uses its method.
#    (Values always hold floats and constants are stored as floats, so this check is exact.)
# ---------------------------------------------------------------------------------------------------------


def exp(x: Any) -> Any:
    """e^x; overflow gives inf."""
    if type(x) is not float:
        return x.exp()
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log(x: Any) -> Any:
    """Natural log; log(0) = -inf, log(negative) = nan."""
    if type(x) is not float:
        return x.log()
    if x > 0:
        return math.log(x)
    return -inf if x == 0 else nan  # x < 0 or x is nan


def log1p(x: Any) -> Any:
    """ln(1 + x), exact for tiny x; log1p(-1) = -inf, below -1 nan."""
    if type(x) is not float:
        return x.log1p()
    if x > -1:
        return math.log1p(x)
    return -inf if x == -1 else nan


def sqrt(x: Any) -> Any:
    """Square root; sqrt(negative) = nan."""
    if type(x) is not float:
        return x.sqrt()
    return math.sqrt(x) if x >= 0 else nan  # nan >= 0 is False: nan stays nan


def sin(x: Any) -> Any:
    """sin x; sin(±inf) = nan."""
    if type(x) is not float:
        return x.sin()
    return math.sin(x) if math.isfinite(x) else nan


def cos(x: Any) -> Any:
    """cos x; cos(±inf) = nan."""
    if type(x) is not float:
        return x.cos()
    return math.cos(x) if math.isfinite(x) else nan


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    if type(x) is not float:
        return x.sigmoid()
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = exp(x)  # x < 0 (or nan): e^x cannot overflow, and e^x / (1 + e^x) keeps full precision
    return z / (1.0 + z)


def div(a: Any, b: Any) -> Any:
    """a / b; a/0 = ±inf by the signs of a and the zero, 0/0 = nan."""
    if type(a) is not float or type(b) is not float:
        return a / b
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:  # 0/0 and nan/0
            return nan
        return math.copysign(inf, a) * math.copysign(1.0, b)


def _is_odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == int(y) and int(y) % 2 == 1


def pow(a: Any, b: Any) -> Any:  # noqa: A001 - the math name, as in torch.pow
    """a ** b with C99 rules: 0 ** -1 = inf, (-8) ** (1/3) = nan, overflow gives ±inf."""
    if type(a) is not float or type(b) is not float:
        return a**b
    try:
        return math.pow(a, b)
    except OverflowError:  # |a ** b| too large: negative only for a negative base and an odd exponent
        return -inf if a < 0 and _is_odd_integer(b) else inf
    except ValueError:
        if a == 0:  # zero to a negative power: ±inf, the sign kept only for an odd exponent
            return math.copysign(inf, a) if _is_odd_integer(b) else inf
        return nan  # negative base, non-integer exponent


def value_of(x: Any) -> float:
    """The number inside: x itself for a float, x.data for a Value (for == in branch conditions: a Value's
    == is identity, while <, <=, >, >= compare numbers and need no unwrapping)."""
    return x if type(x) is float else x.data


# ---------------------------------------------------------------------------------------------------------
# 2. The op table. Forward functions take floats. Backward rules take g, the inputs, the output (and `c`,
#    the op's constant, where it has one) and return g * d(out)/d(input).
# ---------------------------------------------------------------------------------------------------------


# `skip_zero`, on every op: True when the op's local derivatives are finite wherever its output is finite.
# For such an op an incoming gradient of exactly 0 hands exactly 0 to every input, so backward may skip it
# (a relu that was off, a sample the loss is already happy with). Where a derivative can be infinite with a
# finite output (log and 1/x near 0, sqrt at 0, pow), 0·inf = nan must reach the inputs, so no skipping.


# `blocks`, on every op: True when the op hands exactly 0 to every parent whatever gradient it receives. Only
# RELU_OFF, the rule of a relu whose input was <= 0, does: d relu/dx = 0 there, and 0·g is taken as 0 even
# for an infinite g, as in PyTorch. Backward then takes no step for such a node and does not even visit what
# lies below it: nothing can reach it through there.


# Every op has two ways to take its backward step, with the same arithmetic:
#   backward(node, g, create_graph) returns g·d(node)/d(parent) for each parent, as floats or, with
#       create_graph, as Values; the engine adds them into the parents (and can check them first);
#   accumulate(node, g) adds those floats into the parents' `.grad` itself: an ordinary backward pass does this,
#       since it builds no list per node (a neuron's node has one parent per weight and input).


class UnaryOp:
    """out = forward(x, c): one Value input, `c` an optional constant such as leaky_relu's slope."""

    __slots__ = ("name", "forward", "grad", "skip_zero", "blocks")

    def __init__(self, name: str, forward: Callable, grad: Callable, skip_zero: bool = False,
                 blocks: bool = False) -> None:  # fmt: skip
        self.name, self.forward, self.grad, self.skip_zero, self.blocks = name, forward, grad, skip_zero, blocks

    def backward(self, node: Any, g: Any, create_graph: bool) -> tuple:
        (x,) = node.parents
        if create_graph:
            return (self.grad(g, x, node, node._ctx),)
        return (self.grad(g, x.data, node.data, node._ctx),)

    def accumulate(self, node: Any, g: float) -> None:
        x = node.parents[0]
        x.grad += self.grad(g, x.data, node.data, node._ctx)


class _PassThrough(UnaryOp):
    """A unary rule whose derivative is exactly 1 (relu when on): its step hands g to the input unchanged."""

    __slots__ = ()

    def accumulate(self, node: Any, g: float) -> None:
        node.parents[0].grad += g  # what `grad` returns, g, without calling it: relu runs for every neuron


class BinaryOp:
    """out = forward(a, b). `left` and `right` are variants where a or b is a plain number (a constant).

    A constant is not a node: `x * 2.0` has one parent, x, and keeps 2.0 in the node's constant slot.
    """

    blocks = False  # never hands back exactly 0 regardless of g

    __slots__ = ("name", "forward", "grad_a", "grad_b", "skip_zero", "left", "right")

    def __init__(self, name: str, forward: Callable, grad_a: Callable, grad_b: Callable,
                 skip_zero: bool = False) -> None:  # fmt: skip
        self.name, self.forward, self.grad_a, self.grad_b = name, forward, grad_a, grad_b
        self.skip_zero = skip_zero
        self.left = _WithConstant(self, constant_on_left=True)  # c ⊕ x
        self.right = _WithConstant(self, constant_on_left=False)  # x ⊕ c

    def backward(self, node: Any, g: Any, create_graph: bool) -> tuple:
        a, b = node.parents
        out = node
        if not create_graph:
            a, b, out = a.data, b.data, node.data
        return (self.grad_a(g, a, b, out), self.grad_b(g, a, b, out))

    def accumulate(self, node: Any, g: float) -> None:
        a, b = node.parents
        a_data, b_data, out = a.data, b.data, node.data
        a.grad += self.grad_a(g, a_data, b_data, out)
        b.grad += self.grad_b(g, a_data, b_data, out)


class _WithConstant:
    """x ⊕ c or c ⊕ x, one side a plain number: only the derivative with respect to x is needed."""

    blocks = False  # never hands back exactly 0 regardless of g

    __slots__ = ("name", "op", "skip_zero", "constant_on_left")

    def __init__(self, op: BinaryOp, constant_on_left: bool) -> None:
        self.name, self.op, self.skip_zero = op.name, op, op.skip_zero
        self.constant_on_left = constant_on_left

    def backward(self, node: Any, g: Any, create_graph: bool) -> tuple:
        (x,) = node.parents
        c, out = node._ctx, node
        if not create_graph:
            x, out = x.data, node.data
        if self.constant_on_left:
            return (self.op.grad_b(g, c, x, out),)
        return (self.op.grad_a(g, x, c, out),)

    def accumulate(self, node: Any, g: float) -> None:
        (contribution,) = self.backward(node, g, False)
        node.parents[0].grad += contribution


class NaryOp:
    """out = forward(xs): many inputs in ONE node. Its rule returns one gradient per parent."""

    blocks = False  # never hands back exactly 0 regardless of g

    __slots__ = ("name", "grads", "skip_zero")

    def __init__(self, name: str, grads: Callable, skip_zero: bool = False) -> None:
        self.name, self.grads, self.skip_zero = name, grads, skip_zero

    def backward(self, node: Any, g: Any, create_graph: bool) -> list:
        if create_graph:
            return self.grads(g, node.parents, node, node._ctx, create_graph)
        return self.grads(g, [p.data for p in node.parents], node.data, node._ctx, create_graph)

    def accumulate(self, node: Any, g: float) -> None:
        for parent, contribution in zip(node.parents, self.backward(node, g, False)):
            parent.grad += contribution


# (The forwards of +, - and * are the operator module's functions: the same arithmetic, without a Python call.)
# --- binary: out = a ⊕ b -------------------------------------------- g·d/da ------------- g·d/db ----
ADD = BinaryOp("+", operator.add,        lambda g, a, b, out: g,      lambda g, a, b, out: g, True)  # fmt: skip
SUB = BinaryOp("-", operator.sub,        lambda g, a, b, out: g,      lambda g, a, b, out: -g, True)  # fmt: skip
MUL = BinaryOp("*", operator.mul,        lambda g, a, b, out: g * b,  lambda g, a, b, out: g * a, True)  # fmt: skip
DIV = BinaryOp("/", div,                 lambda g, a, b, out: div(g, b),
                                         lambda g, a, b, out: -g * div(out, b))  # fmt: skip


def _pow_grad_base(g: Any, a: Any, b: Any, out: Any) -> Any:
    """d(a^b)/da = b·a^(b-1); exactly 0 when b == 0 (PyTorch's rule, which avoids 0·inf at a = 0)."""
    if value_of(b) == 0:
        return 0.0
    return g * (b * pow(a, b - 1.0))


def _pow_grad_exponent(g: Any, a: Any, b: Any, out: Any) -> Any:
    """d(a^b)/db = a^b·ln a; exactly 0 when a == 0 and b >= 0 (PyTorch's rule: 0^b is flat there)."""
    if value_of(a) == 0 and value_of(b) >= 0:
        return 0.0
    return g * (out * log(a))


POW = BinaryOp("**", pow, _pow_grad_base, _pow_grad_exponent)


# PyTorch treats a plain-number operand specially in two places, and we follow it so that results agree even
# at the edges (-0.0, ±inf, values near the float limits):
#   x ** c   uses sqrt for c = 0.5 and 1/sqrt for c = -0.5 (so (-inf) ** 0.5 is nan, not C's inf);
#   c / x    is computed as c · (1/x), and its derivative as -c·(1/x)².
# Both are therefore unary ops whose constant is c, like leaky_relu's slope.
def pow_scalar(x: Any, c: float) -> Any:
    """x ** c for a plain-number exponent c, with PyTorch's sqrt shortcuts."""
    if type(x) is not float:
        return x**c
    if c == 0.5:
        return sqrt(x)
    if c == -0.5:
        return div(1.0, sqrt(x))
    return pow(x, c)


def _pow_scalar_grad(g: Any, x: Any, out: Any, c: float) -> Any:
    """d(x^c)/dx = c·x^(c-1); exactly 0 when c == 0."""
    return 0.0 if c == 0 else g * (c * pow_scalar(x, c - 1.0))


def _rdiv_grad(g: Any, x: Any, out: Any, c: float) -> Any:
    """d(c/x)/dx = -c/x², as -(g·c)·(1/x)²."""
    r = div(1.0, x)
    return -(g * c) * (r * r)


POW_SCALAR = UnaryOp("**", pow_scalar, _pow_scalar_grad)
RDIV = UnaryOp("/", lambda x, c: c * div(1.0, x), _rdiv_grad)


# --- unary: out = f(x) ------------------------------------------------------------ g * df/dx -------------
def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0 else x * slope


def _elu(x: float, alpha: float) -> float:
    return x if x > 0 else alpha * math.expm1(x)  # expm1 keeps precision near 0; x <= 0 cannot overflow


def _softplus(x: float, c: None) -> float:
    # ln(1 + e^x), with PyTorch's threshold: above 20 it returns x (they agree to 2e-9 there).
    return x if x > 20 else math.log1p(math.exp(x))


def _abs_grad(g: Any, x: Any, out: Any, c: None) -> Any:
    v = value_of(x)
    if v != v:
        return g * nan  # sign(nan) is nan
    return g * (1.0 if v > 0 else -1.0 if v < 0 else 0.0)  # d|x|/dx = sign(x), 0 at 0 like PyTorch


NEG = UnaryOp("neg", lambda x, c: -x,             lambda g, x, out, c: -g, True)  # fmt: skip
ABS = UnaryOp("abs", lambda x, c: abs(x),          _abs_grad, True)  # fmt: skip
EXP = UnaryOp("exp", lambda x, c: exp(x),          lambda g, x, out, c: g * out, True)  # fmt: skip
LOG = UnaryOp("log", lambda x, c: log(x),          lambda g, x, out, c: div(g, x))  # fmt: skip
LOG1P = UnaryOp("log1p", lambda x, c: log1p(x),    lambda g, x, out, c: div(g, x + 1.0))  # fmt: skip
SQRT = UnaryOp("sqrt", lambda x, c: sqrt(x),       lambda g, x, out, c: div(g, 2.0 * out))  # fmt: skip
SIN = UnaryOp("sin", lambda x, c: sin(x),          lambda g, x, out, c: g * cos(x), True)  # fmt: skip
COS = UnaryOp("cos", lambda x, c: cos(x),          lambda g, x, out, c: g * -sin(x), True)  # fmt: skip
TANH = UnaryOp("tanh", lambda x, c: math.tanh(x),  lambda g, x, out, c: g * (1.0 - out * out), True)  # fmt: skip
SIGMOID = UnaryOp("sigmoid", lambda x, c: sigmoid(x),
                  lambda g, x, out, c: g * (1.0 - out) * out, True)  # fmt: skip
# relu has two rules, and Value.relu picks one by the input (and applies its forward inline: relu runs for
# every neuron), so that backward can tell an "off" relu by its rule alone: on (x > 0, or nan: relu(nan) = nan
# as in PyTorch) it passes g through; off (x <= 0) it is 0 and hands back exactly 0, whatever arrives (`blocks`).
RELU = _PassThrough("relu", lambda x, c: x,        lambda g, x, out, c: g, True)  # fmt: skip
RELU_OFF = UnaryOp("relu", lambda x, c: 0.0,       lambda g, x, out, c: 0.0, True, blocks=True)  # fmt: skip
LEAKY_RELU = UnaryOp("leaky_relu", _leaky_relu,
                     lambda g, x, out, c: g if x > 0 else g * c, True)  # fmt: skip
ELU = UnaryOp("elu", _elu,
              lambda g, x, out, c: g if x > 0 else g * (c * exp(x)), True)  # fmt: skip
SOFTPLUS = UnaryOp("softplus", _softplus,
                   lambda g, x, out, c: g if x > 20 else g * sigmoid(x), True)  # fmt: skip


# --- n-ary: one node, many inputs. Rules get g, the inputs xs, the output, the constant, create_graph ----
def _sum_grads(g: Any, xs: list, out: Any, n: int, create_graph: bool) -> list:
    """d(Σx)/dx_i = 1."""
    return [g] * len(xs)


def _mean_grads(g: Any, xs: list, out: Any, n: int, create_graph: bool) -> list:
    """d(Σx/n)/dx_i = 1/n (n counts the constants too)."""
    return [g / n] * len(xs)


def _logsumexp_grads(g: Any, xs: list, out: Any, n: int, create_graph: bool) -> list:
    """d(ln Σ e^x)/dx_i = e^(x_i - out), the softmax."""
    return [g * exp(x - out) for x in xs]


def _softmax_grads(g: Any, xs: list, out: Any, ctx: tuple, create_graph: bool) -> list:
    """out = s_i = e^x_i / Σ e^x;  ds_i/dx_j = s_i·(δ_ij - s_j)."""
    i, probabilities = ctx
    if create_graph:  # the s_j must be Values too: rebuild them from the inputs
        from autograd.functional import softmax

        probabilities = softmax(xs)
    return [g * out * ((1.0 if j == i else 0.0) - s) for j, s in enumerate(probabilities)]


def _log_softmax_grads(g: Any, xs: list, out: Any, i: int, create_graph: bool) -> list:
    """out = x_i - ln Σ e^x;  d/dx_j = δ_ij - s_j, where s_j = e^(x_j - ln Σ e^x) = e^((x_j - x_i) + out).

    Written with differences of inputs, never ln Σ e^x itself, which absorbs small terms when |x| is huge.
    """
    xi = xs[i]
    return [g * ((1.0 if j == i else 0.0) - exp((x - xi) + out)) for j, x in enumerate(xs)]


SUM = NaryOp("sum", _sum_grads, True)
MEAN = NaryOp("mean", _mean_grads, True)


class DotOp:
    """Σ x_i·w_i as one node: the weighted sum of every neuron, so it gets a backward of its own.

    d/dx_i = w_i and d/dw_i = x_i: each parent's gradient is g times its partner. Both sides' numbers are kept
    as they were at forward time, each with a mask of which entries are Values (None: all of them); the Value
    entries are the parents, the first side's first, and the others are constants. The rule keeps the first
    side and the node's constant the second, (numbers, mask): `linear` puts a weight row first, so the nodes
    of one row share one rule for a whole batch, and the nodes of one input share one constant.
    """

    name = "dot"
    skip_zero = True
    blocks = False  # never hands back exactly 0 regardless of g

    __slots__ = ("first_data", "first_mask")

    def __init__(self, first_data: list[float], first_mask: list[bool] | None) -> None:
        self.first_data, self.first_mask = first_data, first_mask

    def backward(self, node: Any, g: Any, create_graph: bool) -> list:
        return [g * partner for partner in _partners(node, create_graph)]

    def accumulate(self, node: Any, g: float) -> None:
        # This loop is most of the work of a network's backward pass: one pass, no list in between.
        for parent, partner in zip(node.parents, _partners(node, False)):
            parent.grad += g * partner


def _partners(node: Any, create_graph: bool) -> Iterable:
    """Each parent's partner in a dot, in parent order: the matching second-side number for each Value of the
    first side, then the matching first-side number for each Value of the second (`compress` picks them by
    the masks at C speed)."""
    first, first_mask = node._op.first_data, node._op.first_mask
    second, second_mask = node._ctx
    if create_graph:  # the partners as they are (Values), so that the result is a graph again
        parents = iter(node.parents)
        first, second = _entries(parents, first, first_mask), _entries(parents, second, second_mask)
    first_partners = second if first_mask is None else compress(second, first_mask)
    second_partners = first if second_mask is None else compress(first, second_mask)
    return chain(first_partners, second_partners)


def _entries(parents: Any, data: list, mask: list[bool] | None) -> list:
    """One side of a dot as it was given: the next parent where the entry is a Value, else its number."""
    if mask is None:
        return [next(parents) for _ in data]
    return [next(parents) if is_value else x for x, is_value in zip(data, mask)]


LOGSUMEXP = NaryOp("logsumexp", _logsumexp_grads, True)
SOFTMAX = NaryOp("softmax", _softmax_grads, True)
LOG_SOFTMAX = NaryOp("log_softmax", _log_softmax_grads, True)
