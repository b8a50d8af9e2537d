"""Optimizers turn each parameter's gradient into an update; schedules change the learning rate over time.

Every update rule follows PyTorch's ``torch.optim`` step for step, so a parameter trained here and the same
parameter trained by PyTorch (float64) stay equal to rounding error. A parameter is a leaf ``autograd.Value``
(one no operation made: an input or a weight), listed once: its ``data`` is the number an update moves, and
its ``grad`` (d loss / d value) any real number, a Python float or a NumPy scalar alike.

Typical loop (the schedule is stepped after the optimizer, as in PyTorch)::

    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        optimizer.zero_grad()
        loss = ...
        loss.backward()
        optimizer.step()
        scheduler.step()
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Callable, Iterable
from typing import Any

from autograd import Value

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
]


# ---------------------------------------------------------------------------------------------------------
# Argument checks shared by optimizers and schedules
# ---------------------------------------------------------------------------------------------------------


def _real(name: str, value: Any, allowed: str, ok: Callable[[float], bool]) -> float:
    """Return ``value`` as a float if it is a finite real number for which ``ok`` holds; else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number ({allowed}), "
                        f"got {type(value).__name__} {reprlib.repr(value)}")  # fmt: skip
    try:
        value = float(value)
    except OverflowError:  # an int beyond the floats: 10**400
        raise ValueError(f"Invalid {name}: an integer too large for a float; allowed: {allowed}") from None
    if not (math.isfinite(value) and ok(value)):
        raise ValueError(f"Invalid {name}: {reprlib.repr(value)}; allowed: {allowed}")
    return value


def _positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an int >= 1; else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= 1, got {type(value).__name__} {reprlib.repr(value)}")
    if value < 1:
        raise ValueError(f"Invalid {name}: {reprlib.repr(value)}; allowed: {name} >= 1")
    return int(value)


def _flag(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool; else raise (a typo like ``nesterov=0.9`` should not pass)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {reprlib.repr(value)}")
    return value


def _lr(lr: Any) -> float:
    return _real("lr", lr, "lr > 0", lambda v: v > 0)


def _non_negative(name: str, value: Any) -> float:
    return _real(name, value, f"{name} >= 0", lambda v: v >= 0)


def _betas(betas: Any) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {reprlib.repr(betas)}")
    return (
        _real("betas[0]", betas[0], "0 <= beta1 < 1", lambda v: 0 <= v < 1),
        _real("betas[1]", betas[1], "0 <= beta2 < 1", lambda v: 0 <= v < 1),
    )


def _grad_as_float(grad: Any, index: int) -> float:
    """A gradient that is not a float as a float: an int, a NumPy scalar, or a ``Value`` left by
    ``create_graph=True`` (its number). Anything else is a TypeError naming the parameter."""
    if isinstance(grad, Value):
        return grad.data
    if isinstance(grad, bool) or not isinstance(grad, numbers.Real):
        hint = "; call backward() before step()" if grad is None else ""
        raise TypeError(f"parameter {index} has grad {reprlib.repr(grad)} of type {type(grad).__name__}: "
                        f"a grad must be a real number{hint}")  # fmt: skip
    try:
        return float(grad)
    except OverflowError:  # an int beyond the floats: 10**400
        raise ValueError(f"parameter {index} has a grad too large for a float: an int of "
                         f"{len(str(grad))} digits") from None  # fmt: skip


def _check_params(params: Any) -> list[Value]:
    """The parameters as a list, each a leaf Value and none listed twice; else TypeError or ValueError.

    A duplicate would be stepped twice per step(), and a non-leaf (the result of an operation) is recomputed
    from its parents, so an update to it would be lost: PyTorch refuses both too.
    """
    if isinstance(params, (str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(
            f"params must be an iterable of parameters (e.g. model.parameters()), got {type(params).__name__}"
        )
    params = list(params)
    if not params:
        raise ValueError("optimizer got an empty parameter list")
    first_index: dict[int, int] = {}  # id(parameter) -> where it first appears (Values hash by identity)
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"parameter {i} is a {type(p).__name__} ({p!r}), not an autograd.Value; "
                            f"pass model.parameters() or a list of Values")  # fmt: skip
        if p.parents:
            raise ValueError(f"can't optimize a non-leaf Value: parameter {i} ({p!r}) was made by {p.op!r}, so "
                             f"an update to it would be lost; optimize the Values it was computed from")  # fmt: skip
        if id(p) in first_index:
            raise ValueError(f"duplicate parameters: parameter {i} ({p!r}) is the same Value as parameter "
                             f"{first_index[id(p)]}, and would be stepped twice per step(); list it once")  # fmt: skip
        first_index[id(p)] = i
    return params


# ---------------------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------------------


class Optimizer:
    """Base class: holds the parameters, the learning rate ``lr`` and per-parameter state lists.

    Subclasses name their hyper-parameters in ``_hyper_names`` (stored as attributes of the same names)
    and their per-parameter state in ``_state_names`` (each a list with one float per parameter).
    """

    _hyper_names: tuple[str, ...] = ("lr",)
    _state_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params: list[Value] = _check_params(params)
        self.lr: float = _lr(lr)
        self.step_count: int = 0  # how many times step() has run (PyTorch's state["step"])
        for name in self._state_names:
            setattr(self, name, self._initial_state(name))

    def _initial_state(self, name: str) -> list[Any]:
        """The value of state list ``name`` before the first step: zeros unless a subclass says otherwise."""
        return [0.0] * len(self.params)

    def zero_grad(self) -> None:
        """p.grad = 0 for every parameter (gradients accumulate across backward() calls)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    # A step works on whole lists, one entry per parameter: read every grad and every p.data once, compute the
    # new numbers with one list comprehension per line of the update rule, then write them back.

    def _grads(self) -> list[float]:
        """Each parameter's gradient as a float, sign-flipped when ``maximize`` is set."""
        grads = [p.grad for p in self.params]
        if any(type(g) is not float for g in grads):  # an int, a NumPy scalar, a Value, or an error to raise
            grads = [g if type(g) is float else _grad_as_float(g, i) for i, g in enumerate(grads)]
        if getattr(self, "maximize", False):
            grads = [-g for g in grads]
        return grads

    def _read_data(self) -> list[float]:
        """Each parameter's number, p.data."""
        return [p.data for p in self.params]

    def _write_data(self, numbers: list[float]) -> None:
        """p.data = x for each parameter p and its new number x."""
        for p, x in zip(self.params, numbers):
            p.data = x

    def hyper_parameters(self) -> dict[str, Any]:
        """The constructor's keyword arguments as they are now (``lr`` may have been moved by a schedule)."""
        return {name: getattr(self, name) for name in self._hyper_names}

    def state_dict(self) -> dict[str, Any]:
        """A plain JSON-able snapshot: type, hyper-parameters, step count, parameter i's state at state[i]."""
        hyper = self.hyper_parameters()
        if "betas" in hyper:
            hyper["betas"] = list(hyper["betas"])
        return {
            "type": type(self).__name__,
            "hyper_parameters": hyper,
            "step_count": self.step_count,
            "state": [
                {name: getattr(self, name)[i] for name in self._state_names} for i in range(len(self.params))
            ],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` snapshot; on any error nothing is changed."""
        kind = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        expected_keys = {"type", "hyper_parameters", "step_count", "state"}
        if set(state_dict) != expected_keys:
            got = reprlib.repr(sorted(state_dict, key=repr))
            raise ValueError(f"state_dict keys must be {sorted(expected_keys)}, got {got}")
        if state_dict["type"] != kind:
            raise ValueError(f"state_dict is for a {reprlib.repr(state_dict['type'])} optimizer, not {kind!r}")

        hyper = state_dict["hyper_parameters"]
        if not isinstance(hyper, dict) or set(hyper) != set(self._hyper_names):
            got = reprlib.repr(sorted(hyper, key=repr) if isinstance(hyper, dict) else hyper)
            raise ValueError(f"{kind} hyper_parameters must have keys {sorted(self._hyper_names)}, got {got}")
        # A schedule may legitimately have driven lr to 0 (cosine to eta_min=0), so the saved lr only has to
        # be >= 0; the other hyper-parameters are checked by building a fresh optimizer from them.
        lr = _non_negative("lr", hyper["lr"])
        fresh = type(self)(self.params, **{**hyper, "lr": 1.0})
        fresh.lr = lr

        step_count = state_dict["step_count"]
        if isinstance(step_count, bool) or not isinstance(step_count, numbers.Integral) or step_count < 0:
            raise ValueError(f"step_count must be an int >= 0, got {reprlib.repr(step_count)}")
        fresh.step_count = int(step_count)

        states = state_dict["state"]
        if not isinstance(states, list) or len(states) != len(self.params):
            got = f"{len(states)} entries" if isinstance(states, list) else type(states).__name__
            raise ValueError(
                f"state_dict has state for {got}, but this optimizer has {len(self.params)} parameters"
            )
        for name in self._state_names:
            column = getattr(fresh, name)
            for i, entry in enumerate(states):
                if not isinstance(entry, dict) or set(entry) != set(self._state_names):
                    raise ValueError(
                        f"state[{i}] must be a dict with keys {sorted(self._state_names)}, "
                        f"got {reprlib.repr(entry)}"
                    )
                value = entry[name]
                if value is None and name == "momentum_buffer":
                    column[i] = None  # SGD before its first step: no buffer yet
                else:
                    column[i] = _real(f"state[{i}][{name!r}]", value, "a finite number", lambda v: True)
        self.__dict__.update(fresh.__dict__)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyper_parameters().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {args})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay.

    g = grad + weight_decay·p;  b = momentum·b + (1 - dampening)·g (b = g at the first step);
    p = p - lr · (g + momentum·b if nesterov else b)   (plain SGD when momentum = 0: p = p - lr·g).
    """

    _hyper_names = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")
    _state_names = ("momentum_buffer",)
    momentum_buffer: list[float | None]  # per parameter; None before its first step

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        maximize: bool = False,
    ) -> None:
        self.momentum = _non_negative("momentum", momentum)
        self.dampening = _real("dampening", dampening, "0 <= dampening <= 1", lambda v: 0 <= v <= 1)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        self.nesterov = _flag("nesterov", nesterov)
        self.maximize = _flag("maximize", maximize)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                f"Nesterov momentum requires momentum > 0 and dampening == 0, "
                f"got momentum={self.momentum!r}, dampening={self.dampening!r}"
            )
        super().__init__(params, lr)

    def _initial_state(self, name: str) -> list[Any]:
        return [None] * len(self.params)  # no momentum buffer until the first step

    def step(self) -> None:
        """p = p - lr · g, with g built from grad, weight decay and momentum as in the class docstring."""
        grads, data = self._grads(), self._read_data()
        lr, mu, dampening, wd = self.lr, self.momentum, self.dampening, self.weight_decay
        if wd != 0:
            grads = [g + wd * p for g, p in zip(grads, data)]
        if mu != 0:
            buffers = [
                g if b is None else mu * b + (1 - dampening) * g  # b = g at a parameter's first step
                for b, g in zip(self.momentum_buffer, grads)
            ]
            self.momentum_buffer[:] = buffers
            grads = [g + mu * b for g, b in zip(grads, buffers)] if self.nesterov else buffers
        self._write_data([p - lr * g for p, g in zip(data, grads)])
        self.step_count += 1


class Adam(Optimizer):
    """Adam: step along a running mean of gradients divided by the root of a running mean of their squares.

    m = b1·m + (1-b1)·g;  v = b2·v + (1-b2)·g^2;  (v_max = max(v_max, v) with amsgrad, used instead of v)
    p = p - lr/(1-b1^t) · m / (sqrt(v)/sqrt(1-b2^t) + eps),   with g = grad + weight_decay·p (L2 penalty).
    """

    _hyper_names = ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize")
    _state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    exp_avg: list[float]  # m, per parameter
    exp_avg_sq: list[float]  # v
    max_exp_avg_sq: list[float]  # max of v so far (amsgrad)
    _decoupled_weight_decay = False  # AdamW sets this: decay the weight itself instead of the gradient

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        self.betas = _betas(betas)
        self.eps = _non_negative("eps", eps)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        self.amsgrad = _flag("amsgrad", amsgrad)
        self.maximize = _flag("maximize", maximize)
        super().__init__(params, lr)

    def step(self) -> None:
        """One Adam (or AdamW) update of every parameter, as in the class docstring."""
        grads, data = self._grads(), self._read_data()  # before counting the step: a bad grad raises first
        self.step_count += 1
        t = self.step_count
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        step_size = lr / (1 - beta1**t)  # bias correction of m folded into the step
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        if wd != 0 and self._decoupled_weight_decay:
            decay_factor = 1 - lr * wd
            data = [p * decay_factor for p in data]  # AdamW: the weight itself shrinks
        elif wd != 0:
            grads = [g + wd * p for g, p in zip(grads, data)]  # Adam: the L2 penalty's gradient joins g
        m = [beta1 * m + (1 - beta1) * g for m, g in zip(self.exp_avg, grads)]
        v = [beta2 * v + (1 - beta2) * g * g for v, g in zip(self.exp_avg_sq, grads)]
        self.exp_avg[:], self.exp_avg_sq[:] = m, v
        if self.amsgrad:  # v = max(v_max, v), as max() decides it (v only if v > v_max), without a call per item
            v = [v if v > v_max else v_max for v_max, v in zip(self.max_exp_avg_sq, v)]
            self.max_exp_avg_sq[:] = v
        self._write_data(
            [p - step_size * (m / (math.sqrt(v) / bias_correction2_sqrt + eps)) for p, m, v in zip(data, m, v)]
        )


class AdamW(Adam):
    """Adam with decoupled weight decay: the weight shrinks directly, the penalty never enters m and v.

    p = p · (1 - lr·weight_decay), then the Adam update of p with g = grad.
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by the root of a running mean of its square.

    v = alpha·v + (1-alpha)·g^2;  d = sqrt(v) + eps
    (centered: a = alpha·a + (1-alpha)·g, d = sqrt(v - a^2) + eps);
    p = p - lr · g/d, or with momentum: b = momentum·b + g/d, p = p - lr·b;   g = grad + weight_decay·p.
    """

    _hyper_names = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize")
    _state_names = ("square_avg", "grad_avg", "momentum_buffer")
    square_avg: list[float]  # v, per parameter
    grad_avg: list[float]  # a (centered)
    momentum_buffer: list[float]  # b

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        self.alpha = _real("alpha", alpha, "0 <= alpha <= 1", lambda v: 0 <= v <= 1)
        self.eps = _non_negative("eps", eps)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        self.momentum = _non_negative("momentum", momentum)
        self.centered = _flag("centered", centered)
        self.maximize = _flag("maximize", maximize)
        super().__init__(params, lr)

    def step(self) -> None:
        """One RMSprop update of every parameter, as in the class docstring."""
        grads, data = self._grads(), self._read_data()
        lr, alpha, eps, wd, mu = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        if wd != 0:
            grads = [g + wd * p for g, p in zip(grads, data)]
        v = [alpha * v + (1 - alpha) * g * g for v, g in zip(self.square_avg, grads)]
        self.square_avg[:] = v
        if self.centered:
            a = [alpha * a + (1 - alpha) * g for a, g in zip(self.grad_avg, grads)]
            self.grad_avg[:] = a
            # v - a^2 is a variance (>= 0); rounding can push it a hair below zero, hence the max.
            denoms = [math.sqrt(max(v - a * a, 0.0)) + eps for v, a in zip(self.square_avg, self.grad_avg)]
        else:
            denoms = [math.sqrt(v) + eps for v in self.square_avg]
        if mu > 0:
            b = [mu * b + g / d for b, g, d in zip(self.momentum_buffer, grads, denoms)]
            self.momentum_buffer[:] = b
            self._write_data([p - lr * b for p, b in zip(data, b)])
        else:
            self._write_data([p - lr * (g / d) for p, g, d in zip(data, grads, denoms)])
        self.step_count += 1


class Adagrad(Optimizer):
    """Adagrad: divide the gradient by the root of the sum of all its past squares.

    s = s + g^2;  p = p - lr/(1 + (t-1)·lr_decay) · g / (sqrt(s) + eps),   with g = grad + weight_decay·p.
    """

    _hyper_names = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize")
    _state_names = ("sum",)
    sum: list[float]  # s, per parameter

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        self.lr_decay = _non_negative("lr_decay", lr_decay)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        self.initial_accumulator_value = _non_negative("initial_accumulator_value", initial_accumulator_value)
        self.eps = _non_negative("eps", eps)
        self.maximize = _flag("maximize", maximize)
        super().__init__(params, lr)

    def _initial_state(self, name: str) -> list[Any]:
        return [self.initial_accumulator_value] * len(self.params)

    def step(self) -> None:
        """One Adagrad update of every parameter, as in the class docstring."""
        grads, data = self._grads(), self._read_data()  # before counting the step: a bad grad raises first
        self.step_count += 1
        clr = self.lr / (1 + (self.step_count - 1) * self.lr_decay)
        eps, wd = self.eps, self.weight_decay
        if wd != 0:
            grads = [g + wd * p for g, p in zip(grads, data)]
        s = [s + g * g for s, g in zip(self.sum, grads)]
        self.sum[:] = s
        self._write_data([p - clr * (g / (math.sqrt(s) + eps)) for p, g, s in zip(data, grads, s)])


# ---------------------------------------------------------------------------------------------------------
# Learning-rate schedules
# ---------------------------------------------------------------------------------------------------------


class LRScheduler:
    """Base class: sets ``optimizer.lr`` for epoch 0 at construction, then for the next epoch at each step().

    Like PyTorch, each new rate is computed from the current one (a recursive rule), so a schedule composes
    with anything else that changes ``optimizer.lr``. ``base_lrs`` holds the rate the optimizer started with.
    """

    _hyper_names: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        self.base_lrs: list[float] = [optimizer.lr]
        self.last_epoch: int = -1
        self.step()  # epoch 0

    def get_lr(self) -> float:
        """The learning rate for epoch ``last_epoch``, from the current ``optimizer.lr``."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def step(self) -> None:
        """Advance one epoch: last_epoch += 1 and optimizer.lr = the schedule's rate for it."""
        self.last_epoch += 1
        self.optimizer.lr = self.get_lr()
        self._last_lr = [self.optimizer.lr]

    def get_last_lr(self) -> list[float]:
        """[the learning rate set by the last step()], a one-element list like PyTorch's."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """A plain, JSON-able snapshot of the schedule (not of the optimizer)."""
        return {
            "type": type(self).__name__,
            "hyper_parameters": {name: getattr(self, name) for name in self._hyper_names},
            "last_epoch": self.last_epoch,
            "base_lrs": list(self.base_lrs),
            "last_lr": list(self._last_lr),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` snapshot; on any error nothing is changed. optimizer.lr is untouched."""
        kind = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        expected_keys = {"type", "hyper_parameters", "last_epoch", "base_lrs", "last_lr"}
        if set(state_dict) != expected_keys:
            got = reprlib.repr(sorted(state_dict, key=repr))
            raise ValueError(f"state_dict keys must be {sorted(expected_keys)}, got {got}")
        if state_dict["type"] != kind:
            raise ValueError(f"state_dict is for a {reprlib.repr(state_dict['type'])} scheduler, not {kind!r}")
        hyper = state_dict["hyper_parameters"]
        if not isinstance(hyper, dict) or set(hyper) != set(self._hyper_names):
            raise ValueError(
                f"{kind} hyper_parameters must have keys {sorted(self._hyper_names)}, got {reprlib.repr(hyper)}"
            )
        last_epoch = state_dict["last_epoch"]
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral) or last_epoch < 0:
            raise ValueError(f"last_epoch must be an int >= 0, got {reprlib.repr(last_epoch)}")
        lrs = {}
        for key in ("base_lrs", "last_lr"):
            value = state_dict[key]
            if not isinstance(value, list) or len(value) != 1:
                raise ValueError(f"{key} must be a list with one learning rate, got {reprlib.repr(value)}")
            lrs[key] = [_non_negative(key, value[0])]
        # Check the hyper-parameters by building a fresh schedule on a throw-away optimizer.
        probe = SGD([Value(0.0)], lr=1.0)
        checked = type(self)(probe, **hyper)
        for name in self._hyper_names:
            setattr(self, name, getattr(checked, name))
        self.last_epoch = int(last_epoch)
        self.base_lrs = lrs["base_lrs"]
        self._last_lr = lrs["last_lr"]

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._hyper_names)
        return f"{type(self).__name__}({args}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """Multiply the learning rate by gamma every step_size epochs: lr_e = base_lr · gamma^(e // step_size)."""

    _hyper_names = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _positive_int("step_size", step_size)
        self.gamma = _real("gamma", gamma, "gamma > 0", lambda v: v > 0)
        super().__init__(optimizer)

    def get_lr(self) -> float:
        """lr · gamma when the epoch is a positive multiple of step_size, else lr."""
        lr = self.optimizer.lr
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lr
        return lr * self.gamma


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by gamma every epoch: lr_e = base_lr · gamma^e."""

    _hyper_names = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _real("gamma", gamma, "gamma > 0", lambda v: v > 0)
        super().__init__(optimizer)

    def get_lr(self) -> float:
        """lr · gamma (lr unchanged at epoch 0)."""
        lr = self.optimizer.lr
        return lr if self.last_epoch == 0 else lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Follow a cosine from base_lr down to eta_min in T_max epochs, then back up, and so on.

    lr_e = eta_min + (base_lr - eta_min) · (1 + cos(pi · e / T_max)) / 2, computed recursively (as PyTorch).
    """

    _hyper_names = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803 (torch name)
        self.T_max = _positive_int("T_max", T_max)
        self.eta_min = _non_negative("eta_min", eta_min)
        super().__init__(optimizer)

    def get_lr(self) -> float:
        """eta_min + (lr - eta_min) · (1 + cos(pi·e/T)) / (1 + cos(pi·(e-1)/T)): ratio of two cosine steps."""
        lr, e, t_max, eta_min = self.optimizer.lr, self.last_epoch, self.T_max, self.eta_min
        if e == 0:
            return lr
        if (e - 1 - t_max) % (2 * t_max) == 0:
            # Leaving a cycle's bottom the ratio below would divide by 1 + cos(pi) = 0: add the step instead.
            return lr + (self.base_lrs[0] - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        return (1 + math.cos(math.pi * e / t_max)) / (1 + math.cos(math.pi * (e - 1) / t_max)) * (
            lr - eta_min
        ) + eta_min


class LinearLR(LRScheduler):
    """Move the learning rate's factor linearly from start_factor to end_factor in total_iters epochs.

    lr_e = base_lr · (start_factor + (end_factor - start_factor) · min(e, total_iters) / total_iters).
    """

    _hyper_names = ("start_factor", "end_factor", "total_iters")

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = _real("start_factor", start_factor, "0 < start_factor <= 1", lambda v: 0 < v <= 1)
        self.end_factor = _real("end_factor", end_factor, "0 <= end_factor <= 1", lambda v: 0 <= v <= 1)
        self.total_iters = _positive_int("total_iters", total_iters)
        super().__init__(optimizer)

    def get_lr(self) -> float:
        """lr · (1 + (end - start) / (total_iters·start + (e-1)·(end - start))): ratio of two linear steps."""
        lr, e = self.optimizer.lr, self.last_epoch
        if e == 0:
            return lr * self.start_factor
        if e > self.total_iters:
            return lr
        delta = self.end_factor - self.start_factor
        return lr * (1.0 + delta / (self.total_iters * self.start_factor + (e - 1) * delta))
