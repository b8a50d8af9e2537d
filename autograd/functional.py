"""Functions of many values, each computed as ONE node whose parents are all of its inputs.

One node instead of a chain of binary ones: `sum` of n values is one node, not n - 1 additions, so the graph
stays small, the picture readable, and backward fast. Plain numbers in the inputs are constants.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Iterable, Sequence

from autograd import mode as _modes
from autograd import ops
from autograd.value import Number, Value, _is_number, _new, _node

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
    rule = ops.DotOp(left_data, _value_mask(left))
    return _node(data, (*_values(left), *_values(right)), rule, (right_data, _value_mask(right)))


def linear(x: Sequence[Value | Number] | Sequence[Sequence[Value | Number]],
           weight: Sequence[Sequence[Value | Number]],
           bias: Sequence[Value | Number] | None = None) -> list[Value] | list[list[Value]]:  # fmt: skip
    """y_j = Σ_i w_ji·x_i + b_j for each row w_j of `weight`: a whole layer's weighted sums.

    Output j is exactly `dot(weight[j] + [bias[j]], x + [1.0])`, one node (the name and layout are PyTorch's
    F.linear). `x` is one input, or a batch: a list of inputs, like F.linear's 2-D input, giving one list of
    outputs per input. The weights' numbers are read once per call, so a batch reads them once for all of its
    inputs, and each input's numbers are read once for all rows.
    """
    rows = _weight_rows(weight, bias)
    if is_batch(x):
        return [_linear_rows(xi, rows, bias is not None) for xi in x]
    return _linear_rows(x, rows, bias is not None)


def is_batch(x: object) -> bool:
    """True for a list of inputs (a batch: its first entry is itself a list), False for one input."""
    try:
        first = x[0]  # type: ignore[index]
    except (TypeError, LookupError):
        return False  # not a sequence (a single Value or number), or an empty one
    if type(first) is Value or type(first) is float:  # one input: the common case, decided without ABCs
        return False
    return isinstance(first, Iterable) and not isinstance(first, (str, bytes, Value))


# One side of a weighted sum, as linear keeps it: (its Value entries, the numbers of all of its entries, which
# entries are Values, or None when all of them are). A weight row is one side, an input the other.
_Side = tuple[tuple[Value, ...], list[float], list[bool] | None]


def _side(entries: Iterable[Value | Number]) -> _Side:
    # The usual case: every entry is a Value (a parameter, or the previous layer's output), and reading the
    # numbers is all the checking needed, since anything else has no .data: one pass instead of two. Plain
    # numbers take the checked path. So does an entry whose .data is not a number (a NumPy scalar's is a
    # buffer): its sums are not floats, which _linear_rows notices.
    entries = _as_tuple(entries)
    try:
        return entries, [v.data for v in entries], None
    except AttributeError:
        return _checked_side(entries)


def _as_tuple(entries: Iterable[Value | Number]) -> tuple:
    try:
        return tuple(entries)  # (a tuple is returned as it is, not copied)
    except TypeError:
        raise TypeError(f"linear() takes a list of Values or numbers, got {type(entries).__name__}") from None


def _checked_side(entries: Iterable[Value | Number]) -> _Side:
    entries, data = _operands(entries, "linear")
    return tuple(_values(entries)), data, _value_mask(entries)


def _input_side(x: tuple, with_bias: bool, checked: bool = False) -> _Side:
    """An input as linear keeps it, with a constant 1 after its entries when there is a bias (the weight on it)."""
    values, data, mask = _checked_side(x) if checked else _side(x)
    if not with_bias:
        return values, data, mask
    return values, [*data, 1.0], [*(mask or [True] * len(values)), False]


# A weight row as linear keeps it: its Value entries, and the rule of its dot nodes, which keeps the numbers
# and the mask of all of its entries (ops.DotOp): one for every input of a batch.
_Row = tuple[tuple[Value, ...], ops.DotOp]


def _row(side: _Side) -> _Row:
    values, data, mask = side
    return values, ops.DotOp(data, mask)


def _weight_rows(weight: Sequence[Sequence[Value | Number]], bias: Sequence[Value | Number] | None) -> list[_Row]:
    try:
        if bias is None:
            rows = [list(row) for row in weight]
        else:
            weight, biases = list(weight), list(bias)
            if len(biases) != len(weight):
                raise ValueError(f"linear() got {len(weight)} weight rows but {len(biases)} biases")
            rows = [[*row, b] for row, b in zip(weight, biases)]  # the bias is a weight on a constant input of 1
    except TypeError:
        raise TypeError("linear() takes weight as a list of rows, each a list of Values or numbers") from None
    for j, row in enumerate(rows):
        if len(row) != len(rows[0]):
            extra = bias is not None
            sizes = f"weight row {j} has {len(row) - extra} entries, row 0 has {len(rows[0]) - extra}"
            raise ValueError(f"linear(): {sizes}")
    return [_row(_side(row)) for row in rows]


def _linear_rows(x: Sequence[Value | Number], rows: list[_Row], with_bias: bool) -> list[Value]:
    x = _as_tuple(x)  # it is read again below if an entry turns out not to be a number
    x_values, x_data, x_mask = _input_side(x, with_bias)
    if rows and len(rows[0][1].first_data) != len(x_data):
        n = len(rows[0][1].first_data) - with_bias
        raise ValueError(f"linear(): the weight rows have {n} entries, the input {len(x_data) - with_bias}")
    x_ctx = (x_data, x_mask)  # the constant of every row's node for this input: one tuple for all of them
    outputs = []
    in_place = not _modes.open_blocks  # no mode block open anywhere: make the nodes here, as _relu_each does
    for j, (w_values, rule) in enumerate(rows):
        try:
            data = builtins.sum(map(operator.mul, rule.first_data, x_data))
        except TypeError:
            data = None
        if type(data) is not float:  # an entry's .data is not a number: check the sides entry by entry
            if rule.first_mask is None:  # (a row with a mask was checked already; its constants are not in w_values)
                rows[j] = w_values, rule = _row(_checked_side(w_values))
            x_values, x_data, x_mask = _input_side(x, with_bias, checked=True)
            x_ctx = (x_data, x_mask)
            data = builtins.sum(map(operator.mul, rule.first_data, x_data))
        if in_place:  # what _node does, without its call (5% of the forward pass of micrograd's demo network)
            out = _new(Value)
            out.data = data
            out.grad = 0.0
            out.label = ""
            out.parents = w_values + x_values
            out._op = rule
            out._ctx = x_ctx
        else:
            out = _node(data, w_values + x_values, rule, x_ctx)
        outputs.append(out)
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
