"""Argument checks shared across nn: the error a Python user expects, naming the argument, what was received
and what is allowed.

A number is what `numbers` says it is, so NumPy's scalars (np.int64, np.float32, ...) pass wherever a Python
int or float does, as `Value(np.float32(2))` does, without nn importing NumPy. A bool is never a number here:
`nin=True` or `p=False` is a typo, not a 1 or a 0.
"""

from __future__ import annotations

import math
import numbers
import random
import reprlib
from typing import Any


def describe(value: Any) -> str:
    """What a message says was received: a short repr (reprlib's: a huge list or a deep one is cut) and the type."""
    return f"{reprlib.repr(value)} of type {type(value).__name__}"


def is_real(value: Any) -> bool:
    """True for a real number (int, float, or NumPy's), False for a bool and for anything else."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# NumPy's dtype kinds whose entries are real numbers: float, signed and unsigned int (bool 'b' and complex 'c'
# are not), and object ('O'), an array of Python objects that the caller checks one by one as it would a list's.
REAL_KINDS = "fiuO"


def from_array(value: Any, name: str) -> Any:
    """A NumPy array (or NumPy scalar) of real numbers as `value.tolist()`: nested lists of Python numbers,
    the same numbers exactly (a float32 widens to a float without rounding); anything else as it came.

    Duck-typed, so nn never imports NumPy: an array is an object with `tolist()` and a `dtype` with a `kind`.
    An array of bools, complex numbers or strings is a TypeError naming its dtype and what is allowed.
    """
    if type(value) is list or type(value) is tuple:  # the common case, without a getattr that fails
        return value
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if not isinstance(kind, str) or not callable(getattr(value, "tolist", None)):
        return value
    if kind not in REAL_KINDS:
        what = {"b": "bools", "c": "complex numbers", "U": "strings", "S": "bytes"}.get(kind, "non-real entries")
        raise TypeError(f"{name} must hold real numbers (a NumPy array of a float or int dtype, or a list of "
                        f"numbers), got an array of dtype {value.dtype} ({what})")  # fmt: skip
    return value.tolist()


def is_finite_real(value: Any) -> bool:
    """True for a real number (not a bool) that a float holds finitely: not nan, inf, or an int like 10**400."""
    if not is_real(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # math.isfinite converts an int to a float first
        return False


def check_int(name: str, value: Any, minimum: int) -> int:
    """int(value), if it is an integer (int or NumPy's, not a bool) >= minimum; else TypeError or ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


def check_real(name: str, value: Any, allowed: str = "a finite number") -> float:
    """float(value), if it is a finite real number (not a bool); else TypeError or ValueError quoting `allowed`.

    Callers check their own range afterwards and raise with the same `allowed` text.
    """
    if not is_real(value):
        raise TypeError(f"{name} must be {allowed}, got {describe(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float: 10**400
        raise ValueError(f"{name} must be {allowed}, got an integer too large for a float") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be {allowed}, got {number}")
    return number


def check_bool(name: str, value: Any) -> bool:
    """value, if it is True or False; else TypeError."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return value


def check_seed(seed: Any) -> int | None:
    """The seed as a plain int (or None); else TypeError. A float seed is refused: 1.5 and 1.0 would differ."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int or None, got {describe(seed)}")
    return int(seed)


def check_rng(rng: Any) -> random.Random | None:
    """rng, if it is a random.Random (or None); else TypeError."""
    if rng is not None and not isinstance(rng, random.Random):
        raise TypeError(f"rng must be a random.Random or None, got {describe(rng)}")
    return rng


def generator(seed: Any) -> random.Random:
    """A random.Random of our own, seeded (reproducible) or not: the global `random` state is never touched."""
    return random.Random(check_seed(seed))
