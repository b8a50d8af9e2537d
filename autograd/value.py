"""The Value node: a number that remembers which operation made it, so gradients can flow back."""

from __future__ import annotations

import math
import numbers
from typing import Any

from autograd import mode as _modes
from autograd import ops
from autograd.mode import _mode

Number = int | float


def _is_number(x: object) -> bool:
    """A plain real number usable as a constant: int, float (or numpy's), but never bool."""
    if type(x) is float or type(x) is int:  # the common case first: the ABC check below is slow
        return True
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


class Value:
    """A scalar in a computation graph.

    `data` is the number, `grad` is d(output)/d(this value) after `backward()`, `op` names the operation
    that produced it ('' for a leaf: an input or a parameter), and `parents` are its inputs, in argument
    order. Plain numbers mixed in (`x * 2`) are constants, not nodes.
    """

    # Slots, not a __dict__: a node is small, and holds no reference back to itself (no closure), so a
    # graph is freed by reference counting alone the moment the last name for its output goes away.
    __slots__ = ("data", "grad", "label", "parents", "_op", "_ctx")

    def __init__(self, data: Number, label: str = "") -> None:
        if not _is_number(data):
            raise TypeError(f"Value() takes an int or a float, got {type(data).__name__}: {data!r}")
        if not isinstance(label, str):
            raise TypeError(f"Value() label must be a str, got {type(label).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.parents: tuple[Value, ...] = ()
        self._op = None  # the rule in autograd.ops that made this node; None for a leaf
        self._ctx = None  # that rule's constant, if it has one (the 2.0 of x * 2.0, leaky_relu's slope...)

    @property
    def op(self) -> str:
        """The operation that made this value, as graphs show it ('+', 'tanh', 'dot'...); '' for a leaf."""
        return self._op.name if self._op is not None else ""

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    # Comparisons look at the numbers and return plain bools, so `max(a, b)` and `sorted` work; the value
    # they pick keeps its place in the graph, so the gradient flows to the winner. `==` and hashing stay
    # identity-based (not defined here): Values are nodes, and sets and dicts of nodes must work.
    def __lt__(self, other: Value | Number) -> bool:
        return self.data < _number(other)

    def __le__(self, other: Value | Number) -> bool:
        return self.data <= _number(other)

    def __gt__(self, other: Value | Number) -> bool:
        return self.data > _number(other)

    def __ge__(self, other: Value | Number) -> bool:
        return self.data >= _number(other)

    # --- arithmetic: each operator picks its rule in autograd.ops, where its derivative sits beside it ---
    def __add__(self, other: Value | Number) -> Value:
        """a + b;  d/da = 1, d/db = 1."""
        return _binary(ops.ADD, self, other)

    def __radd__(self, other: Number) -> Value:
        return _binary(ops.ADD, other, self)

    def __sub__(self, other: Value | Number) -> Value:
        """a - b;  d/da = 1, d/db = -1."""
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: Number) -> Value:
        return _binary(ops.SUB, other, self)

    def __mul__(self, other: Value | Number) -> Value:
        """a * b;  d/da = b, d/db = a."""
        return _binary(ops.MUL, self, other)

    def __rmul__(self, other: Number) -> Value:
        return _binary(ops.MUL, other, self)

    def __truediv__(self, other: Value | Number) -> Value:
        """a / b;  d/da = 1/b, d/db = -a/b²."""
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other: Number) -> Value:
        if _is_number(other):  # c / x is c · (1/x), as in PyTorch: see ops.RDIV
            return _unary(ops.RDIV, self, float(other))
        return NotImplemented

    def __pow__(self, other: Value | Number) -> Value:
        """a ** b;  d/da = b·a^(b-1), d/db = a^b·ln a."""
        if _is_number(other):  # a plain-number exponent is the op's constant: see ops.POW_SCALAR
            return _unary(ops.POW_SCALAR, self, float(other))
        return _binary(ops.POW, self, other)

    def __rpow__(self, other: Number) -> Value:
        return _binary(ops.POW, other, self)

    def __neg__(self) -> Value:
        """-x;  d/dx = -1."""
        return _unary(ops.NEG, self)

    def __abs__(self) -> Value:
        """|x|;  d/dx = sign(x) (0 at 0)."""
        return _unary(ops.ABS, self)

    # --- functions ---
    def exp(self) -> Value:
        """e^x;  d/dx = e^x."""
        return _unary(ops.EXP, self)

    def log(self) -> Value:
        """ln x;  d/dx = 1/x.  log(0) = -inf, log(negative) = nan."""
        return _unary(ops.LOG, self)

    def log1p(self) -> Value:
        """ln(1 + x);  d/dx = 1/(1 + x). Exact for tiny x, where log(1 + x) loses digits."""
        return _unary(ops.LOG1P, self)

    def sqrt(self) -> Value:
        """√x;  d/dx = 1/(2√x)."""
        return _unary(ops.SQRT, self)

    def sin(self) -> Value:
        """sin x;  d/dx = cos x."""
        return _unary(ops.SIN, self)

    def cos(self) -> Value:
        """cos x;  d/dx = -sin x."""
        return _unary(ops.COS, self)

    def tanh(self) -> Value:
        """tanh x;  d/dx = 1 - tanh² x."""
        return _unary(ops.TANH, self)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e^-x);  d/dx = σ(x)(1 - σ(x)). Stable for large |x|."""
        return _unary(ops.SIGMOID, self)

    def relu(self) -> Value:
        """max(0, x);  d/dx = 1 if x > 0 else 0."""
        x = self.data
        if x <= 0:  # off: one of relu's two rules (see ops.RELU), picked here so that backward can stop here
            return _node(0.0, (self,), ops.RELU_OFF)
        return _node(x, (self,), ops.RELU)  # (nan lands here: relu(nan) = nan, as in PyTorch)

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """x if x > 0 else slope·x;  d/dx = 1 if x > 0 else slope."""
        return _unary(ops.LEAKY_RELU, self, _constant(negative_slope, "negative_slope"))

    def elu(self, alpha: float = 1.0) -> Value:
        """x if x > 0 else α(e^x - 1);  d/dx = 1 if x > 0 else α·e^x."""
        return _unary(ops.ELU, self, _constant(alpha, "alpha"))

    def softplus(self) -> Value:
        """ln(1 + e^x);  d/dx = σ(x). Returns x above 20, like PyTorch."""
        return _unary(ops.SOFTPLUS, self)

    # --- graph ---
    def backward(self, grad: Value | Number = 1.0, create_graph: bool = False) -> None:
        """Fill `.grad` of every value this one depends on with d(self)/d(value), by the chain rule.

        Leaves accumulate (+=) across calls, like PyTorch; interior nodes show the latest pass only (those
        reached only through a relu that was off, whose gradient is 0, are skipped and keep their value).
        With `create_graph=True` the gradients are Values with graphs of their own (higher order).
        """
        from autograd.engine import backward  # the engine imports Value, so import it when first needed

        backward(self, grad, create_graph=create_graph)

    def detach(self) -> Value:
        """A new leaf with the same number and label, cut off from this value's graph."""
        return Value(self.data, self.label)


def _number(x: object) -> float:
    """The number of a Value or a plain number; anything else is a TypeError (for comparisons)."""
    if isinstance(x, Value):
        return x.data
    if _is_number(x):
        return float(x)
    raise TypeError(f"cannot compare Value with {type(x).__name__}")


def _constant(x: object, name: str) -> float:
    if not _is_number(x):
        raise TypeError(f"{name} must be an int or a float, got {type(x).__name__}")
    return float(x)


def _node(data: float, parents: tuple, op: Any, ctx: Any = None) -> Value:
    """Make the result of an operation. Under no_grad it is a leaf: no parents, no rule."""
    out = _new(Value)  # skip __init__'s checks: data is already a float
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.parents, out._op, out._ctx = parents, op, ctx
    # The switches are per thread, and reading a thread-local costs about a third of making a node. While no
    # thread has a no_grad/enable_grad/detect_anomaly block open (the usual case), they are the defaults:
    # recording on, no anomaly checks, and the node is done.
    if _modes.open_blocks:
        _apply_modes(out)
    return out


def _apply_modes(out: Value) -> None:
    """What this thread's switches do to a new node: detect_anomaly checks its number, no_grad makes it a leaf."""
    grad_enabled, anomaly = _mode.switches
    if anomaly and not math.isfinite(out.data):
        inputs = ", ".join(repr(p.data) for p in out.parents)
        ctx = out._ctx
        constant = f", constant {ctx!r}" if isinstance(ctx, float) else ""
        raise FloatingPointError(f"detect_anomaly: {out.op!r} returned {out.data} from inputs ({inputs}){constant}")
    if not grad_enabled:
        out.parents, out._op, out._ctx = (), None, None


_new = object.__new__


def _relu_each(values: list[Value]) -> list[Value]:
    """[v.relu() for v in values], made in one loop: a layer's activations.

    The same nodes as Value.relu makes, but without its two calls per node (v.relu(), then _node): the nodes
    are made here, in place. Those calls were 7% of the forward pass of micrograd's demo network.
    """
    if _modes.open_blocks:  # a mode block is open somewhere: let each node see this thread's switches
        return [v.relu() for v in values]
    results = []
    for v in values:
        out = _new(Value)
        x = v.data
        if x <= 0:  # the two rules, as in Value.relu
            out.data = 0.0
            out._op = ops.RELU_OFF
        else:
            out.data = x
            out._op = ops.RELU
        out.grad = 0.0
        out.label = ""
        out.parents = (v,)
        out._ctx = None
        results.append(out)
    return results


def _unary(op: ops.UnaryOp, x: Value, c: Any = None) -> Value:
    return _node(op.forward(x.data, c), (x,), op, c)


def _binary(op: ops.BinaryOp, a: Any, b: Any) -> Value:
    """a ⊕ b where either side may be a plain number; returns NotImplemented for other types."""
    if isinstance(a, Value):
        if isinstance(b, Value):
            return _node(op.forward(a.data, b.data), (a, b), op)
        if type(b) is not float:  # the common constant is a float already: no checks, no conversion
            if not _is_number(b):
                return NotImplemented
            b = float(b)
        return _node(op.forward(a.data, b), (a,), op.right, b)
    if isinstance(b, Value) and _is_number(a):
        a = float(a)
        return _node(op.forward(a, b.data), (b,), op.left, a)
    return NotImplemented
