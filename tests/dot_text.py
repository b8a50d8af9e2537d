"""Helpers of the draw_dot tests: a small reader for the DOT text graphviz emits, and the graphs they draw."""

from __future__ import annotations

import re

import autograd
from autograd import Value

# ---------------------------------------------------------------------------
# a small reader for the DOT text that graphviz emits
# ---------------------------------------------------------------------------

NODE = re.compile(r'^\s*(\w+) \[(.*)\]$')
EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[(.*)\])?$')
ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^ \]]+)')
SUBGRAPH = re.compile(r'^\s*subgraph (\w+) \{$')


def parse(source: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str]], dict[str, list[str]]]:
    """nodes {name: attrs}, edges [(tail, head)], and for each node the labels of the boxes around it."""
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str]] = []
    boxes: dict[str, list[str]] = {}
    stack: list[str] = []  # labels of the open subgraphs
    for line in source.splitlines():
        if m := SUBGRAPH.match(line):
            stack.append(m.group(1))
        elif line.strip() == "}" and stack:
            stack.pop()
        elif stack and "label=" in line and "[" not in line and "->" not in line:  # the box's own attributes
            stack[-1] = dict(ATTR.findall(line))["label"].strip('"')
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif (m := NODE.match(line)) and m.group(1) not in ("node", "edge"):  # not the default styles
            attrs = {k: v[1:-1] if v.startswith('"') else v for k, v in ATTR.findall(m.group(2))}
            nodes[m.group(1)] = attrs
            boxes[m.group(1)] = list(stack)
    return nodes, edges, boxes


def records(nodes: dict[str, dict[str, str]]) -> dict[str, str]:
    """Record nodes (one per Value): name -> label."""
    return {k: a["label"] for k, a in nodes.items() if re.fullmatch(r"n\d+", k)}


def ops(nodes: dict[str, dict[str, str]]) -> dict[str, str]:
    """Operation nodes: name -> op."""
    return {k: a["label"] for k, a in nodes.items() if re.fullmatch(r"op\d+", k)}


def by_name(nodes: dict[str, dict[str, str]]) -> dict[str, str]:
    """Value name (first record field) -> node name, for graphs where every Value has a label."""
    return {label.split("|")[0]: k for k, label in records(nodes).items()}


def by_full_name(nodes: dict[str, dict[str, str]], boxes: dict[str, list[str]]) -> dict[str, str]:
    """Dotted name -> node name, where a boxed record shows its name within its boxes (`w.0`)."""
    return {".".join([*boxes[k], label.split("|")[0]]): k for k, label in records(nodes).items()}


def edge_attrs(source: str) -> list[tuple[str, str, dict[str, str]]]:
    """Every edge (tail, head, attributes), with an edge into a box through an invisible point (`e..`)
    joined up again: tail -> point -> op is the one edge tail -> op (with the attributes of its last part)."""
    found = []
    for line in source.splitlines():
        if m := EDGE.match(line):
            attrs = {k: v[1:-1] if v.startswith('"') else v for k, v in ATTR.findall(m.group(3) or "")}
            found.append((m.group(1), m.group(2), attrs))
    into_point = {head: tail for tail, head, _ in found if re.fullmatch(r"e\d+_\d+", head)}
    return [(into_point.get(tail, tail), head, attrs) for tail, head, attrs in found
            if not re.fullmatch(r"e\d+_\d+", head) and attrs.get("style") != "invis"]


def notebook_one() -> Value:
    """L = tanh(w·x + b)·x with every node labelled, x used twice (notebook 1)."""
    x, w, b = Value(0.5, "x"), Value(-1.5, "w"), Value(1.0, "b")
    m = w * x
    z = m + b
    h = z.tanh()
    L = h * x
    for node, name in [(m, "m"), (z, "z"), (h, "h"), (L, "L")]:
        node.label = name
    return L


def neuron_graph() -> tuple[Value, dict[str, Value]]:
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), every Value labelled, after backward()."""
    v = {name: Value(d, name) for name, d in
         [("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0), ("b", 6.8813735870195432)]}
    x1w1 = v["x1"] * v["w1"]
    x1w1.label = "x1w1"
    x2w2 = v["x2"] * v["w2"]
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + v["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    v.update(x1w1=x1w1, x2w2=x2w2, s=s, n=n, o=o)
    return o, v


class StandInNeuron:
    """What nn's neuron computes: act(dot(w + [b], x + [1.0]))."""

    def __init__(self, ws: list[float], b: float, act: str) -> None:
        self.w = [Value(w) for w in ws]
        self.b = Value(b)
        self.act = act

    def __call__(self, xs: list) -> Value:
        z = autograd.dot(self.w + [self.b], list(xs) + [1.0])
        return z if self.act == "linear" else getattr(z, self.act)()


class StandInMLP:
    """Hand-built layers of StandInNeurons with nn's dotted parameter names (duck-typed model)."""

    def __init__(self, nin: int, nouts: list[int], act: str = "tanh") -> None:
        sizes = [nin, *nouts]
        self.layers = [
            [StandInNeuron([0.1 * (j + 1) - 0.05 * k for k in range(sizes[i])], 0.01 * j,
                           act if i < len(nouts) - 1 else "linear") for j in range(sizes[i + 1])]
            for i in range(len(nouts))
        ]

    def __call__(self, xs: list) -> Value:
        for layer in self.layers:
            xs = [neuron(xs) for neuron in layer]
        return xs[0]

    def named_parameters(self):
        for i, layer in enumerate(self.layers):
            for j, neuron in enumerate(layer):
                for k, w in enumerate(neuron.w):
                    yield f"layers.{i}.neurons.{j}.w.{k}", w
                yield f"layers.{i}.neurons.{j}.b", neuron.b


def drawing_order(root: Value) -> list[Value]:
    """draw_dot's numbering (n0, n1, ...): depth first, parents in order, parents before children."""
    order, seen, stack = [], {root}, [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order
