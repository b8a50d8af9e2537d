"""How a Value behaves as a Python object and how backward, grad modes, anomaly mode and gradcheck behave."""

from __future__ import annotations

import gc
import math
import re
import sys
import threading

import pytest
import torch
from strategies import same_float

import autograd
import nn
from autograd import Value


def tensor(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


# ------------------------------------------------------------------------------------------------
# A Value as a Python object.
# ------------------------------------------------------------------------------------------------


def test_repr_shows_data_and_grad_like_micrograd() -> None:
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(2)) == "Value(data=2.0, grad=0.0)"


def test_repr_adds_the_label_when_one_is_set() -> None:
    r = repr(Value(2.0, label="weight"))
    assert r.startswith("Value(data=2.0, grad=0.0, label=") and "weight" in r and r.endswith(")")


def test_new_value_is_a_float_leaf_with_zero_float_grad() -> None:
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0
    assert type(v.grad) is float and v.grad == 0.0
    assert v.label == "" and v.op == "" and v.parents == ()
    assert Value(1.0, label="b").label == "b"


def test_float_of_a_value_is_its_data() -> None:
    assert float(Value(-1.25)) == -1.25
    assert type(float(Value(7))) is float


def test_comparisons_compare_data_and_return_bool() -> None:
    a, b = Value(1.0), Value(2.0)
    cases = [(a < b, True), (a <= b, True), (a > b, False), (a >= b, False),
             (a < 1.5, True), (a >= 1, True), (3 > b, True), (0.5 >= a, False), (Value(2.0) <= b, True)]
    for got, expected in cases:
        assert type(got) is bool and got is expected


def test_equality_and_hash_are_identity_so_values_work_as_dict_keys() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a and not (a == b) and a != b
    assert (a == 1.0) is False
    assert {a: "a", b: "b"}[b] == "b"
    assert len({a, b, a}) == 2
    assert hash(a) == hash(a)


@pytest.mark.parametrize(("bad", "type_name"), [("a", "str"), (None, "NoneType"), ([1], "list"), (True, "bool"),
                                                 (1 + 2j, "complex"), (Value(1.0), "Value")])
def test_value_rejects_non_numbers_with_type_error_naming_the_type(bad: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(bad)


@pytest.mark.parametrize("other", ["a", None, [1.0], {1: 2}])
def test_unsupported_operand_types_raise_the_usual_type_error(other: object) -> None:
    v = Value(1.0)
    for op in (lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
               lambda a, b: a**b):
        with pytest.raises(TypeError):
            op(v, other)
        with pytest.raises(TypeError):
            op(other, v)
    with pytest.raises(TypeError):
        v < other  # noqa: B015


# ------------------------------------------------------------------------------------------------
# backward: accumulation, reuse, calling it twice, depth and width.
# ------------------------------------------------------------------------------------------------


def test_reused_node_gets_the_sum_of_its_contributions() -> None:
    a = Value(1)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_backward_seed_scales_every_gradient_like_torch() -> None:
    x = Value(0.4)
    (x.sin() * x).backward(2.5)
    t = tensor(0.4)
    (torch.sin(t) * t).backward(torch.tensor(2.5, dtype=torch.float64))
    assert same_float(x.grad, t.grad.item())


def test_backward_of_a_leaf_gives_the_seed() -> None:
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


def test_second_backward_accumulates_into_leaves_and_interior_nodes_show_the_latest_pass() -> None:
    x, w = Value(0.7), Value(-1.3)
    h = (x * w).tanh()
    y = h * x + w.exp()
    y.backward()
    y.backward()

    tx, tw = tensor(0.7), tensor(-1.3)
    th = torch.tanh(tx * tw)
    th.retain_grad()
    ty = th * tx + torch.exp(tw)
    ty.backward(retain_graph=True)
    h_once = th.grad.item()
    ty.backward()

    assert same_float(x.grad, tx.grad.item()) and same_float(w.grad, tw.grad.item())
    assert same_float(h.grad, h_once)  # not 2 * h_once
    assert y.grad == 1.0


def test_backward_from_two_outputs_sharing_a_node_accumulates_leaves_only() -> None:
    x = Value(2.0)
    h = x * x
    y1, y2 = h * 2.0, h * 3.0
    y1.backward()
    y2.backward()
    assert x.grad == 2 * 2.0 * 2.0 + 3 * 2.0 * 2.0  # leaves: both passes
    assert h.grad == 3.0  # interior: the latest pass only


def test_chain_of_a_million_ops_backpropagates_under_the_default_recursion_limit() -> None:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # CPython's default
    try:
        n = 500_000
        x = Value(1.0)
        y = x
        for _ in range(n):  # 2 ops per iteration: 1,000,000 nodes
            y = y * 1.000001 + 1e-6
        y.backward()
        expected_value, expected_grad = 1.0, 1.0
        for _ in range(n):
            expected_value = expected_value * 1.000001 + 1e-6
            expected_grad *= 1.000001
        assert same_float(y.data, expected_value, rel=1e-12)
        assert same_float(x.grad, expected_grad, rel=1e-12)
        del y  # freeing a million-deep chain must not overflow the C stack either
    finally:
        sys.setrecursionlimit(old)


def test_one_node_used_a_hundred_thousand_times_gets_every_contribution() -> None:
    x = Value(0.5)
    h = x.tanh()
    n = 100_000
    total = autograd.sum([h * float(i % 7) for i in range(n)])
    total.backward()
    weight = float(sum(i % 7 for i in range(n)))
    assert same_float(h.grad, weight)
    assert same_float(x.grad, weight * (1 - math.tanh(0.5) ** 2), rel=1e-12)

    x = Value(0.5)
    y = x
    for _ in range(n):  # fan-out and depth together: y = x + x + ... + x
        y = y + x
    y.backward()
    assert x.grad == n + 1.0


# ------------------------------------------------------------------------------------------------
# Memory: no reference cycles, so reference counting alone frees a graph.
# ------------------------------------------------------------------------------------------------


def build_graph(n: int = 50) -> tuple[list[Value], Value]:
    xs = [Value(0.01 * i - 0.2, label=f"x{i}") for i in range(n)]
    hidden = [(x * 1.5 + 0.1).tanh() + x.sigmoid() * x.relu() - abs(x) ** 2 for x in xs]
    probs = autograd.softmax(hidden)
    loss = -autograd.log_softmax(hidden)[0] + autograd.logsumexp(probs) + autograd.mean(hidden)
    loss = loss + autograd.dot(xs, hidden) / n + autograd.sum(xs).exp() + (2 ** xs[1]).softplus().elu()
    return xs, loss


def test_graph_is_freed_by_reference_counting_alone_after_backward() -> None:
    gc.collect()
    gc.disable()
    try:
        xs, loss = build_graph()
        loss.backward()
        del xs, loss
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_graph_and_higher_order_gradients_are_freed_without_the_cycle_collector() -> None:
    gc.collect()
    gc.disable()
    try:
        xs, loss = build_graph()
        grads = autograd.grad(loss, xs, create_graph=True)
        second = autograd.grad(autograd.sum(list(grads)), xs, allow_unused=True)
        del xs, loss, grads, second
        assert gc.collect() == 0
    finally:
        gc.enable()


# ------------------------------------------------------------------------------------------------
# Grad modes: no_grad / enable_grad, detach.
# ------------------------------------------------------------------------------------------------


def test_no_grad_results_record_no_parents() -> None:
    x = Value(1.5)
    with autograd.no_grad():
        y = x * 2.0 + x.exp()
        s = autograd.sum([x, y])
        sm = autograd.softmax([x, y])
    for r in (y, s, *sm):
        assert r.parents == () and r.op == ""
    assert same_float(y.data, 3.0 + math.exp(1.5))
    assert (x * 2.0).parents == (x,)  # recording is back on after the block


def test_no_grad_and_enable_grad_work_as_decorators() -> None:
    @autograd.no_grad()
    def frozen(v: Value) -> Value:
        return v * 3.0

    @autograd.enable_grad()
    def recorded(v: Value) -> Value:
        return v * 3.0

    x = Value(1.0)
    assert frozen(x).parents == ()
    with autograd.no_grad():
        assert recorded(x).parents == (x,)
        assert (x * 3.0).parents == ()
    assert (x * 3.0).parents == (x,)


def test_enable_grad_inside_no_grad_records_again_and_modes_restore_after_an_exception() -> None:
    x = Value(1.0)
    with autograd.no_grad():
        with autograd.enable_grad():
            assert (x + 1).parents == (x,)
        assert (x + 1).parents == ()
    with pytest.raises(KeyError):
        with autograd.no_grad():
            raise KeyError("boom")
    assert (x + 1).parents == (x,)


def test_no_grad_is_per_asyncio_task_two_tasks_at_once() -> None:
    import asyncio

    async def inside_no_grad(started: asyncio.Event, done: asyncio.Event) -> Value:
        with autograd.no_grad():
            started.set()
            await done.wait()  # the other task runs its node while this one is inside no_grad
            return Value(2.0) * 3.0

    async def recording(started: asyncio.Event, done: asyncio.Event) -> tuple[Value, Value]:
        await started.wait()
        x = Value(2.0)
        y = x * 3.0
        done.set()
        return y, x

    async def both() -> tuple:
        started, done = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(inside_no_grad(started, done), recording(started, done))

    off, (y, x) = asyncio.run(both())
    assert off.parents == ()
    assert y.parents == (x,)
    assert autograd.is_grad_enabled()


def test_no_grad_is_thread_local_two_threads_at_once() -> None:
    barrier = threading.Barrier(2, timeout=10)
    results: dict[str, object] = {}

    def inside_no_grad() -> None:
        try:
            with autograd.no_grad():
                barrier.wait()  # the other thread now runs while this one is inside no_grad
                results["no_grad"] = Value(2.0) * 3.0
                barrier.wait()
        except BaseException as e:  # noqa: BLE001 - reported to the main thread below
            results["error"] = e

    def recording() -> None:
        try:
            barrier.wait()
            x = Value(2.0)
            results["grad"] = (x * 3.0, x)
            barrier.wait()
        except BaseException as e:  # noqa: BLE001
            results["error"] = e

    threads = [threading.Thread(target=inside_no_grad), threading.Thread(target=recording)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert "error" not in results, results.get("error")
    assert results["no_grad"].parents == ()
    y, x = results["grad"]
    assert y.parents == (x,) and y.op == "*"


def test_detach_gives_a_leaf_with_the_same_data_that_stops_the_gradient() -> None:
    x = Value(1.5)
    h = x * x
    d = h.detach()
    assert d is not h and d.data == h.data and d.parents == () and d.op == ""
    y = x * x.detach()
    y.backward()
    t = tensor(1.5)
    (t * t.detach()).backward()
    assert x.grad == t.grad.item() == 1.5


# ------------------------------------------------------------------------------------------------
# detect_anomaly
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("op", "build", "inp"), [
    ("log", lambda: Value(-1.0).log(), "-1.0"),
    ("exp", lambda: Value(1000.0).exp(), "1000.0"),
    ("/", lambda: Value(1.0) / Value(0.0), "0.0"),
    ("sqrt", lambda: Value(-4.0).sqrt(), "-4.0"),
])
def test_detect_anomaly_raises_at_a_non_finite_forward_result_naming_op_and_input(op, build, inp) -> None:
    with autograd.detect_anomaly():
        with pytest.raises(FloatingPointError) as info:
            build()
    message = str(info.value)
    assert op in message and inp in message


def test_detect_anomaly_raises_at_a_non_finite_gradient_in_backward_naming_the_op() -> None:
    with autograd.detect_anomaly():
        x = Value(0.0)
        y = x.sqrt() * 2.0  # forward is finite: sqrt(0) = 0
        with pytest.raises(FloatingPointError, match="sqrt"):
            y.backward()  # d sqrt(x)/dx = 1 / (2 sqrt(0)) = inf


def test_without_detect_anomaly_non_finite_values_just_propagate() -> None:
    with autograd.detect_anomaly():
        pass
    y = Value(-1.0).log() * 2.0
    assert math.isnan(y.data)
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf


# ------------------------------------------------------------------------------------------------
# gradcheck
# ------------------------------------------------------------------------------------------------


def test_gradcheck_accepts_a_correct_function() -> None:
    def fn(x: Value, y: Value) -> Value:
        return (x * y).tanh() + x.exp() / y + autograd.logsumexp([x, y, x * y])

    assert autograd.gradcheck(fn, [Value(0.3), Value(1.7)]) is True


def wrong_square(x: Value, y: Value) -> Value:
    """Value x*y + y^2, but the detached factor hides half of d/dy: backward says x + y, the truth is x + 2y."""
    return x * y + y * y.detach()


def test_gradcheck_raises_naming_the_worst_input_and_both_numbers() -> None:
    with pytest.raises(autograd.GradcheckError) as info:
        autograd.gradcheck(wrong_square, [Value(1.5), Value(2.0)])
    message = str(info.value)
    assert "input 1" in message  # y, the second input
    numbers = [float(s) for s in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", message)]
    assert 3.5 in numbers  # backward: x + y
    assert any(abs(n - 5.5) < 1e-6 for n in numbers)  # central differences: x + 2y


def test_gradcheck_returns_false_instead_of_raising_when_asked() -> None:
    assert autograd.gradcheck(wrong_square, [Value(1.5), Value(2.0)], raise_exception=False) is False


def test_backward_does_not_walk_below_a_relu_that_was_off_and_every_leaf_still_matches_torch() -> None:
    from autograd.engine import is_cut, topological_order

    x, w, k = Value(-1.5), Value(2.0), Value(math.inf)
    h = x * w  # -3.0
    dead = h.relu()  # off: hands back exactly 0, whatever arrives
    alive = (x + w).relu()
    out = dead * k + alive * 3.0  # the gradient reaching `dead` is k = inf: still exactly 0 below it
    order = topological_order([out])
    assert is_cut(dead) and dead in order and h not in order  # dead receives its gradient; nothing below it
    out.backward()

    tx, tw, tk = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (-1.5, 2.0, math.inf))
    th = tx * tw
    tout = th.relu() * tk + (tx + tw).relu() * 3.0
    th.retain_grad()
    tout.backward()
    for ours, theirs in ((x, tx), (w, tw), (k, tk), (h, th)):
        assert same_float(ours.grad, theirs.grad.item(), 1e-15, 0.0)
    assert h.grad == 0.0  # a fresh graph: the node behind the relu shows 0, as torch's retained grad does


def test_a_network_with_many_relus_off_gets_torch_gradients_while_walking_only_part_of_its_graph() -> None:
    import random

    import autograd
    import nn
    from autograd.engine import reachable, topological_order

    model = nn.MLP(3, [8, 8, 1], seed=4)
    rng = random.Random(4)
    rows = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(12)]
    loss = autograd.mean([(1.0 - model([Value(v) for v in row])).relu() for row in rows])
    interior = sum(1 for node in reachable([loss]) if node.parents)
    walked = len(topological_order([loss]))
    assert walked < 0.9 * interior  # the cut at relus that were off is really exercised here
    model.zero_grad()
    loss.backward()

    seq = nn.to_torch(model)
    t_loss = (1.0 - seq(torch.tensor(rows, dtype=torch.float64))).relu().mean()
    t_loss.backward()
    t_grads = [g for layer in seq if isinstance(layer, torch.nn.Linear)
               for w_row, b in zip(layer.weight.grad.tolist(), layer.bias.grad.tolist()) for g in [*w_row, b]]
    assert same_float(loss.data, t_loss.item(), 1e-12)
    for p, g in zip(model.parameters(), t_grads, strict=True):
        assert same_float(p.grad, g, 1e-9, 1e-15)


SPECIAL = [2.5, 0.0, -0.0, -3.0, 5e-324, -5e-324, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("mode", ["recording", "no_grad", "detect_anomaly"])
def test_a_layers_relus_are_torchs_in_every_mode_signed_zeros_and_nan_included(mode: str) -> None:
    # A Layer's relus are v.relu() for each of its weighted sums: in every mode they must give torch's numbers
    # (relu(-0.0) = -0.0, relu(nan) = nan) and torch's gradients.
    from contextlib import nullcontext

    layer = nn.Layer(1, 1, activation="relu", seed=0)
    layer.neurons[0].w[0].data, layer.neurons[0].b.data = 1.0, 0.0

    block = {"recording": nullcontext, "no_grad": autograd.no_grad, "detect_anomaly": autograd.detect_anomaly}[mode]
    finite = [v for v in SPECIAL if math.isfinite(v)] if mode == "detect_anomaly" else SPECIAL
    xs = [Value(v) for v in finite]
    with block():
        ours = [x.relu() for x in xs]
        from_layer = [layer([x]) for x in xs]
    t_x = torch.tensor(finite, dtype=torch.float64)
    t_relu, t_layer = t_x.relu().tolist(), (t_x * 1.0 + 1.0 * 0.0).relu().tolist()  # the layer: 1·x + 0·1
    for a, b, t, t_b in zip(ours, from_layer, t_relu, t_layer, strict=True):
        assert a.op == b.op == ("" if mode == "no_grad" else "relu")
        for v, reference in ((a.data, t), (b.data, t_b)):
            assert same_float(v, reference, 0.0, 0.0) and math.copysign(1, v) == math.copysign(1, reference)
    if mode == "no_grad":
        assert all(a.parents == () for a in ours)
        return
    autograd.sum([a * float(i + 1) for i, a in enumerate(ours)]).backward()
    tx = torch.tensor(finite, dtype=torch.float64, requires_grad=True)
    (tx.relu() * torch.arange(1.0, len(finite) + 1, dtype=torch.float64)).sum().backward()
    for a, x, t_data, g in zip(ours, xs, tx.relu().tolist(), tx.grad.tolist(), strict=True):
        assert same_float(a.data, t_data, 0.0, 0.0) and same_float(x.grad, g, 0.0, 0.0)


def test_detect_anomaly_stops_a_layer_at_its_first_op_that_returns_nan() -> None:
    layer = nn.Layer(1, 2, activation="relu", seed=0)
    with autograd.detect_anomaly(), pytest.raises(FloatingPointError, match="'dot' returned nan"):
        layer([Value(math.nan)])
    with autograd.detect_anomaly(), pytest.raises(FloatingPointError, match="'relu' returned nan"):
        Value(math.nan).relu()
