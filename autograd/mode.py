"""Grad mode and anomaly mode: two switches, each kept per thread like PyTorch's."""

from __future__ import annotations

import threading
import traceback
from contextlib import ContextDecorator


class _Mode(threading.local):
    """The switches of the current thread, (grad_enabled, anomaly); a new thread starts from these defaults.

    Both live in one tuple because every new node reads them, and a thread-local read costs about a sixth of
    making the node: one read instead of two.
    """

    switches: tuple[bool, bool] = (True, False)
    tracing: bool = False  # autograd.compile is tracing a function in this thread


class TracingError(TypeError):
    """A function being compiled looked at a number (a comparison, float(), .data): the compiled program,
    which repeats the traced operations, could not follow the branch that number chose."""


def refuse_while_tracing(what: str) -> None:
    """Raise TracingError naming the user's line when this thread is tracing a function for autograd.compile."""
    if not _mode.tracing:
        return
    frames = [f for f in traceback.extract_stack() if "/autograd/" not in f.filename.replace("\\", "/")]
    where = f" ({frames[-1].filename}, line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    raise TracingError(
        f"autograd.compile: the function {what} while it was traced{where}. The compiled program repeats the "
        "traced operations, so it cannot follow a branch chosen by a number: write it with ops (relu, abs, "
        "max as a Function) or run it eagerly"
    )


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
        # A decorated function may run in several threads at once, or call itself: give each call its
        # own instance, so that each remembers its own previous state.
        return type(self)()


class no_grad(_Switch):
    """Operations inside record no inputs: results are leaves, nothing to backpropagate.

    Use as `with no_grad():` or as a decorator `@no_grad()`. Thread-local, like `torch.no_grad`.
    """

    _position, _value = 0, False


class enable_grad(_Switch):
    """Turn graph recording back on inside a `no_grad()` block (context manager or decorator)."""

    _position, _value = 0, True


class detect_anomaly(_Switch):
    """Raise FloatingPointError at the first operation whose result or gradient is not finite.

    Slower: every new node and every backward step is checked. Use as `with detect_anomaly():`.
    """

    _position, _value = 1, True
