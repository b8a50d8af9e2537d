"""gradcheck: compare the engine's gradients with central differences, the definition of a derivative."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autograd.mode import no_grad
from autograd.value import Number, Value, _is_number, grad


class GradcheckError(RuntimeError):
    """The gradient from backward and the one from central differences disagree."""


def gradcheck(fn: Callable[..., Value], inputs: Sequence[Value | Number], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:  # fmt: skip
    """Check d fn/dx_i ≈ (fn(x_i + eps) - fn(x_i - eps)) / 2eps for each input, to atol + rtol·|numeric|.

    fn takes the inputs as separate arguments and returns one Value. Returns True, or raises GradcheckError
    naming the worst input and both numbers (returns False instead with raise_exception=False)."""
    for name, tolerance in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not _is_number(tolerance) or not tolerance >= 0 or tolerance == float("inf"):
            raise ValueError(f"gradcheck() {name} must be a finite number >= 0, got {tolerance!r}")
    if eps == 0:
        raise ValueError("gradcheck() eps must be > 0: central differences divide by 2·eps")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value) and not _is_number(x):
            raise TypeError(f"gradcheck() inputs must be Values or numbers; input {i} is {type(x).__name__}")
    if not inputs:
        raise ValueError("gradcheck() needs at least one input")

    leaves = [Value(x.data, x.label) if isinstance(x, Value) else Value(x) for x in inputs]
    out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck() needs fn to return a Value, got {type(out).__name__}")
    analytic = [0.0 if g is None else g.data for g in grad(out, leaves, allow_unused=True)]
    worst = _worst(fn, leaves, analytic, eps, atol, rtol)
    if worst is None:
        return True
    if not raise_exception:
        return False
    _, i, a, numeric = worst
    label = f" ({leaves[i].label!r})" if leaves[i].label else ""
    raise GradcheckError(
        f"gradcheck failed for input {i}{label} at {leaves[i].data!r}: backward gives {a!r}, central "
        f"differences give {numeric!r} (allowed difference atol + rtol·|numeric| = "
        f"{atol + rtol * abs(numeric):.3g})"
    )


def _worst(fn: Callable[..., Value], leaves: list[Value], analytic: list[float], eps: float, atol: float,
           rtol: float) -> tuple[float, int, float, float] | None:  # fmt: skip
    """(excess over the tolerance, input index, analytic, numeric) of the input furthest out, None if none is."""

    def at(i: int, shift: float) -> float:
        with no_grad():
            return fn(*[Value(x.data + (shift if j == i else 0.0)) for j, x in enumerate(leaves)]).data

    worst = None
    for i, a in enumerate(analytic):
        numeric = (at(i, eps) - at(i, -eps)) / (2 * eps)
        excess = abs(a - numeric) - (atol + rtol * abs(numeric))
        if not excess <= 0 and (worst is None or not excess <= worst[0]):  # `not <=` also catches nan
            worst = (excess, i, a, numeric)
    return worst
