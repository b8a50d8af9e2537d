"""The bridge to PyTorch: the same MLP as a torch.nn.Sequential, with the same weights, and back.

Neuron j of a chaingrad Layer is row j of a torch Linear: `weight[j][i] = neurons[j].w[i]`, `bias[j] = neurons[j].b`.
An MLP becomes Linear, activation, (Dropout), Linear, activation, ..., in float64 so both compute the same
numbers. torch is imported only inside these functions: chaingrad itself never needs it.
"""

from __future__ import annotations

from typing import Any

from nn.layers import MLP

# chaingrad activation name -> the torch.nn class name of the same function (None: no module at all).
_TO_TORCH = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "leaky_relu": "LeakyReLU",  # negative_slope 0.01, torch's default and ours
    "elu": "ELU",  # alpha 1.0, torch's default and ours
    "linear": None,
}
_FROM_TORCH = {cls: name for name, cls in _TO_TORCH.items() if cls is not None}
# The fixed parameters our activations use; a torch module with other values computes another function.
_ACTIVATION_PARAMS = {"LeakyReLU": ("negative_slope", 0.01), "ELU": ("alpha", 1.0)}


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as e:
        raise ImportError("the PyTorch bridge needs PyTorch, which is not installed: pip install torch") from e
    return torch


def _uses_residual(mlp: MLP) -> bool:
    """Whether any hidden layer actually adds its input (x + f(x)): only where its input and output widths match."""
    hidden = mlp.layers[:-1]
    return mlp.residual and any(layer.nin == layer.nout for layer in hidden)


def to_torch(mlp: MLP) -> Any:
    """The torch.nn.Sequential (float64) that computes exactly what `mlp` computes: Linear, activation, ... ."""
    torch = _import_torch()
    if not isinstance(mlp, MLP):
        raise TypeError(f"to_torch() converts an nn.MLP, got {type(mlp).__name__}")
    if _uses_residual(mlp):
        raise NotImplementedError(
            "to_torch() cannot convert a residual MLP: torch.nn.Sequential only chains modules and has no way "
            "to add a layer's input to its output (x + f(x)); write a small torch.nn.Module for it instead"
        )
    modules = []
    last = len(mlp.layers) - 1
    for i, layer in enumerate(mlp.layers):
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        activation = _TO_TORCH[layer.activation]
        if activation is not None:
            modules.append(getattr(torch.nn, activation)())
        if i < last and mlp.dropout is not None:
            modules.append(torch.nn.Dropout(mlp.dropout.p))
    return torch.nn.Sequential(*modules).train(mlp.training)


def _parse(seq: Any, torch: Any) -> tuple[list[Any], list[str], list[float | None]]:
    """Split seq into its Linear modules, the activation after each ('linear' if none), the Dropout p after each."""
    linears: list[Any] = []
    activations: list[str] = []
    dropouts: list[float | None] = []
    for index, module in enumerate(seq):
        kind = type(module).__name__
        if isinstance(module, torch.nn.Linear):
            linears.append(module)
            activations.append("linear")
            dropouts.append(None)
            continue
        if not linears:
            raise ValueError(f"from_torch(): the Sequential must start with a Linear, found {kind} at index {index}")
        if kind in _FROM_TORCH and type(module) is getattr(torch.nn, kind):
            if activations[-1] != "linear" or dropouts[-1] is not None:
                raise ValueError(f"from_torch(): {kind} at index {index} must directly follow a Linear")
            if kind in _ACTIVATION_PARAMS:
                attr, expected = _ACTIVATION_PARAMS[kind]
                if getattr(module, attr) != expected:
                    raise ValueError(f"from_torch(): chaingrad's {kind} uses {attr}={expected}, "
                                     f"got {attr}={getattr(module, attr)} at index {index}")  # fmt: skip
            activations[-1] = _FROM_TORCH[kind]
        elif type(module) is torch.nn.Dropout:
            if dropouts[-1] is not None:
                raise ValueError(f"from_torch(): two Dropouts in a row at index {index}")
            dropouts[-1] = float(module.p)
        else:
            supported = ", ".join(["Linear", *_FROM_TORCH, "Dropout"])
            raise TypeError(f"from_torch(): unsupported module {kind} at index {index}; supported: {supported}")
    if not linears:
        raise ValueError("from_torch(): the Sequential has no Linear layer")
    return linears, activations, dropouts


def from_torch(seq: Any) -> MLP:
    """The nn.MLP that computes what the torch.nn.Sequential `seq` of Linear/activation/Dropout modules computes.

    Sizes come from the Linear layers; all hidden layers must share one activation and one dropout p (an MLP
    has one of each), the last layer may have its own activation and no dropout.
    """
    torch = _import_torch()
    if not isinstance(seq, torch.nn.Sequential):
        raise TypeError(f"from_torch() converts a torch.nn.Sequential, got {type(seq).__name__}")
    linears, activations, dropouts = _parse(seq, torch)
    for i in range(1, len(linears)):
        if linears[i].in_features != linears[i - 1].out_features:
            raise ValueError(f"from_torch(): Linear {i} reads {linears[i].in_features} inputs but Linear {i - 1} "
                             f"gives {linears[i - 1].out_features}")  # fmt: skip
    without_bias = [i for i, linear in enumerate(linears) if linear.bias is None]
    if without_bias:
        raise ValueError(f"from_torch(): Linear {without_bias} have bias=False; every chaingrad neuron has a bias")
    hidden_activations = set(activations[:-1])
    if len(hidden_activations) > 1:
        raise ValueError(f"from_torch(): an MLP's hidden layers share one activation, got {activations[:-1]}")
    if dropouts[-1] is not None:
        raise ValueError("from_torch(): an MLP has no dropout after its last layer")
    hidden_dropouts = set(dropouts[:-1])
    if len(hidden_dropouts) > 1:
        raise ValueError(f"from_torch(): an MLP applies the same dropout after every hidden layer, got {dropouts[:-1]}")
    dropout = hidden_dropouts.pop() if hidden_dropouts else None
    mlp = MLP(
        linears[0].in_features,
        [linear.out_features for linear in linears],
        activation=hidden_activations.pop() if hidden_activations else "relu",
        output_activation=activations[-1],
        dropout=dropout or 0.0,
    )
    state = {}
    for i, linear in enumerate(linears):
        weight = linear.weight.detach().cpu().double().tolist()
        bias = linear.bias.detach().cpu().double().tolist()
        for j, (row, b) in enumerate(zip(weight, bias)):
            for k, w in enumerate(row):
                state[f"layers.{i}.neurons.{j}.w.{k}"] = w
            state[f"layers.{i}.neurons.{j}.b"] = b
    mlp.load_state_dict(state)
    return mlp.train(seq.training)  # type: ignore[return-value]
