"""Neuron, Layer, MLP, Dropout: networks composed of Values, so every weight and bias gets its gradient."""

from __future__ import annotations

import random
import reprlib
from collections.abc import Iterable, Sequence
from typing import Any, TypeGuard, cast

import autograd
from autograd import Value
from nn import init as _init
from nn.checks import check_int, check_real, check_rng, check_seed, describe, from_array, generator, is_real
from nn.io import register_architecture
from nn.module import Module
from nn.rng_state import get_rng_state, set_rng_state

Number = int | float
Input = Sequence[Value | Number] | Value | Number  # one sample: its entries (or the entry itself when nin == 1)
Batch = Sequence[Input]  # a list of samples, like a 2-D tensor's rows in PyTorch
Output = Value | list[Value]  # one sample's outputs: a single Value when there is one output

# Activation name -> how to apply it to the neuron's weighted sum z (one engine node each, or none for linear).
ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,
    "elu": Value.elu,
    "linear": None,
}


def _check_activation(activation: object, name: str = "activation") -> str:
    if not isinstance(activation, str):
        raise TypeError(f"{name} must be a name, one of {', '.join(ACTIVATIONS)}; got {type(activation).__name__}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown {name} {reprlib.repr(activation)}; choose one of {', '.join(ACTIVATIONS)}")
    return activation


def _is_entry(v: object) -> bool:
    """A Value or a real number (NumPy's too), never a bool: what an input may hold."""
    return type(v) is float or type(v) is Value or isinstance(v, Value) or is_real(v)  # common cases first


def _entries(xs: list[Any]) -> list[Value | float] | None:
    """xs with each number that is not a float made one (a Value is kept); None if some entry is neither.

    An int too large for a float (10**400) is a ValueError here, not an OverflowError deep in the arithmetic.
    """
    for i, v in enumerate(xs):
        if type(v) is float or type(v) is Value:  # the common cases, without an ABC check
            continue
        if not _is_entry(v):
            return None
        if not isinstance(v, Value):
            try:
                xs[i] = float(v)
            except OverflowError:
                raise ValueError(f"input entries must fit in a float, got an int of {len(str(v))} digits") from None
    return xs


def _as_inputs(x: object, nin: int) -> list[Value | float]:
    """The input as a list of nin Values or numbers; a single number or Value is accepted when nin == 1.

    x is whatever forward was given: everything about it is checked here (a NumPy array as its .tolist()).
    """
    x = from_array(x, "input")
    if _is_entry(x):
        x = [x]
    if isinstance(x, (str, bytes, dict)):
        raise TypeError(f"input must be a list of numbers or Values, got {type(x).__name__}: {reprlib.repr(x)}")
    try:
        xs = list(x)  # type: ignore[call-overload]  # any object may come in: list() finds out if it is iterable
    except TypeError:
        raise TypeError(f"input must be a list of numbers or Values, got {type(x).__name__}") from None
    if len(xs) != nin:
        raise ValueError(f"expected an input of length {nin}, got length {len(xs)}")
    if _entries(xs) is None:
        v = next(v for v in xs if not _is_entry(v))
        raise TypeError(f"input entries must be numbers or Values, got {type(v).__name__}: {reprlib.repr(v)}")
    return xs


def _is_batch(x: Input | Batch) -> TypeGuard[Batch]:
    """autograd.is_batch, telling the type checker what it decided: x is a list of inputs."""
    return autograd.is_batch(x)


def _as_batch(x: Input | Batch, nin: int) -> tuple[list[list[Value | float]], bool]:
    """(a batch of checked inputs, whether x was a single input rather than a batch)."""
    x = from_array(x, "input")  # a 2-D NumPy array is a batch, a 1-D one an input
    if _is_batch(x):
        batch = [_as_inputs(xi, nin) for xi in x]
        return batch, False
    return [_as_inputs(x, nin)], True


def _results(outputs: list[list[Value]], single: bool) -> Output | list[Output]:
    """What forward returns: for each input its outputs (one Value when there is one output), and for a
    single input (not a batch) just its own."""
    results = [out[0] if len(out) == 1 else out for out in outputs]
    return results[0] if single else results


def _init_weights(weights: list[Value], nin: int, nout: int, init: str, activation: str, rng: random.Random) -> None:
    if init == "kaiming":
        _init.kaiming_uniform(weights, nin, activation, rng)
    elif init == "xavier":
        _init.xavier_uniform(weights, nin, nout, _init.calculate_gain(activation), rng)
    elif init == "uniform":
        _init.uniform(weights, -1.0, 1.0, rng)
    else:
        raise ValueError(f"unknown init {reprlib.repr(init)}; choose one of {', '.join(_init.INITS)}")


class Neuron(Module):
    """act(w·x + b): a weighted sum of the inputs plus a bias, through an activation.

    The weighted sum and the bias are ONE engine node: the bias is a weight on a constant input of 1, so
    w·x + b = dot(w + [b], x + [1]). The activation is a second node (none for 'linear').
    """

    takes_batches = True

    def __init__(self, nin: int, activation: str = "relu", init: str = "kaiming", fan_out: int = 1,
                 rng: random.Random | None = None, seed: int | None = None) -> None:  # fmt: skip
        """fan_out (the width of the neuron's layer) only matters to Xavier init. `seed` makes the weights
        reproducible without touching the global `random` state; `rng`, a random.Random, is shared by the
        neurons of a layer or a model (it takes precedence over seed)."""
        self.nin = nin = check_int("nin", nin, 1)
        self.activation = _check_activation(activation)
        fan_out = check_int("fan_out", fan_out, 1)
        rng = check_rng(rng) or generator(seed)
        check_seed(seed)  # also when rng takes precedence: a bad seed is a mistake either way
        self.w = [Value(0.0) for _ in range(nin)]
        self.b = Value(0.0)  # biases start at 0
        _init_weights(self.w, nin, fan_out, init, activation, rng)

    def forward(self, x: Input | Batch) -> Value | list[Value]:
        """One output for one input; a list of outputs for a batch (a list of inputs)."""
        batch, single = _as_batch(x, self.nin)
        outputs = [self._forward(xs) for xs in batch]
        return outputs[0] if single else outputs

    def _forward(self, xs: list[Value | float]) -> Value:
        z = autograd.dot(self.w + [self.b], xs + [1.0])
        act = ACTIVATIONS[self.activation]
        return z if act is None else act(z)

    def extra_repr(self) -> str:
        """The inputs and the activation, as in repr(): Neuron(2, activation='relu')."""
        return f"{self.nin}, activation={self.activation!r}"


class Layer(Module):
    """nout neurons that all read the same nin inputs; returns a list, or one Value when nout == 1."""

    takes_batches = True

    _show_children = False  # the repr summarizes: its neurons are all alike

    def __init__(self, nin: int, nout: int, activation: str = "relu", init: str = "kaiming",
                 rng: random.Random | None = None, seed: int | None = None) -> None:  # fmt: skip
        self.nin = nin = check_int("nin", nin, 1)
        self.nout = nout = check_int("nout", nout, 1)
        self.activation = _check_activation(activation)
        if init not in _init.INITS:  # checked once here, not by each neuron after the first is built
            raise ValueError(f"unknown init {reprlib.repr(init)}; choose one of {', '.join(_init.INITS)}")
        rng = check_rng(rng) or generator(seed)
        check_seed(seed)  # also when rng takes precedence: a bad seed is a mistake either way
        self.neurons = [Neuron(nin, activation, init, nout, rng) for _ in range(nout)]

    def forward(self, x: Input | Batch) -> Output | list[Output]:
        """The outputs for one input (one Value when nout == 1); for a batch, a list of those, one per input."""
        batch, single = _as_batch(x, self.nin)
        return _results(self._forward(batch), single)

    def _forward(self, batch: Sequence[Sequence[Value | float]]) -> list[list[Value]]:
        """For each input of the batch, the list of outputs: what the next layer reads, whatever its width.

        The same nodes as calling each neuron on each input in turn, built by autograd.linear, which reads the
        weights' numbers once for the whole batch and each input's numbers once for all neurons.
        """
        neurons = self.neurons
        # For a batch linear returns one list of outputs per input (for a single input, one list); its return
        # type is the union of the two, so the cast says which this is.
        zs = cast("list[list[Value]]", autograd.linear(batch, [n.w for n in neurons], [n.b for n in neurons]))
        act = ACTIVATIONS[self.activation]
        return zs if act is None else [[act(z) for z in out] for out in zs]

    def extra_repr(self) -> str:
        """The sizes and the activation, as in repr(): Layer(2 -> 16, activation='relu')."""
        return f"{self.nin} -> {self.nout}, activation={self.activation!r}"


class Dropout(Module):
    """Inverted dropout: in training each unit is zeroed with probability p and the kept ones are scaled by
    1/(1-p), so the expected value is unchanged and evaluation needs no rescaling; in eval it is the identity.

    The masks come from the module's own random.Random (seeded by `seed`; the global `random` is never
    touched). Its state is the module's extra state (`get_extra_state()`), saved with the model by
    `model.save` and restored by `nn.load`, so a resumed training run draws the same masks as one never stopped.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        self.p = _check_probability("dropout probability p", p)
        self._rng = generator(seed)

    def forward(self, x: Input | Batch) -> Value | float | list[Value | float] | list[list[Value | float]]:
        """y_i = x_i · m_i / (1 - p) with m_i ~ Bernoulli(1 - p) in training, y = x in eval.

        One Value or number gives one result; a list of them a list; a batch (a list of lists) a batch, its
        masks drawn input after input, as calling dropout on each input in turn would draw them.
        """
        x = from_array(x, "the input")
        if _is_entry(x):
            return self._drop(_units([x], "the input"))[0]
        if _is_batch(x):
            return [self._drop(_units(xi, "each input of the batch")) for xi in x]
        return self._drop(_units(x, "the input"))

    def _drop(self, xs: list[Value | float]) -> list[Value | float]:
        if not self.training or self.p == 0.0:
            return xs
        if self.p == 1.0:
            return [v * 0.0 for v in xs]
        scale = 1.0 / (1.0 - self.p)
        return [v * 0.0 if self._rng.random() < self.p else v * scale for v in xs]

    def get_extra_state(self) -> dict[str, Any]:
        """{"rng_state": the mask generator's state as JSON}: what decides the next masks (PyTorch's name)."""
        return {"rng_state": get_rng_state(self._rng)}

    def set_extra_state(self, state: Any) -> None:
        """Restore get_extra_state()'s dict; if it is not one, a ValueError saying why, and nothing changes."""
        if not isinstance(state, dict) or set(state) != {"rng_state"}:
            got = reprlib.repr(sorted(state, key=repr)) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"Dropout's extra state must be a dict with the one key 'rng_state', got {got}")
        set_rng_state(self._rng, state["rng_state"], "Dropout's rng_state")

    def extra_repr(self) -> str:
        """The drop probability, as in repr(): Dropout(p=0.5)."""
        return f"p={self.p}"


def _check_probability(name: str, p: Any) -> float:
    p = check_real(name, p, "a number between 0 and 1")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must be a number between 0 and 1, got {p}")
    return p


def _units(x: object, what: str) -> list[Value | float]:
    """x as a list of Values or numbers, or a TypeError saying what Dropout takes."""
    if isinstance(x, (str, bytes, dict)) or not isinstance(x, (Sequence, Iterable)):
        raise TypeError(f"Dropout takes a Value, a number, or a list of them; "
                        f"{what} is {type(x).__name__}: {reprlib.repr(x)}")  # fmt: skip
    xs = list(x)
    if _entries(xs) is None:
        v = next(v for v in xs if not _is_entry(v))
        raise TypeError(f"Dropout takes Values or numbers; {what} holds {type(v).__name__}: {reprlib.repr(v)}")
    return xs


def _sizes(nin: Any, nouts: Any) -> list[int]:
    """[nin, *nouts] as plain ints, each checked >= 1; nouts must be a non-empty list."""
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or len(nouts) == 0:
        raise TypeError(f"nouts must be a non-empty list of layer sizes, e.g. [16, 16, 1]; got {describe(nouts)}")
    return [check_int("nin", nin, 1), *(check_int(f"nouts[{i}]", n, 1) for i, n in enumerate(nouts))]


@register_architecture  # nn.load rebuilds an MLP from the config in its file
class MLP(Module):
    """A multi-layer perceptron: Layers in sequence, each reading the previous one's outputs.

    MLP(2, [16, 16, 1]) has two hidden layers of 16 and one output. Hidden layers use `activation`, the last
    `output_activation`. `dropout` applies after each hidden layer; `residual=True` adds a hidden layer's
    input to its output (x + f(x)) where their widths match, a short path for the gradient.
    """

    takes_batches = True

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", output_activation: str = "linear",
                 dropout: float = 0.0, residual: bool = False, init: str = "kaiming",
                 seed: int | None = None) -> None:  # fmt: skip
        sizes = _sizes(nin, nouts)
        _check_activation(activation)
        _check_activation(output_activation, "output_activation")
        if init not in _init.INITS:
            raise ValueError(f"unknown init {reprlib.repr(init)}; choose one of {', '.join(_init.INITS)}")
        dropout = _check_probability("dropout", dropout)
        if not isinstance(residual, bool):
            raise TypeError(f"residual must be a bool, got {type(residual).__name__}")
        seed = check_seed(seed)
        nin, nouts = sizes[0], sizes[1:]
        # Everything needed to build the same architecture again (saving, copying, to_torch): plain JSON values.
        self.config = {"nin": nin, "nouts": nouts, "activation": activation,
                       "output_activation": output_activation, "dropout": dropout,
                       "residual": residual, "init": init, "seed": seed}  # fmt: skip
        rng = generator(seed)  # our own generator: the global `random` state is never touched
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < len(nouts) - 1 else output_activation, init, rng)
            for i in range(len(nouts))
        ]
        self.dropout = Dropout(dropout, seed=rng.randrange(2**32)) if dropout else None
        self.residual = residual
        self.nin = nin

    def forward(self, x: Input | Batch) -> Output | list[Output]:
        """The outputs for one input (one Value for one output); for a batch (a list of inputs, like a 2-D
        tensor in PyTorch), a list of those, one per input. A batch builds the same nodes as calling the model
        on each input, faster: each layer reads its weights' numbers once for the whole batch."""
        inputs, single = _as_batch(x, self.nin)
        batch: Sequence[Sequence[Value | float]] = inputs  # the inputs, then each layer's outputs in turn
        outs: list[list[Value]]
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            outs = layer._forward(batch)
            if i < last:
                if self.dropout is not None:
                    outs = [self.dropout(out) for out in outs]
                if self.residual and len(outs[0]) == len(batch[0]):
                    outs = [[a + b for a, b in zip(xs, out)] for xs, out in zip(batch, outs)]
            batch = outs
        return _results(outs, single)

    @staticmethod
    def num_parameters_for(config: dict[str, Any]) -> int:
        """How many numbers MLP(**config) learns, from its sizes alone: Σ over layers of (n_in + 1)·n_out.

        Nothing is built, so nn.load can compare a file's config with its weights in microseconds before
        building anything. The sizes are checked as the constructor checks them (TypeError, ValueError).
        """
        sizes = _sizes(config.get("nin"), config.get("nouts"))
        return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))

    def extra_repr(self) -> str:
        """The layer sizes, and residual=True if set, as in repr(): MLP(2 -> 16 -> 16 -> 1)."""
        sizes = " -> ".join(str(n) for n in [self.nin, *(layer.nout for layer in self.layers)])
        extras = ", residual=True" if self.residual else ""
        return f"{sizes}{extras}"
