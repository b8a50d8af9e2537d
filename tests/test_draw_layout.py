"""draw_dot's layout, as Graphviz's `dot` really places it: columns from left to right (inputs, then each
layer, then the output and the loss), a neuron's parameters in order, layer boxes side by side, not stairs."""

from __future__ import annotations

import re
import struct

import pytest
from dot_text import by_full_name, ops, parse, records

import nn
from autograd import Value, draw_dot


def positions(graph) -> tuple[dict[str, tuple[float, float, float, float]], float, float]:
    """{DOT node: (x, y, width, height)} in inches as `dot` lays it out (y grows upwards), and the picture's size."""
    lines = [line.split() for line in graph.pipe(format="plain").decode().splitlines()]
    width, height = float(lines[0][2]), float(lines[0][3])
    return {f[1]: (float(f[2]), float(f[3]), float(f[4]), float(f[5])) for f in lines if f[0] == "node"}, width, height


def mlp_picture(cluster: bool, samples: int = 1):
    """MLP(3, [4, 4, 1]) on plain-number inputs: its output (one sample) or an MSE loss over `samples`."""
    model = nn.MLP(3, [4, 4, 1], activation="tanh", seed=0)
    X = [[0.5, -1.0, 2.0], [0.1, 0.2, 0.3], [-1.0, 0.0, 1.0], [2.0, 2.0, 2.0]][:samples]
    outs = model(X)
    root = outs[0] if samples == 1 else nn.functional.mse_loss(outs, [1.0, 0.0, 1.0, 0.0][:samples])
    root.backward()
    graph = draw_dot(root, model=model, cluster=cluster)
    nodes, _, boxes = parse(graph.source)
    return model, graph, nodes, boxes


def layer_nodes(model, graph, nodes, boxes) -> list[dict[str, list[str]]]:
    """For each layer: its 'params' (in named_parameters order), its 'dot' nodes and its 'out' records."""
    if any(boxes.values()):
        names = by_full_name(nodes, boxes)
    else:
        names = {label.split("|")[0]: k for k, label in records(nodes).items()}
    edges = joined_edges(graph.source)
    result_of = {t: h for t, h in edges if t.startswith("op")}  # op -> the record it makes
    layers = []
    for i, layer in enumerate(model.layers):
        params = [names[f"layers.{i}.{name}"] for name, _ in layer.named_parameters()]
        dots = sorted({h for t, h in edges if t in params})
        outs = [result_of[d] for d in dots]
        activations = [result_of[h] for o in outs for t, h in edges if t == o and nodes[h]["label"] == "tanh"]
        layers.append({"params": params, "dot": dots, "out": activations or outs})
    return layers


def joined_edges(source: str) -> list[tuple[str, str]]:
    """The edges, an edge into a box through an invisible point joined up again (tail -> point -> op)."""
    _, edges, _ = parse(source)
    into = {h: t for t, h in edges if re.fullmatch(r"e\d+_\d+", h)}
    return [(into.get(t, t), h) for t, h in edges if not re.fullmatch(r"e\d+_\d+", h)]


@pytest.fixture(params=[False, True], ids=["no boxes", "boxes"])
def mlp(request):
    model, graph, nodes, boxes = mlp_picture(request.param)
    where, _, _ = positions(graph)
    return model, graph, nodes, boxes, where, request.param


def test_columns_read_left_to_right_inputs_then_each_layer_then_the_output(mlp):
    model, graph, nodes, boxes, where, _ = mlp
    x = {k: where[k][0] for k in where}
    inputs = [k for k in nodes if re.fullmatch(r"x\d+", k)]
    assert len(inputs) == 3
    before = inputs
    for layer in layer_nodes(model, graph, nodes, boxes):
        assert max(x[k] for k in before) < min(x[k] for k in layer["params"])  # the layer starts after
        assert max(x[k] for k in layer["params"]) < min(x[k] for k in layer["dot"])
        assert max(x[k] for k in layer["dot"]) < min(x[k] for k in layer["out"])
        before = layer["out"]
    root = f"n{len(records(nodes)) - 1}"
    assert x[root] == max(x[k] for k in records(nodes))


def test_a_neurons_parameters_are_stacked_in_order_w0_w1_and_so_on_then_b(mlp):
    model, graph, nodes, boxes, where, _ = mlp
    for layer in layer_nodes(model, graph, nodes, boxes):
        per_neuron = len(layer["params"]) // len(layer["dot"])
        for j in range(len(layer["dot"])):
            params = layer["params"][j * per_neuron:(j + 1) * per_neuron]  # w.0 ... w.n, b
            ys = [where[k][1] for k in params]
            assert ys == sorted(ys, reverse=True), [nodes[k]["label"] for k in params]  # top to bottom


def test_layers_sit_side_by_side_not_each_a_step_lower_than_the_last(mlp):
    model, graph, nodes, boxes, where, _ = mlp
    spans = []
    for layer in layer_nodes(model, graph, nodes, boxes):
        ys = [where[k][1] for k in layer["params"] + layer["dot"] + layer["out"]]
        spans.append((min(ys), max(ys)))
    for (low0, high0), (low1, high1) in zip(spans, spans[1:]):
        overlap = min(high0, high1) - max(low0, low1)
        assert overlap >= 0.5 * min(high0 - low0, high1 - low1), spans  # stairs would share (almost) nothing


def test_inside_a_box_a_parameter_shows_its_name_within_the_box():
    model, graph, nodes, boxes = mlp_picture(cluster=True)
    for k, label in records(nodes).items():
        name = label.split("|")[0]
        if boxes[k] and not name.startswith("{"):
            assert re.fullmatch(r"w\.\d+|b", name), name
            assert boxes[k][-1].startswith("neurons.")
    assert {f"layers.{i}.{n}" for i, layer in enumerate(model.layers) for n, _ in layer.named_parameters()} == {
        name for name in by_full_name(nodes, boxes) if "{" not in name}


def test_a_loss_over_the_outputs_is_drawn_outside_the_output_neurons_box():
    model, graph, nodes, boxes = mlp_picture(cluster=True, samples=4)
    loss_ops = {k: op for k, op in ops(nodes).items() if op not in ("dot", "tanh")}
    assert sorted(loss_ops.values()) == ["** 2.0"] * 4 + ["- 0.0"] * 2 + ["- 1.0"] * 2 + ["mean"]
    assert all(boxes[k] == [] for k in loss_ops)
    assert boxes[f"n{len(records(nodes)) - 1}"] == []  # the loss itself


@pytest.mark.parametrize("cluster", [False, True], ids=["no boxes", "boxes"])
def test_a_four_sample_loss_picture_is_not_mostly_empty_space(cluster, tmp_path):
    model, graph, nodes, boxes = mlp_picture(cluster, samples=4)
    where, width, height = positions(graph)
    drawn = sum(w * h for _, _, w, h in where.values())
    assert drawn / (width * height) > 0.09  # the old layout, with its stairs: 0.07 in boxes
    path = graph.render(tmp_path / "loss", format="png")
    with open(path, "rb") as f:
        header = f.read(24)
    px_width, px_height = struct.unpack(">II", header[16:24])
    assert px_width < 4000 and px_height < 3700, (px_width, px_height)  # the old one in boxes: 3565 x 4577


def test_a_value_graph_without_a_model_puts_each_leaf_just_before_its_first_use():
    x, w, b = Value(0.5, "x"), Value(-1.5, "w"), Value(1.0, "b")
    L = (w * x + b).tanh() * x
    graph = draw_dot(L)
    nodes, _, _ = parse(graph.source)
    where, _, _ = positions(graph)
    name = {label.split("|")[0]: k for k, label in records(nodes).items()}
    plus = next(k for k, op in ops(nodes).items() if op == "+")
    times = sorted((where[k][0], k) for k, op in ops(nodes).items() if op == "*")
    assert where[name["x"]][0] == where[name["w"]][0] < times[0][0]  # both read by w * x
    assert times[0][0] < where[name["b"]][0] < where[plus][0]  # b: after w * x, just before the +


@pytest.mark.parametrize("cluster", [False, True], ids=["no boxes", "boxes"])
@pytest.mark.parametrize("rankdir", ["TB", "BT"])
def test_top_to_bottom_reads_down_layer_by_layer_with_neurons_and_parameters_left_to_right(rankdir, cluster):
    # The same MLP(3, [4, 4, 1]) turned: rows instead of columns (BT: from the bottom up), and what LR stacks
    # from top to bottom, TB and BT put from left to right: x.0 x.1 x.2, neurons.0 ... neurons.3, w.0 ... b.
    model = nn.MLP(3, [4, 4, 1], activation="tanh", seed=0)
    root = model([0.5, -1.0, 2.0])
    root.backward()
    graph = draw_dot(root, rankdir, model=model, cluster=cluster)
    nodes, _, boxes = parse(graph.source)
    for k in records(nodes):  # a turned record is {name|{data|grad}}: read it as the LR one, name|{data|grad}
        nodes[k] = {**nodes[k], "label": nodes[k]["label"][1:-1]}
    where, width, _ = positions(graph)
    x = {k: where[k][0] for k in where}
    down = {k: -where[k][1] if rankdir == "TB" else where[k][1] for k in where}  # grows in reading order
    inputs = sorted((k for k in nodes if re.fullmatch(r"x\d+", k)), key=lambda k: int(k[1:]))
    assert [x[k] for k in inputs] == sorted(x[k] for k in inputs)
    before = inputs
    for layer in layer_nodes(model, graph, nodes, boxes):
        assert max(down[k] for k in before) < min(down[k] for k in layer["params"])  # the next row
        assert max(down[k] for k in layer["params"]) < min(down[k] for k in layer["dot"])
        assert max(down[k] for k in layer["dot"]) < min(down[k] for k in layer["out"])
        per_neuron = len(layer["params"]) // len(layer["dot"])
        for j in range(len(layer["dot"])):
            params = layer["params"][j * per_neuron:(j + 1) * per_neuron]  # w.0 ... w.n, b
            assert [x[k] for k in params] == sorted(x[k] for k in params), [nodes[k]["label"] for k in params]
        dots = sorted(layer["dot"], key=lambda k: int(k[2:]))  # neuron j's sum is made before neuron j + 1's
        assert [x[k] for k in dots] == sorted(x[k] for k in dots)
        before = layer["out"]
    spans = [(min(x[k] for k in layer["params"]), max(x[k] for k in layer["params"]))
             for layer in layer_nodes(model, graph, nodes, boxes)]  # fmt: skip
    for (low0, high0), (low1, high1) in zip(spans, spans[1:]):
        assert min(high0, high1) - max(low0, low1) >= 0.5 * min(high0 - low0, high1 - low1), spans  # no stairs
