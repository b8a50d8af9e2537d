"""Grad mode and anomaly mode: two switches, each kept per thread like PyTorch's."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ContextDecorator
from typing import NoReturn


class _Mode(threading.local):
    """This thread's switches (grad_enabled, anomaly), from these defaults in a new thread: one tuple, as every
    new node reads both, and a thread-local read costs about a sixth of making the node."""

    switches: tuple[bool, bool] = (True, False)
    # While autograd.compile traces a function in this thread: its refusal, called with what the function did
    # when it looked at a number (the program it writes could not follow a branch chosen by that number).
    refuse: Callable[[str], NoReturn] | None = None


_mode = _Mode()


def is_grad_enabled() -> bool:
    """True when new operations record their inputs (the default), False inside `no_grad()`."""
    return _mode.switches[0]


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return _mode.switches[1]


class _Switch(ContextDecorator):
    """Set one switch of this thread (0 grad_enabled, 1 anomaly) for a `with` block or a decorated function."""

    _position, _value = 0, False

    def __enter__(self) -> _Switch:
        self._previous = _mode.switches[self._position]
        self._set(self._value)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._set(self._previous)

    def _set(self, value: bool) -> None:
        grad_enabled, anomaly = _mode.switches
        _mode.switches = (value, anomaly) if self._position == 0 else (grad_enabled, value)

    def _recreate_cm(self) -> _Switch:
        # A decorated function may run in threads at once, or recurse: each call its own previous state.
        return type(self)()


class no_grad(_Switch):
    """Operations inside record no inputs (results are leaves): `with no_grad():` or `@no_grad()`, per thread,
    like `torch.no_grad`."""

    _position, _value = 0, False


class enable_grad(_Switch):
    """Turn graph recording back on inside a `no_grad()` block (context manager or decorator)."""

    _position, _value = 0, True


class detect_anomaly(_Switch):
    """Raise FloatingPointError at the first operation whose result or gradient is not finite (slower: every
    node and backward step is checked). Use as `with detect_anomaly():`."""

    _position, _value = 1, True
