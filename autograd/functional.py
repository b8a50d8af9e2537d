"""Functions of many values, each computed as ONE node whose parents are all of its inputs.

One node instead of a chain of binary ones: `sum` of n values is one node, not n - 1 additions, so the graph
stays small, the picture readable, and backward fast. Plain numbers in the inputs are constants.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Iterable, Sequence

from autograd import ops
from autograd.value import Number, Value, _is_number, _node


def _entries(values: Iterable[Value | Number], name: str) -> tuple[list, list[Value], list[float]]:
    """(entries with constants as floats, the Value entries, every entry's number)."""
    if isinstance(values, Value) or _is_number(values):
        raise TypeError(f"{name}() takes a list of Values or numbers, got a single {type(values).__name__}")
    entries, parents, data = [], [], []
    for v in values:
        if isinstance(v, Value):
            entries.append(v)
            parents.append(v)
            data.append(v.data)
        elif _is_number(v):
            entries.append(float(v))
            data.append(float(v))
        else:
            raise TypeError(f"{name}() takes Values or numbers, got {type(v).__name__}: {v!r}")
    return entries, parents, data


def sum(values: Iterable[Value | Number]) -> Value:  # noqa: A001 - autograd.sum, like torch.sum
    """Σ x_i;  d/dx_i = 1."""
    entries, parents, data = _entries(values, "sum")
    return _node(builtins.sum(data), tuple(parents), ops.SUM, len(entries))


def mean(values: Iterable[Value | Number]) -> Value:
    """(1/n) Σ x_i;  d/dx_i = 1/n. The mean of nothing is nan, as in PyTorch."""
    entries, parents, data = _entries(values, "mean")
    n = len(entries)
    return _node(builtins.sum(data) / n if n else math.nan, tuple(parents), ops.MEAN, n)


def dot(xs: Sequence[Value | Number], ws: Sequence[Value | Number]) -> Value:
    """Σ x_i·w_i;  d/dx_i = w_i, d/dw_i = x_i. Either side may hold plain numbers (constants).

    A neuron's weighted sum plus bias is one `dot`: dot(w + [b], x + [1.0]), the bias being a weight on a
    constant input of 1. The parents are the Value entries of xs, then those of ws.
    """
    left, left_values, left_data = _entries(xs, "dot")
    right, right_values, right_data = _entries(ws, "dot")
    if len(left) != len(right):
        raise ValueError(f"dot() needs two lists of the same length, got {len(left)} and {len(right)}")
    data = builtins.sum(map(operator.mul, left_data, right_data))
    return _node(data, tuple(left_values + right_values), ops.DOT, (left, right))


def logsumexp(values: Iterable[Value | Number]) -> Value:
    """ln Σ e^x_i, computed as m + ln Σ e^(x_i - m) with m = max x (no overflow);  d/dx_i = softmax_i."""
    entries, parents, data = _entries(values, "logsumexp")
    if not data:
        return _node(-math.inf, (), ops.LOGSUMEXP, 0)
    m, _, log_total = _shift_by_max(data)
    return _node(m + log_total, tuple(parents), ops.LOGSUMEXP, len(entries))


def _shift_by_max(data: list[float]) -> tuple[float, list[float], float]:
    """(m, [x - m], ln Σ e^(x - m)) with m = max x: the largest shifted term is e^0 = 1, so nothing overflows."""
    m = max(data)
    if not math.isfinite(m):
        m = 0.0  # all -inf, or some +inf: shifting would give inf - inf = nan; PyTorch shifts by 0 here
    shifted = [x - m for x in data]
    return m, shifted, ops.log(math.fsum(ops.exp(x) for x in shifted))


def softmax(values: Sequence[Value]) -> list[Value]:
    """s_i = e^x_i / Σ_j e^x_j, each output one node over all inputs;  ds_i/dx_j = s_i(δ_ij - s_j)."""
    entries, parents, data = _entries(values, "softmax")
    _all_values(entries, "softmax")
    if not data:
        return []
    _, shifted, log_total = _shift_by_max(data)
    probabilities = [ops.exp(x - log_total) for x in shifted]
    inputs = tuple(parents)
    return [_node(p, inputs, ops.SOFTMAX, (i, probabilities)) for i, p in enumerate(probabilities)]


def log_softmax(values: Sequence[Value]) -> list[Value]:
    """x_i - ln Σ_j e^x_j (stable), each output one node over all inputs;  d/dx_j = δ_ij - softmax_j."""
    entries, parents, data = _entries(values, "log_softmax")
    _all_values(entries, "log_softmax")
    if not data:
        return []
    _, shifted, log_total = _shift_by_max(data)
    inputs = tuple(parents)
    return [_node(x - log_total, inputs, ops.LOG_SOFTMAX, i) for i, x in enumerate(shifted)]


def _all_values(entries: list, name: str) -> None:
    # Output i's rule indexes the inputs by position, so every input must be a node.
    for e in entries:
        if not isinstance(e, Value):
            raise TypeError(f"{name}() takes a list of Values; wrap plain numbers with Value(x)")
