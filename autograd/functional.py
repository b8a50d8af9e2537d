"""Functions of many values, each computed as ONE node whose arguments are all of its inputs.

One node instead of a chain of binary ones: `sum` of n values is one node, not n - 1 additions, so the graph
stays small, the picture readable, and backward fast. Plain numbers in the inputs are constants.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Iterable, Sequence
from typing import Any

from autograd.floats import exp, log
from autograd.value import Function, Number, Value, _arguments, _node


def total(xs: Sequence[Any]) -> Any:
    """x_0 + x_1 + ... (0.0 for nothing), on floats, Values or symbols."""
    if xs and type(xs[0]) is float:
        return builtins.sum(xs)  # Python's own float loop
    return builtins.sum(xs[1:], xs[0]) if xs else 0.0


class Sum(Function):
    skip_zero = True
    forward = staticmethod(lambda *xs: total(xs))
    backward = staticmethod(lambda g, out, *xs: (g,) * len(xs))  # ∂/∂x_i = 1


class Mean(Function):
    skip_zero = True
    forward = staticmethod(lambda *xs: total(xs) / len(xs) if xs else math.nan)  # the mean of nothing is nan
    backward = staticmethod(lambda g, out, *xs: (g / len(xs),) * len(xs) if xs else ())  # ∂/∂x_i = 1/n


class Dot(Function):
    """Σ x_i·w_i over the first half of the arguments (the x_i) and the second (the w_i)."""

    skip_zero = True

    @staticmethod
    def forward(*args: Any) -> Any:
        n = len(args) // 2
        return total(list(map(operator.mul, args[:n], args[n:])))

    @staticmethod
    def backward(g: Any, out: Any, *args: Any) -> list:
        n = len(args) // 2
        return [g * w for w in args[n:]] + [g * x for x in args[:n]]  # ∂/∂x_i = w_i, ∂/∂w_i = x_i


def _largest(xs: Sequence[Any]) -> float:
    """max x as a plain number: the shift that keeps e^(x - m) from overflowing. Its own derivative cancels
    out of every formula it is used in, so it is a constant even when the x are Values."""
    return float(max(xs, key=float)) if xs else 0.0


def _softmax(xs: Sequence[Any]) -> list[Any]:
    """[e^(x_j - m) / Σ_k e^(x_k - m)] with m = max x, so that no term overflows (as PyTorch computes it)."""
    m = _largest(xs)
    terms = [exp(x - m) for x in xs]
    s = total(terms)
    return [t / s for t in terms]


class LogSumExp(Function):
    """ln Σ e^x_i = m + ln Σ e^(x_i - m), m = max x (0 when it is infinite, as in PyTorch);  ∂/∂x_i = e^(x_i - out)."""

    skip_zero = True

    @staticmethod
    def forward(*xs: float) -> float:
        m = _largest(xs)
        m = m if math.isfinite(m) else 0.0
        return m + log(math.fsum(exp(x - m) for x in xs))

    @staticmethod
    def backward(g: Any, out: Any, *xs: Any) -> list:
        return [g * exp(x - out) for x in xs]  # e^(x_i - out) = softmax_i, PyTorch's formula


class Softmax(Function):
    """Output i of softmax(x): s_i = e^x_i / Σ_j e^x_j;  ∂s_i/∂x_j = s_i·(δ_ij - s_j). Arguments (i, *xs)."""

    skip_zero = True
    forward = staticmethod(lambda i, *xs: _softmax(xs)[int(i)])

    @staticmethod
    def backward(g: Any, out: Any, i: float, *xs: Any) -> list:
        return [0.0] + [g * out * ((1.0 if j == i else 0.0) - s) for j, s in enumerate(_softmax(xs))]


class LogSoftmax(Function):
    """Output i of log_softmax(x): (x_i - m) - ln Σ_j e^(x_j - m);  ∂/∂x_j = δ_ij - s_j. Arguments (i, *xs).

    Both written with the shifted x - m, never with ln Σ e^x itself, which absorbs small terms when |x| is huge.
    """

    name, skip_zero = "log_softmax", True

    @staticmethod
    def forward(i: float, *xs: float) -> float:
        m = _largest(xs)
        return (xs[int(i)] - m) - log(math.fsum(exp(x - m) for x in xs))

    @staticmethod
    def backward(g: Any, out: Any, i: float, *xs: Any) -> list:
        return [0.0] + [g * ((1.0 if j == i else 0.0) - s) for j, s in enumerate(_softmax(xs))]


def _entries(values: Iterable[Value | Number], name: str, values_only: bool = False) -> list[Value | Number]:
    try:
        entries = list(values)
    except TypeError:  # a single Value or number is not iterable
        raise TypeError(f"{name}() takes a list of Values or numbers, got {type(values).__name__}") from None
    if values_only and not all(isinstance(e, Value) for e in entries):  # softmax's outputs index the inputs
        raise TypeError(f"{name}() takes a list of Values; wrap plain numbers with Value(x)")
    return entries


def sum(values: Iterable[Value | Number]) -> Value:  # noqa: A001 - autograd.sum, like torch.sum
    """Σ x_i;  d/dx_i = 1."""
    return Sum.apply(*_entries(values, "sum"))


def mean(values: Iterable[Value | Number]) -> Value:
    """(1/n) Σ x_i;  d/dx_i = 1/n (n counts constants too). The mean of nothing is nan, as in PyTorch."""
    return Mean.apply(*_entries(values, "mean"))


def dot(xs: Sequence[Value | Number], ws: Sequence[Value | Number]) -> Value:
    """Σ x_i·w_i;  d/dx_i = w_i, d/dw_i = x_i. Either side may hold plain numbers (constants).

    A neuron's weighted sum plus bias is one `dot`: dot(w + [b], x + [1.0]), the bias being a weight on a
    constant input of 1. The parents are the Value entries of xs, then those of ws.
    """
    left, right = _entries(xs, "dot"), _entries(ws, "dot")
    if len(left) != len(right):
        raise ValueError(f"dot() needs two lists of the same length, got {len(left)} and {len(right)}")
    return Dot.apply(*left, *right)


def is_batch(x: object) -> bool:
    """True for a list of inputs (a batch: its first entry is itself a list), False for one input."""
    try:
        first = x[0]  # type: ignore[index]
    except (TypeError, LookupError):
        return False  # not a sequence (a single Value or number), or an empty one
    return isinstance(first, Iterable) and not isinstance(first, (str, bytes, Value))


def linear(x: Sequence[Value | Number] | Sequence[Sequence[Value | Number]],
           weight: Sequence[Sequence[Value | Number]],
           bias: Sequence[Value | Number] | None = None) -> list[Value] | list[list[Value]]:  # fmt: skip
    """y_j = Σ_i w_ji·x_i + b_j for each row w_j of `weight`: a whole layer's weighted sums.

    Output j is `dot(weight[j] + [bias[j]], x + [1.0])`, one node (the name and layout are PyTorch's
    F.linear). `x` is one input, or a batch (a list of inputs, like F.linear's 2-D input): then one list of
    outputs per input.
    """
    try:
        rows = [list(row) for row in weight]
        biases = None if bias is None else list(bias)
    except TypeError:
        raise TypeError("linear() takes weight as a list of rows, each a list of Values or numbers") from None
    if biases is not None and len(biases) != len(rows):
        raise ValueError(f"linear() got {len(rows)} weight rows but {len(biases)} biases")
    for j, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise ValueError(f"linear(): weight row {j} has {len(row)} entries, row 0 has {len(rows[0])}")
    if biases is not None:
        rows = [[*row, b] for row, b in zip(rows, biases)]  # the bias: a weight on a constant input of 1
    extra = int(biases is not None)
    sides = [_arguments("linear", tuple(row)) for row in rows]
    if is_batch(x):
        return [_linear_one(xi, sides, extra) for xi in x]  # type: ignore[arg-type]
    return _linear_one(x, sides, extra)  # type: ignore[arg-type]


def _linear_one(x: Sequence[Value | Number], rows: list[tuple[tuple, list[float]]], extra: int) -> list[Value]:
    """[Dot.apply(*row, *x, 1.0) for each row], with each row's numbers read once per call and the input's once
    for all rows: a layer's weights are most of what a network's forward pass reads (micrograd's demo network:
    a step took 165M instructions this way, 238M when every node read all of its own numbers)."""
    xs, x_numbers = _arguments("linear", tuple(_entries(x, "linear") + [1.0] * extra))
    if rows and len(rows[0][0]) != len(xs):
        n, m = len(rows[0][0]) - extra, len(xs) - extra
        raise ValueError(f"linear(): the weight rows have {n} entries, the input {m}")
    return [_node(Dot, (*w, *xs), w_numbers + x_numbers, builtins.sum(map(operator.mul, w_numbers, x_numbers)))
            for w, w_numbers in rows]  # fmt: skip


def logsumexp(values: Iterable[Value | Number]) -> Value:
    """ln Σ e^x_i, computed as m + ln Σ e^(x_i - m) with m = max x (no overflow);  d/dx_i = softmax_i."""
    entries = _entries(values, "logsumexp")
    return LogSumExp.apply(*entries) if entries else Value(-math.inf)


def softmax(values: Sequence[Value]) -> list[Value]:
    """s_i = e^x_i / Σ_j e^x_j, each output one node over all inputs;  ds_i/dx_j = s_i(δ_ij - s_j)."""
    xs = _entries(values, "softmax", values_only=True)
    return [Softmax.apply(float(i), *xs) for i in range(len(xs))]


def log_softmax(values: Sequence[Value]) -> list[Value]:
    """x_i - ln Σ_j e^x_j (stable), each output one node over all inputs;  d/dx_j = δ_ij - softmax_j."""
    xs = _entries(values, "log_softmax", values_only=True)
    return [LogSoftmax.apply(float(i), *xs) for i in range(len(xs))]
