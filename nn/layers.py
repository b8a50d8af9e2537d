"""Neuron, Layer, MLP, Dropout: networks composed of Values, so every weight and bias gets its gradient."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import autograd
from autograd import Value
from nn import init as _init
from nn.checks import check_int, generator
from nn.module import Module

Number = int | float
Input = Sequence[Value | Number] | Value | Number

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
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown {name} {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return activation  # type: ignore[return-value]


def _as_inputs(x: Input, nin: int) -> list[Value | float]:
    """The input as a list of nin Values or floats; a single number or Value is accepted when nin == 1."""
    if isinstance(x, Value) or (isinstance(x, (int, float)) and not isinstance(x, bool)):
        x = [x]
    try:
        xs = list(x)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"input must be a list of numbers or Values, got {type(x).__name__}") from None
    if len(xs) != nin:
        raise ValueError(f"expected an input of length {nin}, got length {len(xs)}")
    for v in xs:
        if not isinstance(v, (Value, int, float)) or isinstance(v, bool):
            raise TypeError(f"input entries must be numbers or Values, got {type(v).__name__}: {v!r}")
    return xs


def _as_batch(x: Input | Sequence[Input], nin: int) -> tuple[list[list[Value | float]], bool]:
    """(a batch of checked inputs, whether x was a single input rather than a batch)."""
    if autograd.is_batch(x):
        batch = [_as_inputs(xi, nin) for xi in x]  # type: ignore[union-attr]
        return batch, False
    return [_as_inputs(x, nin)], True


def _results(outputs: list[list[Value]], single: bool) -> Any:
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
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(_init.INITS)}")


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
        self.nin = check_int("nin", nin, 1)
        self.activation = _check_activation(activation)
        self.w = [Value(0.0) for _ in range(nin)]
        self.b = Value(0.0)  # biases start at 0
        _init_weights(self.w, nin, fan_out, init, activation, rng or generator(seed))

    def forward(self, x: Input | Sequence[Input]) -> Value | list[Value]:
        """One output for one input; a list of outputs for a batch (a list of inputs)."""
        batch, single = _as_batch(x, self.nin)
        return _results([[self._forward(xs)] for xs in batch], single)

    def _forward(self, xs: list[Value | float]) -> Value:
        z = autograd.dot(self.w + [self.b], xs + [1.0])
        act = ACTIVATIONS[self.activation]
        return z if act is None else act(z)

    def extra_repr(self) -> str:
        return f"{self.nin}, activation={self.activation!r}"


class Layer(Module):
    """nout neurons that all read the same nin inputs; returns a list, or one Value when nout == 1."""

    takes_batches = True

    _show_children = False  # the repr summarizes: its neurons are all alike

    def __init__(self, nin: int, nout: int, activation: str = "relu", init: str = "kaiming",
                 rng: random.Random | None = None, seed: int | None = None) -> None:  # fmt: skip
        self.nin = check_int("nin", nin, 1)
        self.nout = check_int("nout", nout, 1)
        self.activation = _check_activation(activation)
        rng = rng or generator(seed)
        self.neurons = [Neuron(nin, activation, init, nout, rng) for _ in range(nout)]

    def forward(self, x: Input | Sequence[Input]) -> Value | list[Value] | list[Value | list[Value]]:
        """The outputs for one input (one Value when nout == 1); for a batch, a list of those, one per input."""
        batch, single = _as_batch(x, self.nin)
        return _results(self._forward(batch), single)

    def _forward(self, batch: list[list[Value | float]]) -> list[list[Value]]:
        """For each input of the batch, the list of outputs: what the next layer reads, whatever its width.

        The same nodes as calling each neuron on each input in turn, built by autograd.linear, which reads the
        weights' numbers once for the whole batch and each input's numbers once for all neurons.
        """
        neurons = self.neurons
        zs = autograd.linear(batch, [n.w for n in neurons], [n.b for n in neurons])
        act = ACTIVATIONS[self.activation]
        return zs if act is None else [[act(z) for z in out] for out in zs]

    def extra_repr(self) -> str:
        return f"{self.nin} -> {self.nout}, activation={self.activation!r}"


class Dropout(Module):
    """Inverted dropout: in training each unit is zeroed with probability p and the kept ones are scaled by
    1/(1-p), so the expected value is unchanged and evaluation needs no rescaling; in eval it is the identity.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise TypeError(f"dropout probability must be a number, got {type(p).__name__}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be between 0 and 1, got {p}")
        self.p = float(p)
        self._rng = random.Random(seed)

    def forward(self, x: Value | Sequence[Value]) -> Value | list[Value]:
        if isinstance(x, Value):
            return self.forward([x])[0]
        xs = list(x)
        if not self.training or self.p == 0.0:
            return xs
        if self.p == 1.0:
            return [v * 0.0 for v in xs]
        scale = 1.0 / (1.0 - self.p)
        return [v * 0.0 if self._rng.random() < self.p else v * scale for v in xs]

    def extra_repr(self) -> str:
        return f"p={self.p}"


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
        check_int("nin", nin, 1)
        if isinstance(nouts, int) or not isinstance(nouts, Sequence) or len(nouts) == 0:
            raise TypeError(f"nouts must be a non-empty list of layer sizes, e.g. [16, 16, 1]; got {nouts!r}")
        for i, n in enumerate(nouts):
            check_int(f"nouts[{i}]", n, 1)
        _check_activation(activation)
        _check_activation(output_activation, "output_activation")
        if init not in _init.INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {', '.join(_init.INITS)}")
        if not isinstance(residual, bool):
            raise TypeError(f"residual must be a bool, got {type(residual).__name__}")
        # Everything needed to build the same architecture again (saving, copying, to_torch).
        self.config = {"nin": nin, "nouts": list(nouts), "activation": activation,
                       "output_activation": output_activation, "dropout": float(dropout),
                       "residual": residual, "init": init, "seed": seed}  # fmt: skip
        rng = generator(seed)  # our own generator: the global `random` state is never touched
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < len(nouts) - 1 else output_activation, init, rng)
            for i in range(len(nouts))
        ]
        self.dropout = Dropout(dropout, seed=rng.randrange(2**32)) if dropout else None
        self.residual = residual
        self.nin = nin

    def forward(self, x: Input | Sequence[Input]) -> Value | list[Value] | list[Value | list[Value]]:
        """The outputs for one input (one Value for one output); for a batch (a list of inputs, like a 2-D
        tensor in PyTorch), a list of those, one per input. A batch builds the same nodes as calling the model
        on each input, faster: each layer reads its weights' numbers once for the whole batch."""
        batch, single = _as_batch(x, self.nin)
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            outs = layer._forward(batch)
            if i < last:
                if self.dropout is not None:
                    outs = [self.dropout(out) for out in outs]
                if self.residual and len(outs[0]) == len(batch[0]):
                    outs = [[a + b for a, b in zip(xs, out)] for xs, out in zip(batch, outs)]
            batch = outs
        return _results(batch, single)

    def extra_repr(self) -> str:
        sizes = " -> ".join(str(n) for n in [self.nin, *(layer.nout for layer in self.layers)])
        extras = ", residual=True" if self.residual else ""
        return f"{sizes}{extras}"
