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

_FLOATS_ONLY = {float}


def _operands(values: Iterable[Value | Number], name: str) -> tuple[list, list[float]]:
    """(entries, numbers): Value entries kept, plain numbers turned into floats, anything else a TypeError.

    After this, an entry is a Value exactly when it is not a float: the rules in autograd.ops rely on it.
    """
    try:
        entries = list(values)
    except TypeError:  # a single Value or number is not iterable (and an ABC check on every list is slow)
        raise TypeError(f"{name}() takes a list of Values or numbers, got {type(values).__name__}") from None
    data = [v.data if type(v) is Value else v for v in entries]
    # Fast path: Values' data and float constants are all floats. (A set of the types is built at C speed.)
    if set(map(type, data)) <= _FLOATS_ONLY:
        return entries, data
    for i, v in enumerate(entries):  # slow path: ints, numpy numbers, Value subclasses, or a wrong type
        if isinstance(v, Value):
            data[i] = v.data
        elif _is_number(v):
            entries[i] = data[i] = float(v)
        else:
            raise TypeError(f"{name}() takes Values or numbers, got {type(v).__name__}: {v!r}")
    return entries, data


def _values(entries: list) -> list[Value]:
    return [v for v in entries if type(v) is not float]


def sum(values: Iterable[Value | Number]) -> Value:  # noqa: A001 - autograd.sum, like torch.sum
    """Σ x_i;  d/dx_i = 1."""
    entries, data = _operands(values, "sum")
    return _node(builtins.sum(data), tuple(_values(entries)), ops.SUM, len(entries))


def mean(values: Iterable[Value | Number]) -> Value:
    """(1/n) Σ x_i;  d/dx_i = 1/n. The mean of nothing is nan, as in PyTorch."""
    entries, data = _operands(values, "mean")
    n = len(entries)
    return _node(builtins.sum(data) / n if n else math.nan, tuple(_values(entries)), ops.MEAN, n)


def dot(xs: Sequence[Value | Number], ws: Sequence[Value | Number]) -> Value:
    """Σ x_i·w_i;  d/dx_i = w_i, d/dw_i = x_i. Either side may hold plain numbers (constants).

    A neuron's weighted sum plus bias is one `dot`: dot(w + [b], x + [1.0]), the bias being a weight on a
    constant input of 1. The parents are the Value entries of xs, then those of ws.
    """
    left, left_data = _operands(xs, "dot")
    right, right_data = _operands(ws, "dot")
    if len(left) != len(right):
        raise ValueError(f"dot() needs two lists of the same length, got {len(left)} and {len(right)}")
    return _dot_node(left, left_data, right, right_data)


def _value_mask(entries: list) -> list[bool] | None:
    """Which entries are Values (not constants); None when all of them are, the common case."""
    mask = [type(v) is not float for v in entries]
    return None if all(mask) else mask


def _dot_node(left: list, left_data: list[float], right: list, right_data: list[float]) -> Value:
    # Both sides' numbers and Value masks are kept for backward, where d(x_i·w_i)/dx_i = w_i (ops.DotOp).
    data = builtins.sum(map(operator.mul, left_data, right_data))
    ctx = (left_data, right_data, _value_mask(left), _value_mask(right))
    return _node(data, (*_values(left), *_values(right)), ops.DOT, ctx)


def linear(x: Sequence[Value | Number], weight: Sequence[Sequence[Value | Number]],
           bias: Sequence[Value | Number] | None = None) -> list[Value]:  # fmt: skip
    """y_j = Σ_i w_ji·x_i + b_j for each row w_j of `weight`: a whole layer's weighted sums.

    Output j is exactly `dot(weight[j] + [bias[j]], x + [1.0])`, one node; computing them together reads the
    inputs' numbers once for all rows instead of once per row (the name and layout are PyTorch's F.linear).
    """
    xs, x_data = _operands(x, "linear")
    weight = list(weight)
    if bias is not None:
        biases = list(bias)
        if len(biases) != len(weight):
            raise ValueError(f"linear() got {len(weight)} weight rows but {len(biases)} biases")
        xs, x_data = xs + [1.0], x_data + [1.0]  # the bias is a weight on a constant input of 1
    x_values, x_mask = tuple(_values(xs)), _value_mask(xs)  # shared by every row
    outputs = []
    for j, row in enumerate(weight):
        if bias is not None:
            row = [*row, biases[j]]
        # The usual case: every weight is a Value (a parameter), and reading the numbers is all the checking
        # needed, since anything else has no .data (one pass over the row instead of two: this runs for every
        # neuron on every sample). Plain numbers, or anything wrong, take the general path, which checks each.
        try:
            w_data = [w.data for w in row]
            data = builtins.sum(map(operator.mul, w_data, x_data))
        except (AttributeError, TypeError):
            data = None
        if len(row) != len(xs):
            extra = bias is not None
            raise ValueError(f"linear(): weight row {j} has {len(row) - extra} entries, the input {len(xs) - extra}")
        if data is None:
            w, w_data = _operands(row, "linear")
            outputs.append(_dot_node(w, w_data, xs, x_data))
        else:
            outputs.append(_node(data, (*row, *x_values), ops.DOT, (w_data, x_data, None, x_mask)))
    return outputs


def logsumexp(values: Iterable[Value | Number]) -> Value:
    """ln Σ e^x_i, computed as m + ln Σ e^(x_i - m) with m = max x (no overflow);  d/dx_i = softmax_i."""
    entries, data = _operands(values, "logsumexp")
    if not data:
        return _node(-math.inf, (), ops.LOGSUMEXP, 0)
    m, _, log_total = _shift_by_max(data)
    return _node(m + log_total, tuple(_values(entries)), ops.LOGSUMEXP, len(entries))


def _shift_by_max(data: list[float]) -> tuple[float, list[float], float]:
    """(m, [x - m], ln Σ e^(x - m)) with m = max x: the largest shifted term is e^0 = 1, so nothing overflows."""
    m = max(data)
    if not math.isfinite(m):
        m = 0.0  # all -inf, or some +inf: shifting would give inf - inf = nan; PyTorch shifts by 0 here
    shifted = [x - m for x in data]
    return m, shifted, ops.log(math.fsum(ops.exp(x) for x in shifted))


def softmax(values: Sequence[Value]) -> list[Value]:
    """s_i = e^x_i / Σ_j e^x_j, each output one node over all inputs;  ds_i/dx_j = s_i(δ_ij - s_j)."""
    inputs, shifted, log_total = _shifted_inputs(values, "softmax")
    probabilities = [ops.exp(x - log_total) for x in shifted]
    return [_node(p, inputs, ops.SOFTMAX, (i, probabilities)) for i, p in enumerate(probabilities)]


def log_softmax(values: Sequence[Value]) -> list[Value]:
    """x_i - ln Σ_j e^x_j (stable), each output one node over all inputs;  d/dx_j = δ_ij - softmax_j."""
    inputs, shifted, log_total = _shifted_inputs(values, "log_softmax")
    return [_node(x - log_total, inputs, ops.LOG_SOFTMAX, i) for i, x in enumerate(shifted)]


def _shifted_inputs(values: Sequence[Value], name: str) -> tuple[tuple[Value, ...], list[float], float]:
    """(the inputs, [x - max], ln Σ e^(x - max)): what softmax and log_softmax share."""
    entries, data = _operands(values, name)
    _all_values(entries, name)
    if not data:
        return (), [], 0.0
    _, shifted, log_total = _shift_by_max(data)
    return tuple(entries), shifted, log_total


def _all_values(entries: list, name: str) -> None:
    # Output i's rule indexes the inputs by position, so every input must be a node.
    for e in entries:
        if not isinstance(e, Value):
            raise TypeError(f"{name}() takes a list of Values; wrap plain numbers with Value(x)")
