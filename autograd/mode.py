"""Grad mode and anomaly mode: two switches, each kept per thread (and asyncio task) like PyTorch's."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ContextDecorator
from contextvars import ContextVar
from typing import NoReturn

# This thread's switches (grad_enabled, anomaly): one tuple, as every new node reads both. A context variable is
# per thread as a threading.local is (a new thread starts from the defaults), and per asyncio task as well.
_switches: ContextVar[tuple[bool, bool]] = ContextVar("switches", default=(True, False))
# While autograd.compile traces in this thread: what a Value calls when the function looks at a number.
_refusal: ContextVar[Callable[[str], NoReturn] | None] = ContextVar("refusal", default=None)


def is_grad_enabled() -> bool:
    """True when new operations record their inputs (the default), False inside `no_grad()`."""
    return _switches.get()[0]


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return _switches.get()[1]


class _Switch(ContextDecorator):
    """Set one switch of this thread (0 grad_enabled, 1 anomaly) for a `with` block or a decorated function."""

    _position, _value = 0, False

    def __enter__(self) -> _Switch:
        self._previous = _switches.get()[self._position]
        self._set(self._value)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._set(self._previous)

    def _set(self, value: bool) -> None:
        grad_enabled, anomaly = _switches.get()
        _switches.set((value, anomaly) if self._position == 0 else (grad_enabled, value))

    def _recreate_cm(self) -> _Switch:
        # A decorated function may run in threads at once, or recurse: each call its own previous state.
        return type(self)()


class no_grad(_Switch):
    """Operations inside record no inputs (results are leaves), per thread: `with no_grad():` or `@no_grad()`."""

    _position, _value = 0, False


class enable_grad(_Switch):
    """Turn graph recording back on inside a `no_grad()` block (context manager or decorator)."""

    _position, _value = 0, True


class detect_anomaly(_Switch):
    """Raise FloatingPointError at the first operation whose result or gradient is not finite (slower: every
    node and backward step is checked). Use as `with detect_anomaly():`."""

    _position, _value = 1, True
