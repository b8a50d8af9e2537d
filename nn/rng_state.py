"""A random.Random's state as plain JSON and back, so dropout masks and shuffles resume exactly after a restart.

Python's Mersenne Twister state is (3, 625 ints, gauss_next): 624 words of 32 bits, the position among them
(0..624), and the second normal deviate `gauss()` keeps for its next call (None, or a float). As JSON:

    {"version": 3, "internal": [w0, ..., w623, position], "gauss_next": null}

No pickle: a state file is read as numbers, never run as code.
"""

from __future__ import annotations

import math
import random
import reprlib
from typing import Any

_WORDS = 624  # the Mersenne Twister's state words; the 625th int is the position among them


def get_rng_state(rng: random.Random) -> dict[str, Any]:
    """rng.getstate() as a JSON-ready dict: {"version": 3, "internal": [625 ints], "gauss_next": float | None}."""
    version, internal, gauss_next = rng.getstate()
    return {"version": version, "internal": list(internal), "gauss_next": gauss_next}


def set_rng_state(rng: random.Random, state: Any, name: str = "rng_state") -> None:
    """rng.setstate(state) for a dict made by get_rng_state; ValueError naming `name` if it is not one.

    Everything is checked first, so on any error rng is left as it was. (random.Random.setstate itself would
    accept words of more than 32 bits and silently cut them.)
    """
    rng.setstate(_checked(state, name))


def _checked(state: Any, name: str) -> tuple[int, tuple[int, ...], float | None]:
    if not isinstance(state, dict) or set(state) != {"version", "internal", "gauss_next"}:
        got = reprlib.repr(sorted(state, key=repr)) if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{name} must be a dict with keys 'version', 'internal', 'gauss_next', got {got}")
    version, internal, gauss_next = state["version"], state["internal"], state["gauss_next"]
    if type(version) is not int or version != 3:
        raise ValueError(f"{name}: unknown random state version {reprlib.repr(version)}; "
                         f"Python's random uses version 3")  # fmt: skip
    if not isinstance(internal, (list, tuple)) or len(internal) != _WORDS + 1:
        got = f"{len(internal)} entries" if isinstance(internal, (list, tuple)) else type(internal).__name__
        raise ValueError(f"{name}: 'internal' must be a list of {_WORDS + 1} ints, got {got}")
    for i, word in enumerate(internal[:_WORDS]):
        if type(word) is not int or not 0 <= word < 2**32:
            raise ValueError(f"{name}: internal[{i}] must be an int in [0, 2**32), got {reprlib.repr(word)}")
    position = internal[_WORDS]
    if type(position) is not int or not 0 <= position <= _WORDS:
        raise ValueError(f"{name}: internal[{_WORDS}] (the position) must be an int in [0, {_WORDS}], "
                         f"got {reprlib.repr(position)}")  # fmt: skip
    if gauss_next is not None and (type(gauss_next) is not float or not math.isfinite(gauss_next)):
        raise ValueError(f"{name}: 'gauss_next' must be null or a finite float, got {reprlib.repr(gauss_next)}")
    return 3, tuple(internal), gauss_next
