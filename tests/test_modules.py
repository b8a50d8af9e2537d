"""nn.Module, Neuron, Layer, MLP, Dropout and nn.init: names, modes, state, graphs, and parity with PyTorch float64."""

import json
import math
import random

import pytest
import torch
import torch.nn.functional as F

import autograd
import nn
from autograd import Value

ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "linear"]
TORCH_ACT = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
    "elu": lambda z: F.elu(z, alpha=1.0),
    "linear": lambda z: z,
}
SHAPES = [(1, [1]), (3, [4, 2]), (2, [16, 1, 1]), (4, [5, 5, 3]), (2, [3, 3, 3, 1])]
F64 = torch.float64


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


def as_list(out) -> list:
    return out if isinstance(out, list) else [out]


def points(nin: int, count: int = 3, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(count)]


def torch_params(mlp: nn.MLP) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each layer's weights copied into a torch matrix W (row j = neuron j) and bias vector b."""
    return [
        (torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=F64, requires_grad=True),
         torch.tensor([n.b.data for n in layer.neurons], dtype=F64, requires_grad=True))
        for layer in mlp.layers
    ]  # fmt: skip


def torch_forward(params, activations: list[str], x: torch.Tensor) -> torch.Tensor:
    for (W, b), name in zip(params, activations, strict=True):
        x = TORCH_ACT[name](W @ x + b)
    return x


def assert_gradients_match(mlp: nn.MLP, params) -> None:
    for layer, (W, b) in zip(mlp.layers, params, strict=True):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                assert close(w.grad, W.grad[j, i].item()), (j, i)
            assert close(neuron.b.grad, b.grad[j].item())


def activations_of(mlp: nn.MLP) -> list[str]:
    return [layer.activation for layer in mlp.layers]


# --- names, order and recursion -------------------------------------------------------------------------------


def test_named_parameters_go_layer_by_layer_neuron_by_neuron_w_then_b():
    mlp = nn.MLP(3, [2, 1])
    expected = []
    for layer, (nin, nout) in enumerate([(3, 2), (2, 1)]):
        for j in range(nout):
            expected += [f"layers.{layer}.neurons.{j}.w.{i}" for i in range(nin)] + [f"layers.{layer}.neurons.{j}.b"]
    assert [name for name, _ in mlp.named_parameters()] == expected
    by_hand = [v for layer in mlp.layers for n in layer.neurons for v in [*n.w, n.b]]
    assert len(by_hand) == mlp.num_parameters() == (3 + 1) * 2 + (2 + 1) * 1
    assert all(p is q for p, q in zip(mlp.parameters(), by_hand, strict=True))


def test_the_dotted_name_of_the_issue_points_at_that_weight():
    mlp = nn.MLP(2, [16, 1])
    params = dict(mlp.named_parameters())
    assert params["layers.0.neurons.3.w.1"] is mlp.layers[0].neurons[3].w[1]
    assert params["layers.0.neurons.3.b"] is mlp.layers[0].neurons[3].b


def test_parameters_are_the_named_parameters_in_the_same_order():
    mlp = nn.MLP(2, [3, 2], dropout=0.5)
    assert mlp.parameters() == [p for _, p in mlp.named_parameters()]
    neuron = nn.Neuron(3)
    assert [n for n, _ in neuron.named_parameters()] == ["w.0", "w.1", "w.2", "b"]
    assert nn.Layer(2, 2).named_parameters()[2][0] == "neurons.0.b"
    for model in (TwoHeads(), Shared(), nn.MLP(3, [4, 4, 2], residual=True)):  # parameters() skips the names
        assert model.parameters() == [p for _, p in model.named_parameters()]
    # A module's own parameters come before those of its sub-modules, as in PyTorch.
    assert [n for n, _ in Shared().named_parameters()] == ["w", "first.w.0", "first.w.1", "first.b", "pair.1.w.0",
                                                           "pair.1.b"]  # fmt: skip


class Shared(nn.Module):
    """A module reachable under two names, and a parameter under two: each is listed once, first name first."""

    def __init__(self):
        self.first = nn.Neuron(2)
        self.again = self.first
        self.w = Value(1.0)
        self.pair = (self.w, nn.Neuron(1))


class TwoHeads(nn.Module):
    """A hand-made module: its parts are registered in the order they are assigned."""

    def __init__(self):
        self.scale = Value(2.0)
        self.body = nn.Layer(2, 2)
        self.heads = [nn.Neuron(2, "linear"), nn.Neuron(2, "tanh")]
        self._cache = Value(9.0)  # private: not a parameter

    def forward(self, x):
        h = self.body(x)
        return [head(h) * self.scale for head in self.heads]


def test_a_custom_module_finds_its_parameters_and_submodules_in_assignment_order():
    m = TwoHeads()
    names = [n for n, _ in m.named_parameters()]
    assert names[0] == "scale"
    assert names[1:4] == ["body.neurons.0.w.0", "body.neurons.0.w.1", "body.neurons.0.b"]
    assert names[-3:] == ["heads.1.w.0", "heads.1.w.1", "heads.1.b"]
    assert len(names) == 1 + 6 + 3 + 3
    assert [n for n, _ in m.named_children()] == ["body", "heads.0", "heads.1"]
    assert m([1.0, 2.0])[1].data == 2.0 * m.heads[1](m.body([1.0, 2.0])).data


def test_zero_grad_resets_every_gradient_to_float_zero():
    mlp = nn.MLP(2, [3, 1])
    mlp([1.0, -2.0]).backward()
    assert any(p.grad != 0.0 for p in mlp.parameters())
    mlp.zero_grad()
    assert all(p.grad == 0.0 and type(p.grad) is float for p in mlp.parameters())


def test_train_and_eval_reach_every_module_and_return_the_model():
    mlp = nn.MLP(2, [3, 3, 1], dropout=0.5)
    assert all(m.training for m in mlp.modules())
    assert mlp.eval() is mlp
    assert len(mlp.modules()) == 1 + 3 + 3 + 3 + 1 + 1  # the MLP, its layers, their neurons, the Dropout
    assert not any(m.training for m in mlp.modules())
    assert mlp.train() is mlp and all(m.training for m in mlp.modules())
    mlp.train(False)
    assert not mlp.dropout.training


def test_train_takes_a_bool():
    with pytest.raises(TypeError, match="bool"):
        nn.MLP(2, [1]).train("no")


def test_calling_a_module_runs_forward_and_the_base_class_has_none():
    mlp = nn.MLP(2, [2, 1], seed=0)
    assert mlp([0.5, 1.0]).data == mlp.forward([0.5, 1.0]).data
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1.0)


# --- state_dict ---------------------------------------------------------------------------------------------


def test_state_dict_maps_each_dotted_name_to_its_number():
    mlp = nn.MLP(2, [2, 1], seed=0)
    state = mlp.state_dict()
    assert state == {name: p.data for name, p in mlp.named_parameters()}
    assert list(state) == [name for name, _ in mlp.named_parameters()]
    state["layers.0.neurons.0.b"] = 99.0
    assert mlp.layers[0].neurons[0].b.data == 0.0  # a copy of the numbers, not a view


def test_load_state_dict_makes_another_model_compute_the_same():
    a, b = nn.MLP(3, [4, 2], seed=1), nn.MLP(3, [4, 2], seed=2)
    assert a.state_dict() != b.state_dict()
    result = b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    assert [v.data for v in b([1.0, 2.0, 3.0])] == [v.data for v in a([1.0, 2.0, 3.0])]
    assert (result.missing_keys, result.unexpected_keys) == ([], [])


def broken(kind: str) -> dict:
    state = nn.MLP(2, [2, 1], seed=9).state_dict()
    if kind == "missing":
        del state["layers.1.neurons.0.w.1"]
    elif kind == "unexpected":
        state["layers.2.neurons.0.b"] = 1.0
    return state


@pytest.mark.parametrize("kind, error, named", [
    ("missing", RuntimeError, r"missing key\(s\): layers\.1\.neurons\.0\.w\.1"),
    ("unexpected", RuntimeError, r"unexpected key\(s\): 'layers\.2\.neurons\.0\.b'"),
])  # fmt: skip
def test_load_state_dict_with_wrong_keys_names_them_and_leaves_the_model_unchanged(kind, error, named):
    mlp = nn.MLP(2, [2, 1], seed=0)
    before = mlp.state_dict()
    with pytest.raises(error, match=named):
        mlp.load_state_dict(broken(kind))
    assert mlp.state_dict() == before


@pytest.mark.parametrize("bad", ["0.5", None, True, [1.0], torch.tensor(1.0)], ids=repr)
def test_load_state_dict_with_a_value_that_is_not_a_number_names_its_key_and_changes_nothing(bad):
    mlp = nn.MLP(2, [2, 1], seed=0)
    before = mlp.state_dict()
    state = {k: v + 1.0 for k, v in before.items()}
    state["layers.1.neurons.0.b"] = bad  # the last key: every earlier one is good and must not be applied
    with pytest.raises(TypeError, match=r"layers\.1\.neurons\.0\.b"):
        mlp.load_state_dict(state)
    assert mlp.state_dict() == before


def test_load_state_dict_takes_a_mapping():
    with pytest.raises(TypeError, match="dict"):
        nn.MLP(2, [1]).load_state_dict([("layers.0.neurons.0.b", 1.0)])


def test_non_strict_loading_applies_what_fits_and_returns_the_skipped_keys():
    mlp = nn.MLP(2, [1], seed=0)
    result = mlp.load_state_dict({"layers.0.neurons.0.w.0": 5.0, "extra": 1.0}, strict=False)
    assert result.missing_keys == ["layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert result.unexpected_keys == ["extra"]
    assert mlp.layers[0].neurons[0].w[0].data == 5.0


# --- repr ---------------------------------------------------------------------------------------------------


def test_repr_is_a_pytorch_like_tree():
    assert repr(nn.MLP(2, [3, 1])) == (
        "MLP(2 -> 3 -> 1\n"
        "  (layers.0): Layer(2 -> 3, activation='relu')\n"
        "  (layers.1): Layer(3 -> 1, activation='linear')\n"
        ")"
    )
    assert repr(nn.Neuron(3, "tanh")) == "Neuron(3, activation='tanh')"
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"
    assert "(dropout): Dropout(p=0.5)" in repr(nn.MLP(2, [3, 1], dropout=0.5))
    assert repr(nn.MLP(3, [3, 1], residual=True)).startswith("MLP(3 -> 3 -> 1, residual=True\n")


# --- the Neuron's graph -----------------------------------------------------------------------------------------


def interior_nodes(out: Value) -> list[Value]:
    """Every node of the graph under out that was computed (not a leaf), each once."""
    seen, stack, found = set(), [out], []
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if v.op:
            found.append(v)
        stack.extend(v.parents)
    return found


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_neuron_is_one_dot_node_and_one_activation_node(activation):
    neuron = nn.Neuron(3, activation)
    x = [Value(1.0), 2.0, Value(-1.5)]
    out = neuron(x)
    ops = sorted(v.op for v in interior_nodes(out))
    expected = ["dot"] if activation == "linear" else sorted(["dot", activation])
    assert ops == expected
    z = out if activation == "linear" else out.parents[0]
    assert z.op == "dot"
    assert {id(p) for p in z.parents} == {id(v) for v in [*neuron.w, neuron.b, x[0], x[2]]}
    assert len(z.parents) == 6  # the weights, the bias and the two Value inputs; 2.0 and the bias's 1 are constants
    assert close(z.data, sum(w.data * float(xi.data if isinstance(xi, Value) else xi)
                             for w, xi in zip(neuron.w, x)) + neuron.b.data)  # fmt: skip


@pytest.mark.parametrize("make", [
    lambda: nn.Neuron(2, "gelu"), lambda: nn.Layer(2, 2, activation="swish"),
    lambda: nn.MLP(2, [1], activation="softmax"), lambda: nn.MLP(2, [1], output_activation="Relu"),
])  # fmt: skip
def test_an_unknown_activation_is_a_value_error_listing_the_choices(make):
    with pytest.raises(ValueError) as error:
        make()
    assert all(name in str(error.value) for name in ACTIVATIONS)


# --- parity with PyTorch ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("nin, nouts", SHAPES)
def test_outputs_and_gradients_of_the_sum_of_outputs_match_torch(activation, nin, nouts):
    mlp = nn.MLP(nin, nouts, activation=activation, output_activation=activation, seed=3)
    for x in points(nin):
        mlp.zero_grad()
        params = torch_params(mlp)
        ours = as_list(mlp(x))
        theirs = torch_forward(params, activations_of(mlp), torch.tensor(x, dtype=F64))
        assert all(close(o.data, t) for o, t in zip(ours, theirs.tolist(), strict=True))
        autograd.sum(ours).backward()
        theirs.sum().backward()
        assert_gradients_match(mlp, params)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("nin, nouts", SHAPES[1:])
def test_gradients_of_a_squared_error_loss_over_a_batch_match_torch(activation, nin, nouts):
    mlp = nn.MLP(nin, nouts, activation=activation, seed=4)
    params = torch_params(mlp)
    batch = points(nin, count=5, seed=1)
    targets = [[math.sin(i + k) for k in range(nouts[-1])] for i in range(len(batch))]
    errors = [(o - t) ** 2 for x, ts in zip(batch, targets) for o, t in zip(as_list(mlp(x)), ts, strict=True)]
    loss = autograd.mean(errors)
    loss.backward()
    outs = torch.stack([torch_forward(params, activations_of(mlp), torch.tensor(x, dtype=F64)) for x in batch])
    torch_loss = F.mse_loss(outs, torch.tensor(targets, dtype=F64))
    torch_loss.backward()
    assert close(loss.data, torch_loss.item())
    assert_gradients_match(mlp, params)


def test_a_layer_of_one_neuron_inside_an_mlp_still_works():
    """micrograd's MLP(2, [16, 1, 1]) fails: its 1-neuron layer returns a bare Value the next layer cannot read."""
    mlp = nn.MLP(2, [16, 1, 1], seed=0)
    out = mlp([0.5, -1.0])
    assert isinstance(out, Value)
    params = torch_params(mlp)
    theirs = torch_forward(params, activations_of(mlp), torch.tensor([0.5, -1.0], dtype=F64))
    assert close(out.data, theirs.item())


def test_a_layer_returns_a_list_or_a_single_value_for_one_neuron():
    assert isinstance(nn.Layer(2, 1)([1.0, 2.0]), Value)
    out = nn.Layer(2, 3)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_residual_adds_each_equal_width_hidden_layers_input_to_its_output_like_torch():
    mlp = nn.MLP(3, [3, 5, 5, 2], activation="tanh", residual=True, seed=5)
    (W0, b0), (W1, b1), (W2, b2), (W3, b3) = params = torch_params(mlp)
    x = [0.3, -0.7, 1.1]
    ours = mlp(x)
    t = torch.tensor(x, dtype=F64)
    h = t + torch.tanh(W0 @ t + b0)  # 3 -> 3: a skip
    h = torch.tanh(W1 @ h + b1)  # 3 -> 5: widths differ, no skip
    h = h + torch.tanh(W2 @ h + b2)  # 5 -> 5: a skip
    theirs = W3 @ h + b3  # the output layer never has one
    assert all(close(o.data, v) for o, v in zip(ours, theirs.tolist(), strict=True))
    autograd.sum(ours).backward()
    theirs.sum().backward()
    assert_gradients_match(mlp, params)


@pytest.mark.parametrize("make, nin", [(lambda: nn.Neuron(3), 3), (lambda: nn.Layer(3, 2), 3),
                                       (lambda: nn.MLP(3, [2, 1]), 3)])  # fmt: skip
def test_an_input_of_the_wrong_length_names_both_lengths(make, nin):
    with pytest.raises(ValueError, match=r"expected an input of length 3, got length 2"):
        make()([1.0, 2.0])


@pytest.mark.parametrize("bad, error", [(["a", 1.0], TypeError), ([True, 1.0], TypeError), (None, TypeError)])
def test_an_input_that_is_not_numbers_is_a_type_error(bad, error):
    with pytest.raises(error, match="input"):
        nn.MLP(2, [1])(bad)


def test_inputs_may_be_values_and_then_get_gradients_like_torch():
    mlp = nn.MLP(3, [4, 4, 2], activation="elu", seed=6)
    params = torch_params(mlp)
    xs = [Value(0.4), Value(-1.3), 2.0]  # Values and a plain float, mixed
    autograd.sum(mlp(xs)).backward()
    t = torch.tensor([0.4, -1.3, 2.0], dtype=F64, requires_grad=True)
    torch_forward(params, activations_of(mlp), t).sum().backward()
    assert close(xs[0].grad, t.grad[0].item()) and close(xs[1].grad, t.grad[1].item())
    assert_gradients_match(mlp, params)


def test_a_one_input_model_takes_a_bare_number():
    mlp = nn.MLP(1, [3, 1], seed=0)
    assert mlp(0.5).data == mlp([0.5]).data


@pytest.mark.parametrize("kwargs, error", [
    ({"nin": 0, "nouts": [1]}, ValueError), ({"nin": 2.0, "nouts": [1]}, TypeError),
    ({"nin": 2, "nouts": 3}, TypeError), ({"nin": 2, "nouts": []}, TypeError),
    ({"nin": 2, "nouts": [2, 0]}, ValueError),
    ({"nin": 2, "nouts": [1], "residual": "yes"}, TypeError), ({"nin": 2, "nouts": [1], "seed": "a"}, TypeError),
    ({"nin": 2, "nouts": [1], "init": "normal"}, ValueError), ({"nin": 2, "nouts": [2, 1], "dropout": 1.5}, ValueError),
])  # fmt: skip
def test_bad_mlp_arguments_are_clear_errors(kwargs, error):
    with pytest.raises(error):
        nn.MLP(**kwargs)


# --- dropout --------------------------------------------------------------------------------------------------


def units(n: int, seed: int = 0) -> list[Value]:
    rng = random.Random(seed)
    return [Value(rng.uniform(0.5, 2.0)) for _ in range(n)]


def test_dropout_in_eval_mode_is_the_identity():
    xs = units(100)
    out = nn.Dropout(0.5, seed=0).eval()(xs)
    assert [o.data for o in out] == [x.data for x in xs]


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_dropout_zeros_a_fraction_p_within_binomial_bounds_and_scales_the_rest_by_exactly_1_over_1_minus_p(p):
    n = 20000
    xs = units(n)
    out = nn.Dropout(p, seed=1)(xs)
    zeros = sum(o.data == 0.0 for o in out)
    assert abs(zeros - n * p) <= 5 * math.sqrt(n * p * (1 - p))  # 5 standard deviations of Binomial(n, p)
    scale = 1.0 / (1.0 - p)  # torch multiplies by this same float
    assert all(o.data == 0.0 or o.data == x.data * scale for o, x in zip(out, xs))
    autograd.sum(out).backward()
    assert all(x.grad == (0.0 if o.data == 0.0 else scale) for o, x in zip(out, xs))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_preserves_the_mean_statistically(p):
    n = 40000
    out = nn.Dropout(p, seed=2)([Value(1.0) for _ in range(n)])
    mean = sum(o.data for o in out) / n
    assert abs(mean - 1.0) <= 5 * math.sqrt(p / (1 - p) / n)  # each unit: mean 1, variance p/(1-p)


def test_dropout_with_a_seed_is_reproducible_and_each_call_draws_a_new_mask():
    xs = units(200)
    a, b = nn.Dropout(0.5, seed=7), nn.Dropout(0.5, seed=7)
    first = [o.data for o in a(xs)]
    assert first == [o.data for o in b(xs)]
    assert first != [o.data for o in a(xs)]
    assert first != [o.data for o in nn.Dropout(0.5, seed=8)(xs)]


def test_dropout_of_zero_and_one():
    xs = units(50)
    assert [o.data for o in nn.Dropout(0.0)(xs)] == [x.data for x in xs]
    assert all(o.data == 0.0 for o in nn.Dropout(1.0)(xs))


@pytest.mark.parametrize("p, error", [(1.5, ValueError), (-0.1, ValueError), ("0.5", TypeError)])
def test_a_bad_dropout_probability_is_a_clear_error(p, error):
    with pytest.raises(error, match="dropout probability"):
        nn.Dropout(p)


def test_an_mlp_with_dropout_and_a_seed_is_reproducible_in_training_and_deterministic_in_eval():
    a, b = nn.MLP(3, [50, 50, 2], dropout=0.5, seed=11), nn.MLP(3, [50, 50, 2], dropout=0.5, seed=11)
    x = [1.0, -0.5, 0.25]
    assert [v.data for v in a(x)] == [v.data for v in b(x)]
    a.eval()
    assert [v.data for v in a(x)] == [v.data for v in a(x)]
    params = torch_params(a)
    theirs = torch_forward(params, activations_of(a), torch.tensor(x, dtype=F64))
    assert all(close(o.data, t) for o, t in zip(a(x), theirs.tolist(), strict=True))


def test_dropout_does_not_touch_the_global_random_state():
    random.seed(123)
    state = random.getstate()
    nn.MLP(2, [8, 1], dropout=0.5)([1.0, 2.0])
    nn.Dropout(0.5)(units(10))
    assert random.getstate() == state


# --- init -----------------------------------------------------------------------------------------------------


def torch_gain(activation: str) -> float:
    # torch has no gain for ELU; chaingrad documents using ReLU's, as both are the identity above zero.
    if activation == "elu":
        return torch.nn.init.calculate_gain("relu")
    if activation == "leaky_relu":
        return torch.nn.init.calculate_gain("leaky_relu", 0.01)
    return torch.nn.init.calculate_gain(activation)


def weights_of(layer: nn.Layer) -> list[float]:
    return [w.data for n in layer.neurons for w in n.w]


def check_uniform(ws: list[float], bound: float) -> None:
    """All within ±bound, reaching near it, and the variance of U(-bound, bound), bound²/3, within 5 sigma."""
    n = len(ws)
    assert all(-bound <= w <= bound for w in ws)
    assert max(abs(w) for w in ws) > 0.99 * bound
    var = sum(w * w for w in ws) / n
    sigma = math.sqrt(4 / 45) * bound**2 / math.sqrt(n)  # std of the mean of w² for w ~ U(-bound, bound)
    assert abs(var - bound**2 / 3) <= 5 * sigma


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_kaiming_uniform_bound_is_gain_times_sqrt_3_over_fan_in(activation):
    fan_in, fan_out = 200, 100
    layer = nn.Layer(fan_in, fan_out, activation=activation, init="kaiming", rng=random.Random(0))
    bound = torch_gain(activation) * math.sqrt(3.0 / fan_in)
    check_uniform(weights_of(layer), bound)
    assert all(n.b.data == 0.0 for n in layer.neurons)
    if activation != "elu":  # torch's own kaiming_uniform_ draws within the same bound
        t = torch.empty(fan_out, fan_in, dtype=F64)
        slope = 0.01 if activation == "leaky_relu" else 0.0
        torch.nn.init.kaiming_uniform_(t, a=slope, nonlinearity=activation)
        assert bound * 0.99 < t.abs().max().item() <= bound * (1 + 1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_xavier_uniform_bound_is_gain_times_sqrt_6_over_fan_in_plus_fan_out(activation):
    fan_in, fan_out = 150, 120
    layer = nn.Layer(fan_in, fan_out, activation=activation, init="xavier", rng=random.Random(1))
    bound = torch_gain(activation) * math.sqrt(6.0 / (fan_in + fan_out))
    check_uniform(weights_of(layer), bound)
    assert all(n.b.data == 0.0 for n in layer.neurons)
    t = torch.empty(fan_out, fan_in, dtype=F64)
    torch.nn.init.xavier_uniform_(t, gain=torch_gain(activation))
    assert bound * 0.99 < t.abs().max().item() <= bound * (1 + 1e-12)


def test_uniform_init_is_micrograds_u_minus_1_1():
    layer = nn.Layer(200, 100, init="uniform", rng=random.Random(2))
    check_uniform(weights_of(layer), 1.0)
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_an_mlp_uses_the_hidden_gain_for_hidden_layers_and_the_output_gain_for_the_last():
    mlp = nn.MLP(300, [100, 60], activation="tanh", output_activation="linear", seed=0)
    check_uniform(weights_of(mlp.layers[0]), torch_gain("tanh") * math.sqrt(3 / 300))
    check_uniform(weights_of(mlp.layers[1]), torch_gain("linear") * math.sqrt(3 / 100))


@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "relu", "leaky_relu"])
def test_calculate_gain_is_torchs(name):
    assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name), rel=1e-15)


def test_calculate_gain_of_leaky_relu_uses_its_slope_like_torch():
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2), rel=1e-15)  # fmt: skip


def test_calculate_gain_of_an_unknown_nonlinearity_lists_the_choices():
    with pytest.raises(ValueError, match="relu"):
        nn.init.calculate_gain("swish")


@pytest.mark.parametrize("init", ["kaiming", "xavier", "uniform"])
def test_a_seed_makes_the_model_reproducible_without_touching_global_random(init):
    random.seed(42)
    state = random.getstate()
    a = nn.MLP(3, [8, 8, 2], init=init, seed=5)
    b = nn.MLP(3, [8, 8, 2], init=init, seed=5)
    nn.MLP(3, [8, 2], init=init)  # no seed: a fresh private generator, still not the global one
    assert random.getstate() == state
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != nn.MLP(3, [8, 8, 2], init=init, seed=6).state_dict()
    assert nn.MLP(3, [8, 2], init=init).state_dict() != nn.MLP(3, [8, 2], init=init).state_dict()


def test_neuron_and_layer_take_a_seed_like_mlp_without_touching_global_random_state() -> None:
    import random as global_random

    state = global_random.getstate()
    first = [w.data for w in nn.Neuron(5, seed=7).w]
    again = [w.data for w in nn.Neuron(5, seed=7).w]
    other = [w.data for w in nn.Neuron(5, seed=8).w]
    layer_a = [p.data for p in nn.Layer(3, 4, seed=2).parameters()]
    layer_b = [p.data for p in nn.Layer(3, 4, seed=2).parameters()]
    assert first == again and first != other and layer_a == layer_b
    assert global_random.getstate() == state
    with pytest.raises(TypeError, match="seed must be an int or None"):
        nn.Neuron(2, seed=1.5)


# --- init arguments: checked before any weight is written -----------------------------------------------------


@pytest.mark.parametrize("call, error, named", [
    (lambda w: nn.init.uniform(w, math.nan, 1.0), ValueError, "a must be a finite number"),
    (lambda w: nn.init.uniform(w, 0.0, math.inf), ValueError, "b must be a finite number"),
    (lambda w: nn.init.uniform(w, 1.0, -1.0), ValueError, r"a <= b, got a=1\.0, b=-1\.0"),
    (lambda w: nn.init.uniform(w, "0", 1.0), TypeError, "a must be a finite number"),
    (lambda w: nn.init.uniform(w, 10**400, 10**401), ValueError, "too large for a float"),
    (lambda w: nn.init.xavier_uniform(w, 2, 3, gain=math.nan), ValueError, "gain must be a finite number >= 0"),
    (lambda w: nn.init.xavier_uniform(w, 2, 3, gain=-1.0), ValueError, "gain must be a finite number >= 0"),
    (lambda w: nn.init.xavier_uniform(w, 2, 3, gain=None), TypeError, "gain"),
    (lambda w: nn.init.xavier_uniform(w, 2, -2), ValueError, "fan_out must be an int >= 1, got -2"),
    (lambda w: nn.init.kaiming_uniform(w, 0), ValueError, "fan_in must be an int >= 1, got 0"),
    (lambda w: nn.init.kaiming_uniform(w, -3), ValueError, "fan_in must be an int >= 1, got -3"),
    (lambda w: nn.init.kaiming_uniform(w, 2.0), TypeError, "fan_in must be an int"),
    (lambda w: nn.init.kaiming_uniform(w, 2, rng=3), TypeError, "rng must be a random.Random or None, got 3"),
    (lambda w: nn.init.kaiming_uniform(w, 2, nonlinearity="swish"), ValueError, "swish"),
    (lambda w: nn.init.kaiming_uniform(w, 2, nonlinearity=["relu"]), TypeError, "nonlinearity"),
    (lambda w: nn.init.uniform(w + [1.0]), TypeError, r"values\[3\] must be a Value, got 1\.0"),
    (lambda w: nn.init.uniform(w[0]), TypeError, "values must be a list of Values"),
])  # fmt: skip
def test_a_bad_init_argument_is_a_clear_error_and_no_weight_changes(call, error, named):
    w = [Value(0.5) for _ in range(3)]
    with pytest.raises(error, match=named):
        call(w)
    assert [v.data for v in w] == [0.5, 0.5, 0.5]


def test_uniform_with_a_equal_to_b_fills_that_number_as_torch_does():
    w = [Value(0.0) for _ in range(4)]
    nn.init.uniform(w, 2.5, 2.5)
    assert [v.data for v in w] == torch.empty(4, dtype=F64).uniform_(2.5, 2.5).tolist() == [2.5] * 4


def test_init_takes_numpy_numbers_as_the_same_python_numbers():
    np = pytest.importorskip("numpy")
    plain, odd = [Value(0.0) for _ in range(6)], [Value(0.0) for _ in range(6)]
    nn.init.xavier_uniform(plain, 4, 2, gain=2.0, rng=random.Random(3))
    nn.init.xavier_uniform(odd, np.int64(4), np.int32(2), gain=np.float32(2.0), rng=random.Random(3))
    assert [v.data for v in odd] == [v.data for v in plain]
    nn.init.uniform(odd, np.float32(-0.5), np.float64(0.25), rng=random.Random(4))
    nn.init.uniform(plain, -0.5, 0.25, rng=random.Random(4))
    assert [v.data for v in odd] == [v.data for v in plain]


# --- constructor and forward arguments: readable errors, NumPy numbers as Python's ---------------------------


@pytest.mark.parametrize("make, error, named", [
    (lambda: nn.Neuron(2, init="xavier", fan_out=-2), ValueError, "fan_out must be an int >= 1, got -2"),
    (lambda: nn.Neuron(2, init="xavier", fan_out=0), ValueError, "fan_out must be an int >= 1, got 0"),
    (lambda: nn.Neuron(2, rng=3), TypeError, "rng must be a random.Random or None, got 3"),
    (lambda: nn.Layer(2, 2, rng="r"), TypeError, "rng must be a random.Random"),
    (lambda: nn.Layer(2, 2, init="normal"), ValueError, "unknown init 'normal'"),
    (lambda: nn.Neuron(2, activation=["relu"]), TypeError, "activation"),
    (lambda: nn.MLP(2, [2, 1], dropout=None), TypeError, "dropout must be a number between 0 and 1, got None"),
    (lambda: nn.MLP(2, [2, 1], dropout="0.5"), TypeError, "dropout must be a number between 0 and 1"),
    (lambda: nn.MLP(2, [2, 1], dropout=math.nan), ValueError, "dropout must be a number between 0 and 1, got nan"),
    (lambda: nn.MLP(True, [1]), TypeError, "nin must be an int >= 1, got True"),
    (lambda: nn.MLP(2, "16"), TypeError, "nouts must be a non-empty list"),
    (lambda: nn.Dropout(seed="a"), TypeError, "seed must be an int or None, got 'a'"),
    (lambda: nn.Dropout(seed=1.5), TypeError, "seed must be an int or None, got 1.5"),
    (lambda: nn.Dropout(None), TypeError, "dropout probability p must be a number between 0 and 1, got None"),
    (lambda: nn.Dropout(True), TypeError, "dropout probability"),
])  # fmt: skip
def test_a_bad_constructor_argument_names_itself_what_it_got_and_what_is_allowed(make, error, named):
    with pytest.raises(error, match=named):
        make()


@pytest.mark.parametrize("bad, named", [("abc", "is str: 'abc'"), (None, "is NoneType"), ({"a": 1.0}, "is dict"),
                                        ([Value(1.0), "a"], "holds str: 'a'"), (True, "is bool: True"),
                                        ([[1.0], ["x"]], "holds str: 'x'")])  # fmt: skip
def test_dropout_of_something_that_is_not_values_or_numbers_is_a_type_error_saying_what_it_takes(bad, named):
    with pytest.raises(TypeError, match=f"Dropout takes .*{named}"):
        nn.Dropout(0.5, seed=0)(bad)


def test_dropout_of_a_number_zeroes_it_or_scales_it_and_of_a_batch_draws_masks_input_after_input():
    # The issue: Dropout()(3.0) was "'float' object is not iterable". A number is one unit, like a Value.
    outs = [nn.Dropout(0.5, seed=s)(3.0) for s in range(40)]
    assert set(outs) == {0.0, 6.0}
    assert nn.Dropout(0.5, seed=0).eval()(3.0) == 3.0
    xs = units(6)
    one_by_one = nn.Dropout(0.5, seed=4)
    expected = [[o.data for o in one_by_one(xs)], [o.data for o in one_by_one(xs)]]
    batch = nn.Dropout(0.5, seed=4)([xs, xs])
    assert [[o.data for o in out] for out in batch] == expected


def test_numpy_numbers_are_taken_wherever_python_numbers_are_and_bools_are_not():
    np = pytest.importorskip("numpy")
    plain = nn.MLP(2, [3, 1], dropout=0.25, seed=3)
    odd = nn.MLP(np.int64(2), [np.int32(3), np.int64(1)], dropout=np.float32(0.25), seed=np.int64(3))
    assert odd.config == plain.config and json.dumps(odd.config) == json.dumps(plain.config)
    assert odd.state_dict() == plain.state_dict()
    assert nn.Dropout(np.float32(0.25)).p == 0.25
    plain.eval(), odd.eval()
    x = [0.5, -1.25]  # both exact in float32
    assert odd([np.float32(0.5), np.float64(-1.25)]).data == plain(x).data == odd(x).data
    assert nn.MLP(1, [1], seed=0)(np.float32(0.5)).data == nn.MLP(1, [1], seed=0)(0.5).data
    odd.load_state_dict({k: np.float32(0.5) if i % 2 else np.int64(-2) for i, k in enumerate(odd.state_dict())})
    assert list(odd.state_dict().values()) == [0.5 if i % 2 else -2.0 for i in range(odd.num_parameters())]
    with pytest.raises(TypeError, match="nin must be an int"):
        nn.MLP(np.float32(2), [1])
    with pytest.raises(TypeError, match="input entries must be numbers or Values, got bool: True"):
        plain([True, 1.0])
    with pytest.raises(TypeError, match=r"state_dict\['layers\.0\.neurons\.0\.w\.0'\] must be a number"):
        plain.load_state_dict({k: np.bool_(True) for k in plain.state_dict()})


def test_load_state_dict_of_an_integer_too_large_for_a_float_is_a_value_error_and_changes_nothing():
    mlp = nn.MLP(2, [1], seed=0)
    before = mlp.state_dict()
    with pytest.raises(ValueError, match=r"state_dict\['layers\.0\.neurons\.0\.b'\] is an integer too large"):
        mlp.load_state_dict({**before, "layers.0.neurons.0.b": 10**400})
    assert mlp.state_dict() == before
