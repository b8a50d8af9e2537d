"""Grad mode and anomaly mode: two switches, each kept per thread like PyTorch's."""

from __future__ import annotations

import threading
from contextlib import ContextDecorator


class _Mode(threading.local):
    """The switches of the current thread; a new thread starts from these class defaults."""

    grad_enabled: bool = True
    anomaly: bool = False


_mode = _Mode()


def is_grad_enabled() -> bool:
    """True when new operations record their parents (the default), False inside `no_grad()`."""
    return _mode.grad_enabled


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return _mode.anomaly


class _Switch(ContextDecorator):
    """Set one switch of this thread for a `with` block or a decorated function, then restore it."""

    _name = ""
    _value = False

    def __enter__(self) -> _Switch:
        self._previous = getattr(_mode, self._name)
        setattr(_mode, self._name, self._value)
        return self

    def __exit__(self, *exc_info: object) -> None:
        setattr(_mode, self._name, self._previous)

    def _recreate_cm(self) -> _Switch:
        # A decorated function may run in several threads at once, or call itself: give each call its
        # own instance, so that each remembers its own previous state.
        return type(self)()


class no_grad(_Switch):
    """Operations inside record no parents: results are leaves, nothing to backpropagate.

    Use as `with no_grad():` or as a decorator `@no_grad()`. Thread-local, like `torch.no_grad`.
    """

    _name, _value = "grad_enabled", False


class enable_grad(_Switch):
    """Turn graph recording back on inside a `no_grad()` block (context manager or decorator)."""

    _name, _value = "grad_enabled", True


class detect_anomaly(_Switch):
    """Raise FloatingPointError at the first operation whose result or gradient is not finite.

    Slower: every new node and every backward step is checked. Use as `with detect_anomaly():`.
    """

    _name, _value = "anomaly", True
