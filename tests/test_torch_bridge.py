"""nn.to_torch / nn.from_torch: the same network on both sides, same weights, same outputs and gradients."""

import random
import sys

import pytest
import torch

import nn

ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "linear"]
TORCH_MODULE = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
                "leaky_relu": torch.nn.LeakyReLU, "elu": torch.nn.ELU}  # fmt: skip
SHAPES = [(1, [1]), (3, [4, 2]), (2, [16, 1, 1]), (4, [5, 5, 3])]


def inputs(nin: int, count: int = 4, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(count)]


def as_list(out) -> list:
    return out if isinstance(out, list) else [out]


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


def nn_sum(values):
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


def to_torch_checked(mlp):
    seq = nn.to_torch(mlp)
    assert isinstance(seq, torch.nn.Sequential)
    return seq


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("nin, nouts", SHAPES)
def test_to_torch_computes_the_same_outputs_and_gradients(activation, nin, nouts):
    mlp = nn.MLP(nin, nouts, activation=activation, output_activation=activation, seed=1)
    seq = to_torch_checked(mlp)
    for x in inputs(nin):
        mlp.zero_grad()
        seq.zero_grad()
        ours = as_list(mlp(x))
        theirs = seq(torch.tensor(x, dtype=torch.float64))
        assert all(close(o.data, t) for o, t in zip(ours, theirs.tolist(), strict=True))
        nn_sum(ours).backward()
        theirs.sum().backward()
        linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
        for layer, linear in zip(mlp.layers, linears, strict=True):
            for j, neuron in enumerate(layer.neurons):
                assert all(close(w.grad, g) for w, g in zip(neuron.w, linear.weight.grad[j].tolist(), strict=True))
                assert close(neuron.b.grad, linear.bias.grad[j].item())


def test_to_torch_builds_linear_then_activation_in_float64_with_the_same_numbers():
    mlp = nn.MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=2)
    seq = nn.to_torch(mlp)
    assert [type(m) for m in seq] == [torch.nn.Linear, torch.nn.Tanh, torch.nn.Linear, torch.nn.Sigmoid]
    first = seq[0]
    assert (first.in_features, first.out_features) == (3, 4)
    assert first.weight.dtype == torch.float64 and first.bias.dtype == torch.float64
    assert first.weight.tolist() == [[w.data for w in n.w] for n in mlp.layers[0].neurons]
    assert first.bias.tolist() == [n.b.data for n in mlp.layers[0].neurons]


def test_to_torch_uses_the_activation_parameters_of_chaingrad():
    seq = nn.to_torch(nn.MLP(2, [3, 3, 1], activation="leaky_relu", output_activation="elu"))
    assert seq[1].negative_slope == 0.01
    assert seq[5].alpha == 1.0


def test_a_linear_layer_adds_no_activation_module():
    seq = nn.to_torch(nn.MLP(2, [3, 1], activation="linear"))
    assert [type(m) for m in seq] == [torch.nn.Linear, torch.nn.Linear]


def test_dropout_becomes_torch_dropout_after_each_hidden_layer_and_the_mode_carries_over():
    mlp = nn.MLP(2, [3, 3, 1], dropout=0.3)
    seq = nn.to_torch(mlp)
    kinds = [type(m) for m in seq]
    assert kinds == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Dropout] * 2 + [torch.nn.Linear]
    assert seq[2].p == 0.3 and seq[5].p == 0.3
    assert seq.training is True
    assert nn.to_torch(mlp.eval()).training is False


def test_a_residual_mlp_cannot_become_a_sequential():
    with pytest.raises(NotImplementedError, match="residual"):
        nn.to_torch(nn.MLP(3, [3, 3, 1], residual=True))


def test_residual_without_any_layer_of_equal_width_is_a_plain_chain_and_converts():
    mlp = nn.MLP(2, [5, 1], residual=True, seed=3)  # 2 -> 5: widths differ, so no skip is ever added
    seq = nn.to_torch(mlp)
    for x in inputs(2):
        assert close(mlp(x).data, seq(torch.tensor(x, dtype=torch.float64)).item())


@pytest.mark.parametrize("thing", [nn.Layer(2, 3), nn.Neuron(2), "MLP"], ids=["Layer", "Neuron", "str"])
def test_to_torch_takes_only_an_mlp(thing):
    with pytest.raises(TypeError, match="converts an nn.MLP"):
        nn.to_torch(thing)


# --- from torch -----------------------------------------------------------------------------------------------


def torch_mlp(nin: int, nouts: list[int], activation: str, output_activation: str, dtype=torch.float64):
    """A Sequential written by hand the way a PyTorch user would, with torch's own random initialization."""
    torch.manual_seed(0)
    modules = []
    sizes = [nin, *nouts]
    for i in range(len(nouts)):
        modules.append(torch.nn.Linear(sizes[i], sizes[i + 1], dtype=dtype))
        name = activation if i < len(nouts) - 1 else output_activation
        if name != "linear":
            modules.append(TORCH_MODULE[name]())
    return torch.nn.Sequential(*modules)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("nin, nouts", SHAPES)
def test_from_torch_computes_the_same_outputs(activation, nin, nouts):
    output_activation = ACTIVATIONS[(ACTIVATIONS.index(activation) + 1) % len(ACTIVATIONS)]
    seq = torch_mlp(nin, nouts, activation, output_activation)
    mlp = nn.from_torch(seq)
    assert (mlp.nin, [layer.nout for layer in mlp.layers]) == (nin, nouts)
    assert mlp.config["output_activation"] == output_activation
    if len(nouts) > 1:
        assert mlp.config["activation"] == activation
    for x in inputs(nin, seed=5):
        ours = [v.data for v in as_list(mlp(x))]
        theirs = seq(torch.tensor(x, dtype=torch.float64)).tolist()
        assert all(close(o, t) for o, t in zip(ours, theirs, strict=True))


def test_from_torch_reads_dropout_and_the_training_mode():
    seq = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Dropout(0.2),
                              torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Dropout(0.2), torch.nn.Linear(4, 1))
    mlp = nn.from_torch(seq.eval())
    assert mlp.config["dropout"] == 0.2 and mlp.dropout is not None
    assert all(not m.training for m in mlp.modules())


def test_float32_weights_arrive_as_the_same_numbers_in_float64():
    seq = torch_mlp(3, [2], "relu", "linear", dtype=torch.float32)
    mlp = nn.from_torch(seq)
    assert [w.data for w in mlp.layers[0].neurons[1].w] == seq[0].weight[1].double().tolist()


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_to_torch_and_back_gives_exactly_the_same_model(activation):
    mlp = nn.MLP(3, [4, 4, 2], activation=activation, output_activation="tanh", dropout=0.1, seed=7)
    back = nn.from_torch(nn.to_torch(mlp))
    assert back.state_dict() == mlp.state_dict()
    for key in ("nin", "nouts", "activation", "output_activation", "dropout"):
        assert back.config[key] == mlp.config[key]


def test_torch_to_mlp_and_back_gives_exactly_the_same_sequential():
    seq = torch_mlp(3, [4, 2], "elu", "sigmoid")
    back = nn.to_torch(nn.from_torch(seq))
    assert [type(m) for m in back] == [type(m) for m in seq]
    for a, b in zip(back.parameters(), seq.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("module", [torch.nn.GELU(), torch.nn.Softmax(dim=0), torch.nn.Identity()])
def test_an_unsupported_module_is_a_type_error_naming_it(module):
    seq = torch.nn.Sequential(torch.nn.Linear(2, 3), module, torch.nn.Linear(3, 1))
    with pytest.raises(TypeError, match=f"unsupported module {type(module).__name__} at index 1"):
        nn.from_torch(seq)


BAD_SEQUENTIALS = {
    "empty": (lambda: [], "no Linear"),
    "starts with an activation": (lambda: [torch.nn.ReLU(), torch.nn.Linear(2, 1)], "must start with a Linear"),
    "other leaky slope": (lambda: [torch.nn.Linear(2, 1), torch.nn.LeakyReLU(0.2)], "negative_slope=0.01"),
    "other elu alpha": (lambda: [torch.nn.Linear(2, 1), torch.nn.ELU(alpha=0.5)], "alpha=1.0"),
    "two activations": (lambda: [torch.nn.Linear(2, 1), torch.nn.ReLU(), torch.nn.Tanh()], "directly follow"),
    "sizes that do not chain": (lambda: [torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)], "reads 4 inputs"),
    "no bias": (lambda: [torch.nn.Linear(2, 1, bias=False)], "bias=False"),
    "mixed hidden activations": (lambda: [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3),
                                          torch.nn.Tanh(), torch.nn.Linear(3, 1)], "share one activation"),
    "dropout after the output": (lambda: [torch.nn.Linear(2, 1), torch.nn.Dropout(0.5)], "no dropout after its last"),
    "uneven dropout": (lambda: [torch.nn.Linear(2, 3), torch.nn.Dropout(0.5), torch.nn.Linear(3, 3),
                                torch.nn.Linear(3, 1)], "same dropout"),
}  # fmt: skip


@pytest.mark.parametrize("name", BAD_SEQUENTIALS)
def test_a_sequential_that_is_not_an_mlp_is_a_value_error_saying_why(name):
    make, message = BAD_SEQUENTIALS[name]
    with pytest.raises(ValueError, match=message):
        nn.from_torch(torch.nn.Sequential(*make()))


def test_from_torch_takes_only_a_sequential():
    with pytest.raises(TypeError, match="torch.nn.Sequential"):
        nn.from_torch(torch.nn.Linear(2, 1))


def test_without_torch_both_directions_say_how_to_install_it(monkeypatch):
    mlp = nn.MLP(2, [1])
    monkeypatch.setitem(sys.modules, "torch", None)  # what `import torch` sees when torch is not installed
    with pytest.raises(ImportError, match="pip install torch"):
        nn.to_torch(mlp)
    with pytest.raises(ImportError, match="pip install torch"):
        nn.from_torch(object())
