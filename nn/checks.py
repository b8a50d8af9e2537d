"""Argument checks shared across nn: the error a Python user expects, naming the argument, what was received
and what is allowed."""

from __future__ import annotations

import random
from typing import Any


def check_int(name: str, value: Any, minimum: int) -> int:
    """value, if it is an int (not a bool) >= minimum; else TypeError or ValueError saying so."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int >= {minimum}, got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """value, if it is True or False; else TypeError."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r} of type {type(value).__name__}")
    return value


def generator(seed: Any) -> random.Random:
    """A random.Random of our own, seeded (reproducible) or not: the global `random` state is never touched."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int or None, got {seed!r} of type {type(seed).__name__}")
    return random.Random(seed)
