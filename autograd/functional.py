"""Functions of many values, each ONE node whose arguments are all of its inputs (plain numbers: constants).

`sum` of n values is one node, not n - 1 additions: the graph stays small, its picture readable, backward fast.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Iterable, Sequence
from typing import Any

from autograd.floats import exp, log
from autograd.value import Function, Number, Value, _arguments, _node, _op


def total(xs: Sequence[Any]) -> Any:
    """x_0 + x_1 + ... (0.0 for nothing), on floats, Values or symbols."""
    if xs and type(xs[0]) is float:
        return builtins.sum(xs)  # Python's own float loop
    return builtins.sum(xs[1:], xs[0]) if xs else 0.0


# fmt: off
Sum = _op("Sum", "Σ x_i;  ∂/∂x_i = 1", skip_zero=True,
          forward=lambda *xs: total(xs), backward=lambda g, out, *xs: (g,) * len(xs))
Mean = _op("Mean", "(1/n) Σ x_i, nan for no x as in PyTorch;  ∂/∂x_i = 1/n", skip_zero=True,
           forward=lambda *xs: total(xs) / len(xs) if xs else math.nan,
           backward=lambda g, out, *xs: (g / len(xs),) * len(xs) if xs else ())
Dot = _op("Dot", "Σ x_i·w_i over the arguments' first half (the x_i) and second half (the w_i);  "
                 "∂/∂x_i = w_i, ∂/∂w_i = x_i", skip_zero=True,
          forward=lambda *a: total(list(map(operator.mul, a[:len(a) // 2], a[len(a) // 2:]))),
          backward=lambda g, out, *a: [g * v for v in a[len(a) // 2:] + a[:len(a) // 2]])
# fmt: on


def _largest(xs: Sequence[Any]) -> float:
    """m = max x as a plain number, the shift in e^(x - m) that cannot overflow (its derivative cancels out)."""
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

    backward = staticmethod(lambda g, out, *xs: [g * exp(x - out) for x in xs])  # e^(x_i - out) = softmax_i


Softmax = _op("Softmax", "Output i of softmax(x): s_i = e^x_i / Σ_j e^x_j;  ∂s_i/∂x_j = s_i·(δ_ij - s_j). "
              "Arguments (i, *xs)", skip_zero=True, forward=lambda i, *xs: _softmax(xs)[int(i)],
              backward=lambda g, out, i, *xs: [0.0] + [g * out * ((1.0 if j == i else 0.0) - s)
                                                      for j, s in enumerate(_softmax(xs))])  # fmt: skip


class LogSoftmax(Function):
    """Output i of log_softmax(x): (x_i - m) - ln Σ_j e^(x_j - m);  ∂/∂x_j = δ_ij - s_j. Arguments (i, *xs).
    Written with x - m, never with ln Σ e^x, whose rounding swallows small differences when |x| is huge."""

    name, skip_zero = "log_softmax", True

    @staticmethod
    def forward(i: float, *xs: float) -> float:
        m = _largest(xs)
        return (xs[int(i)] - m) - log(math.fsum(exp(x - m) for x in xs))

    backward = staticmethod(lambda g, out, i, *xs: [0.0] + [g * ((1.0 if j == i else 0.0) - s)
                                                         for j, s in enumerate(_softmax(xs))])


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
    """Σ x_i·w_i;  d/dx_i = w_i, d/dw_i = x_i. Either side may hold plain numbers (constants); the parents are
    the Values of xs, then of ws. A neuron is one dot: dot(w + [b], x + [1.0]), b a weight on an input of 1."""
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
    """y_j = Σ_i w_ji·x_i + b_j for each row w_j of `weight` (PyTorch's F.linear): a layer's weighted sums, y_j
    the one node dot(weight[j] + [bias[j]], x + [1.0]). x is one input, or a batch (a list of them, as F.linear's
    2-D input), which gives one list of outputs per input."""
    try:
        rows = [tuple(row) for row in weight]
        biases = None if bias is None else list(bias)
    except TypeError:
        raise TypeError("linear() takes weight as a list of rows, each a list of Values or numbers") from None
    if biases is not None and len(biases) != len(rows):
        raise ValueError(f"linear() got {len(rows)} weight rows but {len(biases)} biases")
    if len(set(map(len, rows))) > 1:
        j = next(j for j, row in enumerate(rows) if len(row) != len(rows[0]))
        raise ValueError(f"linear(): weight row {j} has {len(rows[j])} entries, row 0 has {len(rows[0])}")
    if biases is not None:
        rows = [row + (b,) for row, b in zip(rows, biases)]  # the bias: a weight on a constant input of 1
    extra = int(biases is not None)
    sides = [_arguments("linear", row) for row in rows]
    if is_batch(x):
        return [_linear_one(xi, sides, extra) for xi in x]  # type: ignore[arg-type]
    return _linear_one(x, sides, extra)  # type: ignore[arg-type]


def _linear_one(x: Sequence[Value | Number], rows: list[tuple[tuple, list[float]]], extra: int) -> list[Value]:
    """[Dot.apply(*row, *x, 1.0) for each row], each row's numbers read once per call, the input's once for all
    rows (with the bias's input 1.0): weights are most of what a forward pass reads."""
    xs, x_numbers = _arguments("linear", tuple(_entries(x, "linear")))
    xs, x_numbers = xs + (1.0,) * extra, x_numbers + [1.0] * extra
    if rows and len(rows[0][0]) != len(xs):
        n, m = len(rows[0][0]) - extra, len(xs) - extra
        raise ValueError(f"linear(): the weight rows have {n} entries, the input {m}")
    return [_node(Dot, w + xs, w_numbers + x_numbers, builtins.sum(map(operator.mul, w_numbers, x_numbers)))
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
