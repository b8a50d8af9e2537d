"""Initialization: where the weights start, scaled so that signals neither explode nor vanish.

Every function checks its arguments before it writes a weight: a nan bound or gain, a > b, a fan of 0 or
less, or an rng that is not a random.Random is a ValueError or TypeError naming it, and no weight changes.
"""

from __future__ import annotations

import math
import random
import reprlib
from collections.abc import Sequence

from autograd import Value
from nn.checks import check_int, check_real, check_rng, describe

_GAINS = {
    "linear": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    # PyTorch defines no gain for ELU; ReLU's is the usual choice, as both are linear above zero.
    "elu": math.sqrt(2.0),
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain: 1 (linear, sigmoid), 5/3 (tanh), √2 (relu), √(2/(1+a²)) (leaky_relu)."""
    if not isinstance(nonlinearity, str):
        raise TypeError(f"nonlinearity must be a name such as 'relu', got {type(nonlinearity).__name__}")
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else check_real("param (the leaky_relu slope)", param)
        return math.sqrt(2.0 / (1.0 + slope * slope))
    if nonlinearity not in _GAINS:
        choices = ", ".join(sorted([*_GAINS, "leaky_relu"]))
        raise ValueError(f"no gain for nonlinearity {reprlib.repr(nonlinearity)}; choose one of {choices}")
    return _GAINS[nonlinearity]


def _weights(values: Sequence[Value]) -> list[Value]:
    """values as a list of Values, or a TypeError: a weight to fill must be a Value (its .data is written)."""
    if isinstance(values, Value) or not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
        raise TypeError(f"values must be a list of Values to fill, got {type(values).__name__}")
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"values[{i}] must be a Value, got {describe(v)}")
    return list(values)


def _fill_uniform(values: list[Value], low: float, high: float, rng: random.Random | None) -> None:
    rng = rng or random.Random()
    for v in values:
        v.data = rng.uniform(low, high)


def uniform(values: Sequence[Value], a: float = -1.0, b: float = 1.0, rng: random.Random | None = None) -> None:
    """w ~ U(a, b), finite a <= b; micrograd's choice is U(-1, 1), whatever the layer's size."""
    weights, rng = _weights(values), check_rng(rng)
    a = check_real("a", a, "a finite number (the lower bound)")
    b = check_real("b", b, "a finite number (the upper bound)")
    if a > b:
        raise ValueError(f"uniform needs a <= b, got a={a}, b={b}")  # torch: "expects ... from <= to"
    _fill_uniform(weights, a, b, rng)


def _gain(gain: float) -> float:
    gain = check_real("gain", gain, "a finite number >= 0")
    if gain < 0:
        raise ValueError(f"gain must be a finite number >= 0, got {gain}")
    return gain


def xavier_uniform(values: Sequence[Value], fan_in: int, fan_out: int, gain: float = 1.0,
                   rng: random.Random | None = None) -> None:  # fmt: skip
    """w ~ U(-bound, bound), bound = gain·√(6 / (fan_in + fan_out)) (Glorot & Bengio: keeps variance both ways)."""
    weights, rng = _weights(values), check_rng(rng)
    fan_in, fan_out = check_int("fan_in", fan_in, 1), check_int("fan_out", fan_out, 1)
    bound = _gain(gain) * math.sqrt(6.0 / (fan_in + fan_out))
    _fill_uniform(weights, -bound, bound, rng)


def kaiming_uniform(values: Sequence[Value], fan_in: int, nonlinearity: str = "relu",
                    rng: random.Random | None = None) -> None:  # fmt: skip
    """w ~ U(-bound, bound), bound = gain·√(3 / fan_in) (He et al.: keeps the forward variance through ReLUs)."""
    weights, rng = _weights(values), check_rng(rng)
    fan_in = check_int("fan_in", fan_in, 1)
    bound = calculate_gain(nonlinearity) * math.sqrt(3.0 / fan_in)
    _fill_uniform(weights, -bound, bound, rng)


INITS = ("kaiming", "xavier", "uniform")
