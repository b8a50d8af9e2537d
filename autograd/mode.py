"""Grad mode and anomaly mode: two switches, each kept per thread like PyTorch's."""

from __future__ import annotations

import threading
from contextlib import ContextDecorator


class _Mode(threading.local):
    """The switches of the current thread; a new thread starts from these class defaults.

    Both live in one tuple, (grad_enabled, anomaly), because every new node reads them and a thread-local
    read costs about as much as the rest of making the node: one read instead of two.
    """

    switches: tuple[bool, bool] = (True, False)


_mode = _Mode()
_GRAD, _ANOMALY = 0, 1  # positions in _mode.switches

# How many mode blocks are open right now, in all threads together. While it is 0, every thread's switches
# are the defaults (recording on, no anomaly checks), so making a node need not read the thread-local at all
# (see value._node).
open_blocks = 0
_open_blocks_lock = threading.Lock()


def is_grad_enabled() -> bool:
    """True when new operations record their parents (the default), False inside `no_grad()`."""
    return _mode.switches[_GRAD]


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return _mode.switches[_ANOMALY]


class _Switch(ContextDecorator):
    """Set one switch of this thread for a `with` block or a decorated function, then restore it."""

    _position = _GRAD
    _value = False

    def __enter__(self) -> _Switch:
        global open_blocks
        with _open_blocks_lock:
            open_blocks += 1  # before the switch changes: a node made in this thread must see it
        self._previous = _mode.switches[self._position]
        self._set(self._value)
        return self

    def __exit__(self, *exc_info: object) -> None:
        global open_blocks
        self._set(self._previous)
        with _open_blocks_lock:
            open_blocks -= 1

    def _set(self, value: bool) -> None:
        switches = list(_mode.switches)
        switches[self._position] = value
        _mode.switches = (switches[_GRAD], switches[_ANOMALY])

    def _recreate_cm(self) -> _Switch:
        # A decorated function may run in several threads at once, or call itself: give each call its
        # own instance, so that each remembers its own previous state.
        return type(self)()


class no_grad(_Switch):
    """Operations inside record no parents: results are leaves, nothing to backpropagate.

    Use as `with no_grad():` or as a decorator `@no_grad()`. Thread-local, like `torch.no_grad`.
    """

    _position, _value = _GRAD, False


class enable_grad(_Switch):
    """Turn graph recording back on inside a `no_grad()` block (context manager or decorator)."""

    _position, _value = _GRAD, True


class detect_anomaly(_Switch):
    """Raise FloatingPointError at the first operation whose result or gradient is not finite.

    Slower: every new node and every backward step is checked. Use as `with detect_anomaly():`.
    """

    _position, _value = _ANOMALY, True
