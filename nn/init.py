"""Initialization: where the weights start, scaled so that signals neither explode nor vanish."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from autograd import Value

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
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope * slope))
    if nonlinearity not in _GAINS:
        choices = ", ".join(sorted([*_GAINS, "leaky_relu"]))
        raise ValueError(f"no gain for nonlinearity {nonlinearity!r}; choose one of {choices}")
    return _GAINS[nonlinearity]


def _fill_uniform(values: Sequence[Value], bound: float, rng: random.Random) -> None:
    for v in values:
        v.data = rng.uniform(-bound, bound)


def uniform(values: Sequence[Value], a: float = -1.0, b: float = 1.0, rng: random.Random | None = None) -> None:
    """w ~ U(a, b); micrograd's choice is U(-1, 1), whatever the layer's size."""
    rng = rng or random.Random()
    for v in values:
        v.data = rng.uniform(a, b)


def xavier_uniform(values: Sequence[Value], fan_in: int, fan_out: int, gain: float = 1.0,
                   rng: random.Random | None = None) -> None:  # fmt: skip
    """w ~ U(-bound, bound), bound = gain·√(6 / (fan_in + fan_out)) (Glorot & Bengio: keeps variance both ways)."""
    _fill_uniform(values, gain * math.sqrt(6.0 / (fan_in + fan_out)), rng or random.Random())


def kaiming_uniform(values: Sequence[Value], fan_in: int, nonlinearity: str = "relu",
                    rng: random.Random | None = None) -> None:  # fmt: skip
    """w ~ U(-bound, bound), bound = gain·√(3 / fan_in) (He et al.: keeps the forward variance through ReLUs)."""
    _fill_uniform(values, calculate_gain(nonlinearity) * math.sqrt(3.0 / fan_in), rng or random.Random())


INITS = ("kaiming", "xavier", "uniform")
