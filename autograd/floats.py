"""The functions the op table is written with: float math with PyTorch's float64 edges, which never raises.

`1/0 = inf`, `log(0) = -inf`, `log(-1) = nan`, `exp(1000) = inf`, where Python's `math` raises instead. Each
also takes a Value (calling its method, which records the graph) or a compiler symbol (which writes the call as
source code): so one derivative rule runs on floats, on Values and on symbols alike.
"""

from __future__ import annotations

import math
from typing import Any

inf, nan = math.inf, math.nan


def _is_float(x: Any) -> bool:
    """A plain number, which each function below computes; anything else calls its method of the same name."""
    return type(x) is float or type(x) is int


def exp(x: Any) -> Any:
    """e^x; overflow gives inf."""
    return _inf_on_overflow(math.exp, x) if _is_float(x) else x.exp()


def expm1(x: Any) -> Any:
    """e^x - 1, exact for tiny x; overflow gives inf."""
    return _inf_on_overflow(math.expm1, x) if _is_float(x) else x.expm1()


def _inf_on_overflow(f: Any, x: float) -> float:
    try:
        return f(x)
    except OverflowError:
        return inf


def log(x: Any) -> Any:
    """ln x; log(0) = -inf, log(negative) = nan."""
    return (math.log(x) if x > 0 else -inf if x == 0 else nan) if _is_float(x) else x.log()


def log1p(x: Any) -> Any:
    """ln(1 + x), exact for tiny x; log1p(-1) = -inf, below -1 nan."""
    return (math.log1p(x) if x > -1 else -inf if x == -1 else nan) if _is_float(x) else x.log1p()


def sqrt(x: Any) -> Any:
    """√x; sqrt(negative) = nan (and nan >= 0 is False: nan stays nan)."""
    return (math.sqrt(x) if x >= 0 else nan) if _is_float(x) else x.sqrt()


def sin(x: Any) -> Any:
    """sin x; sin(±inf) = nan."""
    return (math.sin(x) if math.isfinite(x) else nan) if _is_float(x) else x.sin()


def cos(x: Any) -> Any:
    """cos x; cos(±inf) = nan."""
    return (math.cos(x) if math.isfinite(x) else nan) if _is_float(x) else x.cos()


def tanh(x: Any) -> Any:
    """tanh x."""
    return math.tanh(x) if _is_float(x) else x.tanh()


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), never exponentiating a positive number (no overflow)."""
    if not _is_float(x):
        return x.sigmoid()
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)  # (nan lands here and stays nan)


def div(a: Any, b: Any) -> Any:
    """a / b with IEEE rules: 1/0 = inf, -1/0 = -inf, 1/-0.0 = -inf, 0/0 = nan."""
    if not (_is_float(a) and _is_float(b)) or b != 0:
        return a / b
    if a == 0 or a != a:  # 0/0 and nan/0
        return nan
    return math.copysign(inf, a) * math.copysign(1.0, b)


def pow(a: Any, b: Any) -> Any:  # noqa: A001 - the math name, as in torch.pow
    """a ** b with C99 rules: 0 ** -1 = inf, (-8) ** (1/3) = nan, overflow gives ±inf."""
    if not (_is_float(a) and _is_float(b)):
        return a**b
    odd = math.isfinite(b) and b == int(b) and int(b) % 2 == 1
    try:
        return math.pow(a, b)
    except OverflowError:  # |a ** b| too large: negative only for a negative base and an odd exponent
        return -inf if a < 0 and odd else inf
    except ValueError:  # zero to a negative power: ±inf, the sign kept only for an odd exponent
        return (math.copysign(inf, a) if odd else inf) if a == 0 else nan  # else a negative base, fractional b


def where(condition: Any, a: Any, b: Any) -> Any:
    """a if condition else b. On the compiler's symbols it writes the conditional expression out as code."""
    return (a if condition else b) if type(condition) is bool else condition.where(a, b)


def equal(a: Any, b: float) -> Any:
    """a == b on the numbers (a Value's own == compares identity, as nodes must)."""
    return a == b if _is_float(a) else a.equal(b) if hasattr(a, "equal") else a.data == b  # a symbol: `a == b`
