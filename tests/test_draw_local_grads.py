"""draw_dot(root, local_grads=True): every edge argument -> operation carries ∂out/∂argument, and every grad in
the picture is Σ (grad of the result) × (edge label) over the edges that leave its record (the chain rule)."""

from __future__ import annotations

import math
import re

import pytest
from dot_text import StandInMLP, drawing_order, edge_attrs, neuron_graph, notebook_one, parse, records

import autograd
import nn
from autograd import Value, draw_dot


def engine_local_derivatives(node: Value) -> list[float]:
    """∂node/∂arg for each argument, from the node's own op: backward with an incoming gradient of 1."""
    return list(node._fn.backward(1.0, node.data, *node._saved))


def exact_grad(nodes: dict[str, dict[str, str]], name: str) -> float:
    """The grad a record's tooltip holds, to the last bit (`data 0.5, grad -0.46009247420107436`)."""
    return float(re.fullmatch(r"data (\S+), grad (\S+)", nodes[name]["tooltip"]).group(2))


def four_decimals(x: float) -> str:
    text = f"{x:.4f}"
    return text + f" ({x:.1e})" if x != 0.0 and abs(x) < 5e-5 else text


def check_picture(root: Value, **options) -> int:
    """Check every edge label and every grad of draw_dot(root, local_grads=True); the number of labels checked."""
    source = draw_dot(root, local_grads=True, **options).source
    nodes, _, _ = parse(source)
    order = drawing_order(root)
    edges = edge_attrs(source)
    labelled = [(tail, head, attrs) for tail, head, attrs in edges if "label" in attrs]
    # 1. each label is the engine's local derivative ∂(the op's result)/∂(the argument), rounded as shown
    by_op: dict[str, list[float]] = {}
    for _, head, attrs in labelled:
        by_op.setdefault(head, []).append(float(attrs["tooltip"]))
        assert attrs["label"] == four_decimals(float(attrs["tooltip"]))
    for head, shown in by_op.items():
        node = order[int(head[2:])]
        local = engine_local_derivatives(node)
        expected = [local[j] for j, arg in enumerate(node._args) if isinstance(arg, Value)]
        assert sorted(shown) == sorted(expected), node  # one label per Value argument, exactly the engine's
    # 2. every Value that feeds an op: grad = Σ (grad of the op's result) × (label) over its edges
    for k, value in enumerate(order):
        out_edges = [(head, float(attrs["tooltip"])) for tail, head, attrs in labelled if tail == f"n{k}"]
        if not out_edges:
            continue
        total = math.fsum(exact_grad(nodes, f"n{int(head[2:])}") * local for head, local in out_edges)
        assert exact_grad(nodes, f"n{k}") == value.grad
        assert math.isclose(total, value.grad, rel_tol=1e-12, abs_tol=1e-12), (value, total)
    # 3. and only Value arguments are labelled: an input or a constant receives no gradient
    assert all(tail.startswith("n") or tail.startswith("e") for tail, _, _ in labelled)
    return len(labelled)


def test_micrograds_neuron_every_label_and_every_grad_checks_out():
    o, _ = neuron_graph()
    assert check_picture(o) == 9  # x1 w1 x2 w2 into the products, both into s, s and b into n, n into tanh


def test_notebook_one_expression_shows_the_local_derivatives_of_its_table():
    L = notebook_one()  # L = h·x, h = tanh(z), z = m + b, m = w·x
    h, x = L.parents
    m, _ = h.parents[0].parents
    w, _ = m.parents
    L.backward()
    assert check_picture(L) == 7
    source = draw_dot(L, local_grads=True).source
    nodes, _, _ = parse(source)
    name = {k: label.split("|")[0] for k, label in records(nodes).items()}
    made = {t: h for t, h, _ in edge_attrs(source) if t.startswith("op")}  # op -> its result
    shown = sorted((name[t], name[made[h]], a["label"]) for t, h, a in edge_attrs(source) if "label" in a)
    assert shown == sorted([
        ("h", "L", f"{x.data:.4f}"), ("x", "L", f"{h.data:.4f}"),  # ∂L/∂h = x, ∂L/∂x = h
        ("z", "h", f"{1 - h.data ** 2:.4f}"),  # ∂h/∂z = 1 - h²
        ("m", "z", "1.0000"), ("b", "z", "1.0000"),  # ∂z/∂m = ∂z/∂b = 1
        ("w", "m", f"{x.data:.4f}"), ("x", "m", f"{w.data:.4f}"),  # ∂m/∂w = x, ∂m/∂x = w
    ])


@pytest.mark.parametrize("cluster", [False, True], ids=["no boxes", "boxes"])
def test_a_networks_loss_over_four_samples_checks_out_edge_by_edge(cluster):
    model = nn.MLP(3, [4, 4, 1], activation="tanh", seed=0)
    X = [[0.5, -1.0, 2.0], [0.1, 0.2, 0.3], [-1.0, 0.0, 1.0], [2.0, 2.0, 2.0]]
    loss = nn.functional.mse_loss(model(X), [1.0, 0.0, 1.0, 0.0])
    loss.backward()
    # per sample: layer 0's dots read 3 weights + b (the x are plain numbers), layer 1's and 2's 4 + b + 4 Values;
    # each tanh one; out - target and its ** 2 one each; the mean reads the 4 squares
    per_sample = 4 * (3 + 1) + 4 + 4 * (4 + 1 + 4) + 4 + (4 + 1 + 4) + 1 + 1
    assert check_picture(loss, model=model, cluster=cluster) == 4 * per_sample + 4


@pytest.mark.parametrize("make", [
    lambda x, y: x * x + y,  # x used twice by one op: two edges, each with its own label
    lambda x, y: (x / y).log() - y ** 3,
    lambda x, y: (3 / x) * y.exp() + (x ** y),
    lambda x, y: (x - 2.0).relu() * y + (x * y).sigmoid(),  # a relu that is off: 0 on its edge, 0 below it
    lambda x, y: autograd.logsumexp([x, y, 1.0]) + autograd.softmax([x, y])[1],
    lambda x, y: autograd.dot([x, y, 2.0], [y, 0.5, x]).elu(0.7) + abs(x - y).sqrt(),
], ids=["square", "div-log-pow", "scalar-div", "relu-off", "logsumexp-softmax", "dot-elu"])
def test_every_op_checks_out_edge_by_edge(make):
    x, y = Value(1.3, "x"), Value(0.4, "y")
    out = make(x, y)
    out.backward()
    assert check_picture(out) >= 3


def test_a_stand_in_model_without_boxes_and_the_default_picture_has_no_labels():
    model = StandInMLP(2, [3, 1])
    out = model([Value(0.5, "x0"), Value(-1.0, "x1")])
    out.backward()
    check_picture(out, model=model)
    assert all("label" not in attrs for _, _, attrs in edge_attrs(draw_dot(out).source))


def test_local_grads_must_be_a_bool():
    with pytest.raises(TypeError, match="local_grads must be True or False"):
        draw_dot(Value(1.0) * 2, local_grads="yes")
