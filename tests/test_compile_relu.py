"""autograd.compile on relu networks: a relu's gradient pulled from its readers, and the test below an off hinge.

Two references. On finite numbers the eager engine: one sample compiled as a whole function does its float
operations in its order, so the two agree bit for bit. With inf and nan about, the program is held to the
chain rule on the whole graph, block by block (cut_free_grads below): the eager engine's walk except that it
does not stop at a relu that was off, where the program goes on (README, "Two tiers").
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value
from autograd.engine import topological_order

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPECIAL = (math.inf, -math.inf, math.nan)


def hinge(model: nn.Module, x: list, t: float) -> Value:
    return (1.0 - t * model(x)).relu()


def square(model: nn.Module, x: list, t: float) -> Value:
    return (model(x) - t) * (model(x) - t)


def relu_read_twice(model: nn.Module, x: list, t: float) -> Value:  # a relu read by * and by -, not by a dot
    h = model(x).relu()
    return h * t - h


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def cut_free_grads(losses: list[Value], params: list[Value]) -> list[float]:
    """What the program computes: the chain rule on floats over each sample's whole graph, a node skipped only
    when 0 comes in through finite derivatives (skip_zero), each parameter's shares added sample after sample."""
    total = {p: 0.0 for p in params}
    for loss in losses:
        grads: dict[Value, float] = {loss: 1.0}
        for node in reversed(topological_order([loss], cut=False)):
            g = grads.get(node, 0.0)
            if g == 0.0 and node._fn.skip_zero and math.isfinite(node._data):
                continue
            for arg, share in zip(node._args, node._fn.backward(g, node._data, *node._saved)):
                if arg in total:
                    total[arg] += share
                elif type(arg) is not float:
                    grads[arg] = grads[arg] + share if arg in grads else share
    return [total[p] for p in params]


def with_relus_off(seed: int) -> tuple[nn.MLP, list[float]]:
    """MLP(3, [6, 6, 1]) and a sample for which some relus of each hidden layer are off."""
    model = nn.MLP(3, [6, 6, 1], seed=seed)
    for layer in model.layers[:2]:
        for neuron in layer.neurons[::3]:
            neuron.b.data = -50.0
    rng = random.Random(seed)
    return model, [rng.uniform(-2, 2) for _ in range(3)]


@pytest.mark.parametrize("loss", [hinge, square, relu_read_twice])
@pytest.mark.parametrize("seed", range(6))
def test_a_pulled_relu_gradient_gives_the_eager_numbers_bit_for_bit(loss: Callable, seed: int) -> None:
    model, x = with_relus_off(seed)
    params = model.parameters()
    step = autograd.compile(lambda x, t: loss(model, x, t), parameters=model.named_parameters())
    value = step(x, 1.0)
    compiled = [p.grad for p in params]
    model.zero_grad()
    eager = loss(model, [Value(a) for a in x], 1.0)
    eager.backward()
    assert value == eager.data
    assert [repr(g) for g in compiled] == [repr(p.grad) for p in params]  # zeros with their signs too


def test_the_program_sums_a_relus_readers_shares_in_one_line_only_when_it_was_on() -> None:
    model, x = with_relus_off(0)
    code = autograd.compile(lambda x, t: square(model, x, t), parameters=model.named_parameters()).code(x, 1.0)
    assert "g_relu" not in code  # no relu's gradient is kept in a variable of its own
    pulled = next(line for line in code.splitlines() if line.strip().startswith("g_dot0 = "))
    assert pulled.strip().startswith("g_dot0 = 0.0 if dot0 <= 0.0 else (g_dot11 * l1_n5_w0 + g_dot10 * l1_n4_w0 + ")
    assert pulled.endswith("# relu: the shares of relu0's 6 readers, added only if it was on")
    assert "g_l1_n5_w0 += g_dot11 * relu0" in code  # a dot's own block keeps its weights' lines


def test_a_layer_over_relus_is_written_input_by_input_skipping_an_input_that_is_0_unless_a_weight_is_not_finite(
) -> None:  # fmt: skip
    model, x = with_relus_off(0)
    step = autograd.compile(lambda x: model(x), parameters=model.named_parameters())
    code = step.code(x, kind="forward")
    assert "# layers.1.neurons.0 ... layers.1.neurons.5: 6 dots of the same inputs, input by input" in code
    assert "dot6 = dot7 = dot8 = dot9 = dot10 = dot11 = 0.0" in code
    assert "if relu0 or not finite:  # skipped when relu0 is 0: 0 · w adds nothing" in code
    assert "finite = all(map(isfinite, (l1_n0_w0, l1_n0_w1, " in code
    hidden = model.layers[0]([Value(a) for a in x])
    off = next(j for j, h in enumerate(hidden) if h.data == 0.0)  # a relu of layer 0 that is off for x
    assert step.forward(x) == model([Value(a) for a in x]).data  # the same sums, bit for bit
    for special in SPECIAL:  # a weight on that input is inf or nan: 0 · w is nan, and so is the output
        model.layers[1].neurons[2].w[off].data = special
        eager = model([Value(a) for a in x]).data
        assert math.isnan(eager) and math.isnan(step.forward(x))


def test_a_relu_read_by_a_rule_that_runs_on_numbers_keeps_its_gradient_variable() -> None:
    # softmax's backward is called on numbers and hands back parts[i], overwritten by the next such call
    model = nn.MLP(2, [3, 2], seed=1)
    step = autograd.compile(lambda x: autograd.softmax([h.relu() for h in model(x)])[0])
    code = step.code([0.3, -0.4])
    assert "g_relu3 = parts[1]" in code and "g_dot3 = 0.0 if dot3 <= 0.0 else g_relu3  # relu" in code
    value = step([0.3, -0.4])
    compiled = [p.grad for p in model.parameters()]
    model.zero_grad()
    eager = autograd.softmax([h.relu() for h in model([Value(0.3), Value(-0.4)])])[0]
    eager.backward()
    assert value == eager.data and compiled == [p.grad for p in model.parameters()]


@SETTINGS
@given(seed=st.integers(0, 10_000), loss=st.sampled_from([hinge, square, relu_read_twice]),
       pokes=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from(SPECIAL)), max_size=3),
       n=st.integers(1, 4))  # fmt: skip
def test_inf_and_nan_weights_give_what_the_chain_rule_on_the_whole_graph_gives(
        seed: int, loss: Callable, pokes: list, n: int) -> None:  # fmt: skip
    model, _ = with_relus_off(seed)
    params = model.parameters()
    for where, value in pokes:  # an inf or nan weight: behind a relu that is on, off, or both across samples
        params[int(where * len(params))].data = value
    rng = random.Random(seed)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(n)]
    T = [rng.choice([-1.0, 1.0]) for _ in range(n)]
    step = autograd.compile(lambda x, t: loss(model, x, t), per_sample=True, reduction="sum")
    value = step(X, T)
    compiled = [p.grad for p in params]
    losses = [loss(model, [Value(a) for a in x], t) for x, t in zip(X, T)]
    assert same(value, sum(v.data for v in losses))
    expected = cut_free_grads(losses, params)
    assert all(same(a, b) for a, b in zip(compiled, expected)), (pokes, compiled, expected)


def test_below_a_hinge_that_was_off_the_program_skips_the_rest_unless_a_number_there_is_not_finite() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.data = abs(p.data)  # every relu on, the score grows with the input: margin 1 - score below 0
    step = autograd.compile(lambda x, t: hinge(model, x, t), per_sample=True, parameters=model.named_parameters())
    code = step.code([[5.0, 5.0]], [1.0])
    assert "if g_sub0 or not all(map(isfinite, (dot0, dot1, dot2, dot3, mul0, sub0))):" in code
    assert step([[5.0, 5.0], [6.0, 7.0]], [1.0, 1.0]) == 0.0
    assert all(p.grad == 0.0 for p in model.parameters())  # the hinge was off: as eager, nothing comes down
    # score inf: the margin -inf is off, but 0 · inf below it is nan; the program still computes it
    X, T = [[math.inf, 1.0]], [1.0]
    assert step(X, T) == 0.0
    compiled = [p.grad for p in model.parameters()]
    expected = cut_free_grads([hinge(model, [Value(a) for a in X[0]], T[0])], model.parameters())
    assert any(math.isnan(g) for g in compiled) and all(same(a, b) for a, b in zip(compiled, expected))
