"""draw_dot: the DOT text says exactly what the graph is, and Graphviz turns it into SVG and PNG."""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET

import graphviz
import pytest
import torch
from dot_text import StandInMLP, by_full_name, by_name, edge_attrs, neuron_graph, ops, parse, records

import autograd
import nn
from autograd import Value, draw_dot
from autograd.draw import GraphvizNotFoundError

torch.set_default_dtype(torch.float64)


# ---------------------------------------------------------------------------
# structure
# ---------------------------------------------------------------------------

def test_one_record_per_value_one_op_node_per_operation_and_a_binary_constant_in_its_label():
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    out = (x * 2.0 + y).relu()  # Values: x, y, x*2.0, +, relu -> 5 records, 3 op nodes
    nodes, edges, _ = parse(draw_dot(out).source)
    assert len(records(nodes)) == 5 and set(nodes) == set(records(nodes)) | set(ops(nodes))
    assert sorted(ops(nodes).values()) == ["* 2.0", "+", "relu"]
    assert len(edges) == 3 + 4  # op -> result, and one edge per Value argument: the 2.0 is in the label


def test_edges_match_parents_in_the_classic_picture():
    o, v = neuron_graph()
    nodes, edges, _ = parse(draw_dot(o).source)
    node = by_name(nodes)
    op_of = {head: tail for tail, head in edges if tail.startswith("op")}  # value node -> its op node
    expected = {
        "x1w1": ["x1", "w1"], "x2w2": ["x2", "w2"], "s": ["x1w1", "x2w2"], "n": ["s", "b"], "o": ["n"],
    }
    for result, parents in expected.items():
        op_node = op_of[node[result]]
        assert sorted(t for t, h in edges if h == op_node) == sorted(node[p] for p in parents)
    assert len(edges) == len(expected) + sum(map(len, expected.values()))
    assert {name: nodes[op_of[node[name]]]["label"] for name in expected} == {
        "x1w1": "*", "x2w2": "*", "s": "+", "n": "+", "o": "tanh"}


def test_a_value_used_twice_by_one_operation_has_two_edges():
    x = Value(3.0, "x")
    nodes, edges, _ = parse(draw_dot(x * x).source)
    assert edges.count((by_name(nodes)["x"], next(iter(ops(nodes))))) == 2


def test_labels_carry_data_and_grad_with_four_decimals_as_torch_computes_them():
    o, v = neuron_graph()
    t = {k: torch.tensor(v[k].data, requires_grad=True) for k in ("x1", "x2", "w1", "w2", "b")}
    x1w1, x2w2 = t["x1"] * t["w1"], t["x2"] * t["w2"]
    s = x1w1 + x2w2
    n = s + t["b"]
    to = torch.tanh(n)
    for inner in (x1w1, x2w2, s, n, to):
        inner.retain_grad()
    to.backward()
    reference = dict(t, x1w1=x1w1, x2w2=x2w2, s=s, n=n, o=to)
    labels = {label.split("|")[0]: label for label in records(parse(draw_dot(o).source)[0]).values()}
    for name, tensor in reference.items():
        assert f"data {tensor.item():.4f}" in labels[name]
        assert f"grad {tensor.grad.item():.4f}" in labels[name]


def test_tiny_gradients_also_show_their_size_in_scientific_notation():
    x = Value(8.0, "x")
    y = x.tanh()
    y.backward()
    tx = torch.tensor(8.0, requires_grad=True)
    torch.tanh(tx).backward()
    expected = tx.grad.item()  # about 4.5e-7: "0.0000" alone would hide it
    label = by_name_label(draw_dot(y).source, "x")
    assert f"grad {expected:.4f}" in label and f"({expected:.1e})" in label


def by_name_label(source: str, name: str) -> str:
    return next(label for label in records(parse(source)[0]).values() if label.split("|")[0] == name)


def test_the_same_graph_gives_the_same_dot_text_on_every_build():
    first = draw_dot(neuron_graph()[0]).source
    second = draw_dot(neuron_graph()[0]).source
    o, _ = neuron_graph()
    assert first == second == draw_dot(o).source == draw_dot(o).source


def test_deep_chains_are_walked_without_recursion():
    x = Value(0.5, "x")
    y = x
    for _ in range(5_000):  # five times Python's recursion limit
        y = y * 1.0
    nodes, edges, _ = parse(draw_dot(y, max_nodes=5_001).source)
    assert len(records(nodes)) == 5_001 and len(ops(nodes)) == 5_000 and len(edges) == 10_000
    for _ in range(95_000):
        y = y * 1.0
    with pytest.raises(ValueError, match="the graph has 100001 Value nodes"):  # counted, 10^5 deep
        draw_dot(y)


def test_rankdir_top_to_bottom_is_passed_to_graphviz_and_bad_rankdir_is_refused():
    o, _ = neuron_graph()
    assert "rankdir=TB" in draw_dot(o, "TB").source
    with pytest.raises(ValueError, match="rankdir must be one of 'LR', 'RL', 'TB', 'BT'"):
        draw_dot(o, "sideways")


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="expects a Value"):
        draw_dot(1.0)


def test_drawing_after_no_grad_shows_a_lone_result():
    x = Value(2.0, "x")
    with autograd.no_grad():
        y = x * 3.0 + 1.0
    nodes, edges, _ = parse(draw_dot(y).source)
    assert list(records(nodes).values()) == ["{data 7.0000|grad 0.0000}"] and edges == [] and not ops(nodes)


def test_drawing_stops_at_a_detached_value():
    x = Value(2.0, "x")
    d = (x * x).detach()
    d.label = "d"
    y = d * 3.0
    nodes, edges, _ = parse(draw_dot(y).source)
    assert sorted(label.split("|")[0] for label in records(nodes).values()) == ["d", "{data 12.0000"]
    assert list(ops(nodes).values()) == ["* 3.0"] and len(edges) == 2


def test_a_gradient_built_with_create_graph_is_drawn_as_its_own_graph():
    x = Value(0.7, "x")
    (g,) = autograd.grad(x.tanh(), [x], create_graph=True)  # 1 - tanh(x)^2, a graph over x
    nodes, edges, _ = parse(draw_dot(g).source)
    tx = torch.tensor(0.7, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.tanh(tx), tx, create_graph=True)
    root = records(nodes)["n" + str(len(records(nodes)) - 1)]  # the root is numbered last
    assert f"data {tg.item():.4f}" in root
    assert "x" in [label.split("|")[0] for label in records(nodes).values()]
    assert len(ops(nodes)) >= 1 and edges


# ---------------------------------------------------------------------------
# colours and highlight
# ---------------------------------------------------------------------------

def test_inputs_parameters_output_and_intermediates_have_distinct_colours():
    model = StandInMLP(2, [2, 1])
    x = Value(0.5, "x0")
    out = model([x, Value(-1.0, "x1")])
    nodes, _, _ = parse(draw_dot(out, model=model).source)
    recs = records(nodes)
    fill = {label.split("|")[0]: nodes[k]["fillcolor"] for k, label in recs.items()}
    param = fill["layers.0.neurons.0.w.0"]
    inner = next(nodes[k]["fillcolor"] for k, label in recs.items() if label.startswith("{data"))
    root = nodes[f"n{len(recs) - 1}"]["fillcolor"]
    assert len({fill["x0"], param, root, inner}) == 4
    assert fill["x1"] == fill["x0"] and fill["layers.1.neurons.0.b"] == param


def test_highlighted_values_get_a_thick_red_border():
    o, v = neuron_graph()
    nodes, _, _ = parse(draw_dot(o, highlight=[v["w1"], v["n"]]).source)
    node = by_name(nodes)
    for name in ("w1", "n"):
        assert nodes[node[name]]["color"] == "#dc2626" and float(nodes[node[name]]["penwidth"]) >= 3
    assert nodes[node["w2"]]["color"] != "#dc2626"
    with pytest.raises(TypeError, match="highlight must hold Values"):
        draw_dot(o, highlight=[1.0])


def luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[k:k + 2], 16) / 255 for k in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_color_by_grad_shades_by_log_grad_with_a_legend_from_1e_8_to_1():
    # y = a*1e-4 + b*1e-6 + c*1.0 gives |grad| 1e-4, 1e-6 and 1 on a, b, c (hand-derived).
    a, b, c = Value(1.0, "a"), Value(1.0, "b"), Value(1.0, "c")
    y = a * 1e-4 + b * 1e-6 + c * 1.0
    y.backward()
    nodes, _, boxes = parse(draw_dot(y, color_by="grad").source)
    legend = {attrs["label"]: attrs["fillcolor"] for k, attrs in nodes.items() if k.startswith("legend")}
    assert list(legend) == ["≤ 1e-8", "1e-6", "1e-4", "1e-2", "≥ 1"]
    assert all(boxes[k] == ["|grad|, log scale"] for k in nodes if k.startswith("legend"))
    fill = {name: nodes[k]["fillcolor"] for name, k in by_name(nodes).items()}
    assert fill["a"] == legend["1e-4"] and fill["b"] == legend["1e-6"] and fill["c"] == legend["≥ 1"]
    shades = [luminance(legend[k]) for k in legend]
    assert shades == sorted(shades, reverse=True)  # larger gradient, darker fill


def test_without_color_by_there_is_no_legend():
    o, _ = neuron_graph()
    assert "legend" not in draw_dot(o).source


def test_an_unknown_color_by_is_refused_with_the_choices():
    o, _ = neuron_graph()
    with pytest.raises(ValueError, match="color_by must be one of None, 'grad', got 'data'"):
        draw_dot(o, color_by="data")


# ---------------------------------------------------------------------------
# plain numbers: inputs and constants
# ---------------------------------------------------------------------------

def input_records(nodes: dict[str, dict[str, str]]) -> dict[str, str]:
    """The records of a dot's plain-number inputs: node name -> label (`x.0|data 0.5000`)."""
    return {k: a["label"] for k, a in nodes.items() if re.fullmatch(r"x\d+", k)}


def constant_nodes(nodes: dict[str, dict[str, str]]) -> dict[str, str]:
    return {k: a["label"] for k, a in nodes.items() if re.fullmatch(r"c\d+", k)}


@pytest.mark.parametrize("cluster", [False, True])
def test_a_networks_plain_number_inputs_are_input_records_read_by_every_first_layer_neuron(cluster):
    model = nn.MLP(3, [4, 1], seed=0)
    out = model([0.5, -1.0, 2.0])
    source = draw_dot(out, model=model, cluster=cluster).source
    nodes, _, boxes = parse(source)
    inputs = input_records(nodes)
    assert sorted(inputs.values()) == ["x.0|data 0.5000", "x.1|data -1.0000", "x.2|data 2.0000"]
    value_input = draw_dot(Value(1.0) * Value(2.0)).source  # a Value leaf: the input colour
    input_fill = parse(value_input)[0]["n0"]["fillcolor"]
    assert all(nodes[k]["fillcolor"] == input_fill and boxes[k] == [] for k in inputs)
    first_layer = {k for k, op in ops(nodes).items() if op == "dot"} - {"op" + str(len(records(nodes)) - 1)}
    for k in inputs:
        assert sorted(head for tail, head, _ in edge_attrs(source) if tail == k) == sorted(first_layer)


def test_each_sample_has_its_own_inputs_and_each_bias_one_constant_1():
    model = nn.MLP(2, [3, 1], seed=0)
    X = [[0.5, -1.0], [0.25, 2.0], [1.5, 0.0], [-2.0, 3.0]]
    loss = autograd.mean(model(X))
    source = draw_dot(loss, model=model, cluster=True).source
    nodes, _, boxes = parse(source)
    assert sorted(input_records(nodes).values()) == sorted(
        f"x.{k}|data {x[k]:.4f}" for x in X for k in range(2))
    ones = constant_nodes(nodes)
    assert list(ones.values()) == ["1.0"] * 4  # one per neuron (3 + 1), not one per neuron and sample
    biases = {tuple(boxes[k]) for k in ones}
    assert biases == {("layers.0", f"neurons.{j}") for j in range(3)} | {("layers.1", "neurons.0")}
    for k in ones:  # read by its neuron on every sample
        assert sum(1 for tail, _, _ in edge_attrs(source) if tail == k) == len(X)


@pytest.mark.parametrize("make, label", [
    (lambda x: x * 2.0, "* 2.0"), (lambda x: 2 * x, "2.0 *"), (lambda x: 1 - x, "1.0 -"),
    (lambda x: x - 0.5, "- 0.5"), (lambda x: x / 4, "/ 4.0"), (lambda x: 3 / x, "3.0 /"),
    (lambda x: x ** 2, "** 2.0"), (lambda x: 2 ** x, "2.0 **"), (lambda x: x + 1e-6, "+ 1e-06"),
])  # fmt: skip
def test_a_binary_operators_constant_is_written_on_its_side_of_the_operator(make, label):
    nodes, edges, _ = parse(draw_dot(make(Value(1.5, "x"))).source)
    assert list(ops(nodes).values()) == [label]
    assert len(nodes) == 3 and len(edges) == 2  # x, the op, the result: no node for the constant


def test_softmax_shows_which_output_it_is_and_other_constants_are_small_nodes():
    xs = [Value(0.5, "a"), Value(-1.0, "b")]
    s0, s1 = autograd.softmax(xs)
    nodes, _, _ = parse(draw_dot(s0 + s1).source)
    assert sorted(op for op in ops(nodes).values() if op != "+") == ["softmax[0]", "softmax[1]"]
    total = autograd.sum([xs[0], 2.5, xs[1]]).leaky_relu(0.1)
    source = draw_dot(total).source
    nodes, _, _ = parse(source)
    constants = constant_nodes(nodes)
    assert sorted(constants.values()) == ["0.1", "2.5"]
    reads = {nodes[head]["label"]: nodes[tail]["label"] for tail, head, _ in edge_attrs(source) if tail in constants}
    assert reads == {"sum": "2.5", "leaky_relu": "0.1"}
    assert len(records(nodes)) == 4  # a, b, the sum, the leaky relu: the constants are not Values


def test_inputs_and_constants_leave_the_records_numbering_and_the_parents_unchanged():
    model = StandInMLP(2, [2, 1])
    out = model([0.5, -1.0])
    nodes, _, _ = parse(draw_dot(out, model=model).source)
    assert len(records(nodes)) == len(list(model.named_parameters())) + 2 + 2 + 1  # params, 2 dots, 2 tanh, 1 dot
    assert f"data {out.data:.4f}" in records(nodes)[f"n{len(records(nodes)) - 1}"]


# ---------------------------------------------------------------------------
# models: names and boxes
# ---------------------------------------------------------------------------

def test_parameters_show_the_dotted_names_of_the_model():
    model = StandInMLP(2, [3, 1])
    out = model([0.5, -1.0])  # plain float inputs: they are constants, not nodes
    nodes, _, _ = parse(draw_dot(out, model=model).source)
    shown = {label.split("|")[0] for label in records(nodes).values() if not label.startswith("{")}
    assert shown == {name for name, _ in model.named_parameters()}


def test_cluster_puts_each_neuron_in_its_box_inside_its_layer_box():
    model = StandInMLP(2, [3, 2, 1])
    out = model([Value(0.5, "x0"), Value(-1.0, "x1")])
    nodes, edges, boxes = parse(draw_dot(out, model=model, cluster=True).source)
    names = by_full_name(nodes, boxes)
    for name, _ in model.named_parameters():
        _, i, _, j = name.split(".")[:4]
        assert boxes[names[name]] == [f"layers.{i}", f"neurons.{j}"]
    assert boxes[names["x0"]] == [] and boxes[names["x1"]] == []
    # each neuron's dot node and (hidden layers) tanh node sit in the neuron's box
    expected_ops = {(f"layers.{i}", f"neurons.{j}"): (["dot", "tanh"] if i < 2 else ["dot"])
                    for i, n in enumerate([3, 2, 1]) for j in range(n)}
    found: dict[tuple[str, ...], list[str]] = {}
    for k, op in ops(nodes).items():
        found.setdefault(tuple(boxes[k]), []).append(op)
    assert {key: sorted(v) for key, v in found.items()} == expected_ops
    # the activation's result is in the box too: everything boxed except the two inputs
    assert sum(1 for k in records(nodes) if not boxes[k]) == 2


def test_cluster_needs_a_model_and_a_model_needs_named_parameters():
    o, _ = neuron_graph()
    with pytest.raises(ValueError, match="cluster=True needs model"):
        draw_dot(o, cluster=True)
    with pytest.raises(TypeError, match="named_parameters"):
        draw_dot(o, model=object())


def test_an_nn_mlp_draws_with_named_parameters_and_boxes():
    model = nn.MLP(2, [4, 4, 1], activation="tanh", seed=0)
    out = model([Value(1.0, "x0"), Value(-2.0, "x1")])
    out.backward()
    nodes, _, boxes = parse(draw_dot(out, model=model, cluster=True).source)
    names = by_full_name(nodes, boxes)
    params = dict(model.named_parameters())
    for name, p in params.items():
        _, i, _, j = name.split(".")[:4]
        assert boxes[names[name]] == [f"layers.{i}", f"neurons.{j}"]
        assert f"data {p.data:.4f}" in nodes[names[name]]["label"]
        assert f"grad {p.grad:.4f}" in nodes[names[name]]["label"]
    # 9 neurons: 9 dot nodes, 8 tanh nodes (the output neuron is linear)
    assert sorted(ops(nodes).values()) == ["dot"] * 9 + ["tanh"] * 8
    assert len(records(nodes)) == len(params) + 2 + 9 + 8


# ---------------------------------------------------------------------------
# large graphs
# ---------------------------------------------------------------------------

def test_above_max_nodes_without_a_model_is_refused_with_the_size_and_the_way_out():
    x = Value(1.0)
    y = x
    for _ in range(600):
        y = y + 1.0
    with pytest.raises(ValueError, match=r"the graph has 601 Value nodes, more than max_nodes=500.*"
                                         r"max_nodes=601"):
        draw_dot(y)
    assert len(records(parse(draw_dot(y, max_nodes=601).source)[0])) == 601


def test_a_large_nn_graph_collapses_each_layer_to_one_node_with_its_size():
    model = nn.MLP(3, [8, 8, 1], activation="tanh", seed=1)
    samples = 40
    outs = [model([Value(0.1 * s, f"x{s}.{k}") for k in range(3)]) for s in range(samples)]
    loss = autograd.mean([o * o for o in outs])
    loss.backward()
    nodes, edges, _ = parse(draw_dot(loss, model=model).source)
    labels = {k: a["label"] for k, a in nodes.items()}
    # per layer: its parameters, plus for every sample one dot node and one activation node per neuron
    # (the last layer is linear: dot only)
    sizes = [(8, 8 * 4, 2), (8, 8 * 9, 2), (1, 1 * 9, 1)]
    layer_node = {}
    for i, (neurons, n_params, per_neuron) in enumerate(sizes):
        graph_nodes = n_params + samples * neurons * per_neuron
        expected = f"layers.{i}|neurons: {neurons}|parameters: {n_params}|graph nodes: {graph_nodes}"
        layer_node[i] = next(k for k, label in labels.items() if label == expected)
    inputs = next(k for k, label in labels.items() if label == f"inputs|{samples * 3} values")
    other = next(k for k, label in labels.items() if label == f"{samples} other values|ops: *")
    output = next(k for k, label in labels.items() if label.startswith("output|"))
    assert f"data {loss.data:.4f}" in labels[output]
    assert sorted(edges) == sorted([(inputs, layer_node[0]), (layer_node[0], layer_node[1]),
                                    (layer_node[1], layer_node[2]), (layer_node[2], other), (other, output)])


def test_the_collapsed_view_of_a_100000_node_graph_is_small():
    model = nn.MLP(4, [16, 16, 1], activation="tanh", seed=2)
    samples = 1540  # plain float inputs: per sample 16+16 dot, 16+16 tanh, 1 dot = 65 Values
    outs = [model([0.01 * s, 0.5, -0.5, 1.0]) for s in range(samples)]
    total = autograd.sum(outs)
    n_values = samples * 65 + (16 * 5 + 16 * 17 + 17) + 1  # + parameters + the sum
    assert n_values > 100_000
    g = draw_dot(total, model=model, color_by="grad")
    nodes, edges, _ = parse(g.source)
    groups = {k: a["label"].split("|")[0] for k, a in nodes.items() if not k.startswith("legend")}
    assert sorted(groups.values()) == ["layers.0", "layers.1", "layers.2", "output"]
    name = {label: k for k, label in groups.items()}
    assert sorted(e for e in edges if not e[0].startswith("legend")) == sorted(
        [(name["layers.0"], name["layers.1"]), (name["layers.1"], name["layers.2"]),
         (name["layers.2"], name["output"])])
    assert f"{n_values} Values (more than max_nodes=500)" in g.source


# ---------------------------------------------------------------------------
# rendering with the real `dot`
# ---------------------------------------------------------------------------

def test_svg_is_xml_with_one_node_group_per_drawn_node():
    o, _ = neuron_graph()
    g = draw_dot(o)
    nodes, _, _ = parse(g.source)
    svg = g.pipe(format="svg")
    root = ET.fromstring(svg)
    groups = [el for el in root.iter("{http://www.w3.org/2000/svg}g") if el.get("class") == "node"]
    assert len(groups) == len(nodes) == 10 + 5  # 10 Values, 5 operations (*, *, +, +, tanh)


def test_png_starts_with_the_png_signature(tmp_path):
    o, _ = neuron_graph()
    path = draw_dot(o).render(tmp_path / "neuron", format="png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_jupyter_gets_an_inline_svg():
    o, _ = neuron_graph()
    bundle = draw_dot(o)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and "<svg" in bundle["image/svg+xml"]


def test_without_the_dot_program_rendering_says_how_to_install_graphviz(monkeypatch, tmp_path):
    o, _ = neuron_graph()
    g = draw_dot(o)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    assert shutil.which("dot") is None
    for attempt in (lambda: g.pipe(format="svg"), lambda: g.render(tmp_path / "x", format="png"),
                    g._repr_mimebundle_):
        with pytest.raises(graphviz.ExecutableNotFound) as info:
            attempt()
        assert isinstance(info.value, GraphvizNotFoundError)
        message = str(info.value)
        assert "sudo apt-get install graphviz" in message
        assert "brew install graphviz" in message
        assert "conda install -c conda-forge graphviz" in message
        assert isinstance(info.value.__cause__, graphviz.ExecutableNotFound)
    assert g.source.startswith("digraph")  # the DOT text needs no Graphviz
    assert os.environ["PATH"] == str(tmp_path)


_SAME_PICTURE_SCRIPT = """
import hashlib, nn, autograd
from autograd import Value
m = nn.MLP(4, [8, 8, 3], seed=0)
x = [Value(0.1 * j, label=f"x{j}") for j in range(4)]
loss = autograd.sum(m(x)) + 1e-3 * nn.functional.l2_penalty(m.parameters())
loss.backward()
for kwargs in ({}, {"cluster": True}, {"max_nodes": 20}, {"max_nodes": 20, "color_by": "grad"}):
    g = autograd.draw_dot(loss, model=m, **kwargs)
    print(hashlib.sha256(g.source.encode()).hexdigest())
"""


def test_the_same_graph_gives_the_same_dot_source_in_every_python_process() -> None:
    # String hashes (and so set order) change from process to process: the picture must not.
    import os
    import subprocess
    import sys

    sources = set()
    for seed in ("1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", _SAME_PICTURE_SCRIPT], env=env, capture_output=True, text=True,
                              check=True)  # fmt: skip
        sources.add(done.stdout)
    assert len(sources) == 1, sources
