"""Losses: one number saying how wrong the predictions are, made of Values so that it can be backpropagated.

Each loss first computes one loss per sample, then reduces them as PyTorch does: ``reduction="mean"`` (the
default) is ONE `autograd.mean` node over the per-sample losses, ``"sum"`` one `autograd.sum` node, and
``"none"`` returns the per-sample losses as a list. Names, arguments and values follow
``torch.nn.functional`` in float64.

    >>> from autograd import Value
    >>> from nn.functional import mse_loss
    >>> predictions = [Value(0.5), Value(2.0)]
    >>> loss = mse_loss(predictions, [1.0, 2.0])     # ((0.5 - 1)² + (2 - 2)²) / 2
    >>> loss.data
    0.125
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Literal, TypeGuard, overload

import autograd
from autograd import Value

__all__ = [
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "l1_penalty",
    "l2_penalty",
]

Number = int | float
Scalar = Value | Number
Scalars = Scalar | Sequence[Scalar]
Logits = Sequence[Sequence[Scalar]] | Sequence[Scalar]  # rows of logits (one per class), or a single row

REDUCTIONS = ("mean", "sum", "none")
# "mean" and "sum" give one Value. The @overload stubs before each loss say so to a type checker, so that
# `loss(...).backward()` type-checks; "none" gives the per-sample losses (one Value for a single sample).
Reduced = Literal["mean", "sum"]

# PyTorch's binary_cross_entropy clamps each log term at -100, so p = 0 or 1 gives a finite loss, and its
# backward divides by max(p(1 - p), EPSILON), where EPSILON is the float32 number nearest 1e-12.
LOG_CLAMP = -100.0
BCE_EPSILON = 9.999999960041972e-13


# ---------------------------------------------------------------------------------------------------------
# Checking and shaping the arguments
# ---------------------------------------------------------------------------------------------------------


def _is_number(x: object) -> bool:
    return type(x) is float or (isinstance(x, numbers.Real) and not isinstance(x, bool))  # a float: no ABC check


def _check_reduction(reduction: object) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _scalars(xs: object, what: str) -> tuple[list[Scalar], bool]:
    """(xs as a list, True if xs was a single Value or number). Entries must be Values or real numbers."""
    single = isinstance(xs, Value) or _is_number(xs)
    items = [xs] if single else xs
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(f"{what} must be a Value, a number, or a list of them, got {type(xs).__name__}")
    items = list(items)
    for x in items:
        if not (isinstance(x, Value) or _is_number(x)):
            raise TypeError(f"{what} must hold Values or numbers, got {type(x).__name__}: {x!r}")
    return items, single


def _pair(input: Scalars, target: Scalars) -> tuple[list[Value], list[Scalar], bool]:
    """Predictions as Values (numbers become leaves) and targets, checked non-empty and of equal length."""
    inputs, single = _scalars(input, "input")
    targets, _ = _scalars(target, "target")
    if not inputs:
        raise ValueError("input is empty: a loss needs at least one prediction")
    if len(inputs) != len(targets):
        raise ValueError(f"input and target must have the same length, got {len(inputs)} and {len(targets)}")
    values = [x if isinstance(x, Value) else Value(x) for x in inputs]
    targets = [float(t) if _is_number(t) else t for t in targets]
    return values, targets, single


def _reduce(losses: list[Value], reduction: str, single: bool = False) -> Value | list[Value]:
    """One node over the per-sample losses ("mean", "sum"), or the losses themselves ("none")."""
    if reduction == "none":
        return losses[0] if single else losses
    return autograd.mean(losses) if reduction == "mean" else autograd.sum(losses)


def _data(x: Scalar) -> float:
    return x.data if isinstance(x, Value) else x


# ---------------------------------------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------------------------------------


@overload
def mse_loss(input: Scalars, target: Scalars, reduction: Reduced = "mean") -> Value: ...
@overload
def mse_loss(input: Scalars, target: Scalars, reduction: str) -> Value | list[Value]: ...
def mse_loss(input: Scalars, target: Scalars, reduction: str = "mean") -> Value | list[Value]:
    """ℓ_i = (x_i - y_i)², reduced by mean (default), sum or none. Targets may be Values (they learn too)."""
    _check_reduction(reduction)
    inputs, targets, single = _pair(input, target)
    return _reduce([(x - y) ** 2 for x, y in zip(inputs, targets)], reduction, single)


# ---------------------------------------------------------------------------------------------------------
# Two classes: probabilities or logits
# ---------------------------------------------------------------------------------------------------------


@overload
def binary_cross_entropy(input: Scalars, target: Scalars, reduction: Reduced = "mean") -> Value: ...
@overload
def binary_cross_entropy(input: Scalars, target: Scalars, reduction: str) -> Value | list[Value]: ...
def binary_cross_entropy(input: Scalars, target: Scalars, reduction: str = "mean") -> Value | list[Value]:
    """ℓ_i = -(y_i·max(ln p_i, -100) + (1 - y_i)·max(ln(1 - p_i), -100)), for probabilities p_i in [0, 1].

    Like PyTorch, the logs are clamped at -100 so that p = 0 or p = 1 gives a finite loss, and the gradient
    with respect to p is (p - y) / max(p(1 - p), 1e-12). For outputs of a sigmoid prefer
    `binary_cross_entropy_with_logits`, which never needs clamping.
    """
    _check_reduction(reduction)
    probabilities, targets, single = _pair(input, target)
    for p in probabilities:
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(f"binary_cross_entropy: input must be probabilities in [0, 1], got {p.data!r}")
    for y in targets:
        if not 0.0 <= _data(y) <= 1.0:
            raise ValueError(f"binary_cross_entropy: target must be in [0, 1], got {_data(y)!r}")
    return _reduce([_bce(p, y) for p, y in zip(probabilities, targets)], reduction, single)


def _bce(p: Value, y: Scalar) -> Value:
    """One sample of binary cross-entropy, written as PyTorch computes it: (y - 1)·ln(1 - p) - y·ln p."""
    pd = p.data
    if pd * (1.0 - pd) >= BCE_EPSILON:
        # Away from 0 and 1 the loss is the plain formula and backprop gives its exact derivative.
        return (y - 1.0) * (-p).log1p() - y * p.log()
    # Within 1e-12 of 0 or 1, PyTorch's gradient is (p - y)/1e-12 (its backward clamps the denominator p(1-p))
    # which is not the derivative of the clamped value. We take the value from the clamped logs as constants
    # (their weights y and 1 - y still give the target its gradient) and add (p - p.data)·k: a term that is
    # exactly 0 but whose derivative with respect to p is k, PyTorch's gradient.
    log_p = max(math.log(pd), LOG_CLAMP) if pd > 0 else LOG_CLAMP
    log_1mp = max(math.log1p(-pd), LOG_CLAMP) if pd < 1 else LOG_CLAMP
    slope = (pd - _data(y)) / BCE_EPSILON
    return (y - 1.0) * log_1mp - y * log_p + (p - pd) * slope


@overload
def binary_cross_entropy_with_logits(input: Scalars, target: Scalars, reduction: Reduced = "mean") -> Value: ...
@overload
def binary_cross_entropy_with_logits(input: Scalars, target: Scalars, reduction: str) -> Value | list[Value]: ...
def binary_cross_entropy_with_logits(input: Scalars, target: Scalars, reduction: str = "mean") -> Value | list[Value]:
    """ℓ_i = max(x_i, 0) - x_i·y_i + ln(1 + e^-|x_i|): binary cross-entropy of σ(x_i), stable for any logit.

    Never exponentiates a positive number, so logits of ±800 give exact losses (not inf or nan); the
    gradient is σ(x) - y.
    """
    _check_reduction(reduction)
    logits, targets, single = _pair(input, target)
    return _reduce([_bce_logit(x, y) for x, y in zip(logits, targets)], reduction, single)


def _bce_logit(x: Value, y: Scalar) -> Value:
    """One sample: x(1 - y) + ln(1 + e^-x) for x >= 0, -x·y + ln(1 + e^x) for x < 0 (the same function)."""
    # softplus(z) = ln(1 + e^z) is computed here only for z <= 0, where it is exact and cannot overflow.
    if x.data >= 0:
        return x * (1.0 - y) + (-x).softplus()
    return x.softplus() - x * y


# ---------------------------------------------------------------------------------------------------------
# Many classes
# ---------------------------------------------------------------------------------------------------------


@overload
def cross_entropy(logits: Logits, targets: Sequence[int] | int, reduction: Reduced = "mean") -> Value: ...
@overload
def cross_entropy(logits: Logits, targets: Sequence[int] | int, reduction: str) -> Value | list[Value]: ...
def cross_entropy(logits: Logits, targets: Sequence[int] | int, reduction: str = "mean") -> Value | list[Value]:
    """ℓ_i = logsumexp(z_i) - z_i[t_i] = -ln softmax(z_i)[t_i], for rows of logits z_i and class indices t_i.

    `logits` is a list of rows (one logit per class) and `targets` a list of ints; a single row with a
    single int target is accepted too, as PyTorch accepts a 1-D input with a 0-D target. Each row's loss
    is two nodes: the engine's stable one-node `logsumexp`, minus the target's logit.
    """
    _check_reduction(reduction)
    single = _is_index(targets)
    if single:
        rows, indices = [_row(logits, "logits")], [targets]
    else:
        if isinstance(targets, (str, bytes)) or not isinstance(targets, Iterable):
            raise TypeError(f"targets must be a list of class indices (ints), got {type(targets).__name__}")
        indices = list(targets)
        if isinstance(logits, Value) or _is_number(logits) or not isinstance(logits, Iterable):
            raise TypeError(f"logits must be a list of rows of Values, got {type(logits).__name__}")
        rows = [_row(row, f"logits[{i}]") for i, row in enumerate(logits)]
    if not rows:
        raise ValueError("logits is empty: cross_entropy needs at least one row")
    if len(rows) != len(indices):
        raise ValueError(f"logits and targets must have the same length, got {len(rows)} and {len(indices)}")
    classes = len(rows[0])
    labels = []  # the targets as plain ints (NumPy's integers are Integral, not int)
    for i, (row, t) in enumerate(zip(rows, indices)):
        if len(row) != classes:
            raise ValueError(f"each row of logits needs {classes} entries (one per class); row {i} has {len(row)}")
        if not _is_index(t):
            raise ValueError(f"targets must be class indices (ints), got {t!r} at position {i}")
        label = int(t)
        if not 0 <= label < classes:
            raise ValueError(f"target {t} at position {i} is out of range: classes are 0 to {classes - 1}")
        labels.append(label)
    losses = [autograd.logsumexp(row) - row[t] for row, t in zip(rows, labels)]
    return _reduce(losses, reduction, single)


def _is_index(t: object) -> TypeGuard[numbers.Integral]:
    """An integer, Python's or NumPy's, but not a bool: what a class index may be."""
    return isinstance(t, numbers.Integral) and not isinstance(t, bool)


def _row(row: object, what: str) -> list[Scalar]:
    if isinstance(row, Value) or _is_number(row):
        raise TypeError(f"{what} must be a list of logits (one per class), got a single {type(row).__name__}")
    items, _ = _scalars(row, what)
    if not items:
        raise ValueError(f"{what} is empty: a row needs one logit per class")
    return items


# ---------------------------------------------------------------------------------------------------------
# Margins (micrograd's demo loss)
# ---------------------------------------------------------------------------------------------------------


@overload
def hinge_loss(scores: Scalars, targets: Scalars, reduction: Reduced = "mean") -> Value: ...
@overload
def hinge_loss(scores: Scalars, targets: Scalars, reduction: str) -> Value | list[Value]: ...
def hinge_loss(scores: Scalars, targets: Scalars, reduction: str = "mean") -> Value | list[Value]:
    """ℓ_i = max(0, 1 - y_i·s_i) for targets y_i = ±1: zero once a score is on the right side by a margin 1.

    micrograd's demo loss (no direct PyTorch twin: it is ``torch.relu(1 - y * s).mean()``). At the kink
    (y·s = 1 exactly) the gradient is 0, as relu's is.
    """
    _check_reduction(reduction)
    scores, targets, single = _pair(scores, targets)
    for y in targets:
        if isinstance(y, Value) or y not in (1.0, -1.0):
            raise ValueError(f"hinge_loss: targets must be +1 or -1 (numbers), got {y!r}")
    # 1 - y·s is 1 - s for y = +1 and 1 + s for y = -1: one node, then relu.
    losses = [(1.0 - s if y > 0 else 1.0 + s).relu() for s, y in zip(scores, targets)]
    return _reduce(losses, reduction, single)


# ---------------------------------------------------------------------------------------------------------
# Weight penalties (regularization), added to a loss: loss + alpha * l2_penalty(model.parameters())
# ---------------------------------------------------------------------------------------------------------


def l1_penalty(params: Iterable[Value]) -> Value:
    """Σ |p|;  d/dp = sign(p). Pushes weights to exactly zero (sparse models)."""
    return autograd.sum([abs(p) for p in _params(params)])


def l2_penalty(params: Iterable[Value]) -> Value:
    """Σ p²;  d/dp = 2p. Keeps weights small; one `dot` node (the parameters dotted with themselves)."""
    ps = _params(params)
    return autograd.dot(ps, ps)


def _params(params: Iterable[Value]) -> list[Value]:
    if isinstance(params, Value) or not isinstance(params, Iterable):
        kind = type(params).__name__
        raise TypeError(f"params must be an iterable of Values (e.g. model.parameters()), got {kind}")
    ps = list(params)
    for p in ps:
        if not isinstance(p, Value):
            raise TypeError(f"params must hold Values, got {type(p).__name__}: {p!r}")
    return ps
