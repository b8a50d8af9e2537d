"""Pictures of a Value graph: draw_dot (every number, gradient and operation) and animate_backward (backward
replayed on that picture, one frame per node). The only file of the engine that knows about pictures.

    >>> from autograd import Value, animate_backward
    >>> x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    >>> steps = animate_backward((w * x).tanh())
    >>> len(steps)                 # two nodes to process: tanh, then *
    2
    >>> path = steps.save("backward.html")      # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import html
import itertools
import math
import os
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import graphviz

from autograd.engine import is_cut, topological_order
from autograd.functional import Dot, LogSoftmax, Softmax
from autograd.value import Value

__all__ = ["BackwardAnimation", "GraphvizNotFoundError", "Step", "ValueGraph", "animate_backward", "draw_dot",
           "local_derivatives"]

RANKDIRS = ("LR", "RL", "TB", "BT")
INFIX = ("+", "-", "*", "/", "**")  # the binary operators, whose constant is written beside them (`* 2.0`)
COLOR_BY_CHOICES = (None, "grad")

# Roles get their own colours: (fill, border).
INPUT_COLORS = ("#dbeafe", "#2563eb")  # leaves that are not parameters: light blue
PARAM_COLORS = ("#fef3c7", "#d97706")  # parameters of the model: light amber
OUTPUT_COLORS = ("#dcfce7", "#15803d")  # the root: light green
INNER_COLORS = ("#ffffff", "#9ca3af")  # everything in between: white
OP_COLORS = ("#f3f4f6", "#6b7280")  # the small operation nodes
CONSTANT_COLORS = ("#f3f4f6", "#9ca3af")  # a plain number an operation reads (the 1 a bias multiplies)
LOCAL_GRAD_COLOR = "#7c3aed"  # the local derivatives written on the edges
HIGHLIGHT_COLOR = "#dc2626"
FONT = "Helvetica"

# |grad| colour scale: 1e-8 (or less) is nearly white, 1 (or more) is deep blue; log10 in between.
GRAD_DECADES = (-8, 0)
GRAD_SCALE = ((0.0, "#f5f5f5"), (0.25, "#d0e1f2"), (0.5, "#94c4df"), (0.75, "#4a98c9"), (1.0, "#08519c"))
LEGEND_STEPS = ((1e-8, "≤ 1e-8"), (1e-6, "1e-6"), (1e-4, "1e-4"), (1e-2, "1e-2"), (1.0, "≥ 1"))

INSTALL_HELP = (
    "draw_dot builds the DOT text without it (.source), but rendering needs the Graphviz 'dot' program:\n"
    "  Debian/Ubuntu: sudo apt-get install graphviz\n"
    "  macOS:         brew install graphviz\n"
    "  conda:         conda install -c conda-forge graphviz"
)


# ---------------------------------------------------------------------------
# rendering that explains how to install Graphviz when `dot` is missing
# ---------------------------------------------------------------------------

class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """graphviz.ExecutableNotFound, with the command that installs Graphviz on common systems."""

    def __init__(self, reason: str) -> None:
        # ExecutableNotFound formats a command list; we already have its message, so store ours directly.
        RuntimeError.__init__(self, f"{reason}\n{INSTALL_HELP}")


def _with_install_help(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a rendering method so a missing `dot` raises GraphvizNotFoundError (chained to the original)."""

    @functools.wraps(method)
    def wrapper(self: graphviz.Digraph, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except GraphvizNotFoundError:
            raise
        except graphviz.ExecutableNotFound as err:
            raise GraphvizNotFoundError(str(err)) from err

    return wrapper


class ValueGraph(graphviz.Digraph):
    """A graphviz.Digraph whose rendering errors say how to install Graphviz; shows inline in Jupyter."""

    render = _with_install_help(graphviz.Digraph.render)
    pipe = _with_install_help(graphviz.Digraph.pipe)
    view = _with_install_help(graphviz.Digraph.view)
    _repr_mimebundle_ = _with_install_help(graphviz.Digraph._repr_mimebundle_)


# ---------------------------------------------------------------------------
# walking the graph
# ---------------------------------------------------------------------------

def _collect(root: Value) -> list[Value]:
    """Every Value reachable from root, parents before the Values computed from them (root last).

    Depth-first with an explicit stack (graphs can be 10^5 deep, too deep for recursion), visiting
    parents in tuple order, so the same graph always gives the same order and the same node numbers.
    """
    order = []
    seen = {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:  # every parent is already in order: the node can follow them
            stack.pop()
            order.append(node)
    return order


# ---------------------------------------------------------------------------
# modules: which box of the picture each Value belongs to
# ---------------------------------------------------------------------------
# Parameter names are dotted paths such as `layers.0.neurons.3.w.1` or `layers.0.neurons.3.b`.
# The module of a parameter is its name without the trailing index (`1`) and attribute (`w`):
# `layers.0.neurons.3`. A module gets a box for each prefix that names a module rather than a list:
# `layers` is followed by the index `0`, so it is a list and gets no box; `layers.0` and
# `layers.0.neurons.3` do. Every other Value is assigned by these rules, in order:
#   1. a parameter belongs to its own module;
#   2. an operation whose parents include parameters from exactly one module belongs to that module
#      (a neuron's 'dot' node: its parents are the neuron's own weights and bias plus its inputs);
#   3. a function (not + - * / **) whose one parent is such a node follows it (a neuron's activation
#      follows its 'dot');
#   4. anything else (inputs, a loss, even `out - 1.0` on a single output) belongs to no module: top level.
# An operation node is drawn in the same box as the Value it produces, and so is a constant it reads.

def _module_of_parameter(name: str) -> str:
    """`layers.0.neurons.3.w.1` -> `layers.0.neurons.3`: drop trailing indices, then the attribute."""
    parts = name.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


def _boxes(module: str) -> list[str]:
    """The nested boxes of a module, outermost first: `layers.0.neurons.3` -> [`layers.0`, ..neurons.3]."""
    if not module:
        return []
    parts = module.split(".")
    return [
        ".".join(parts[: i + 1])
        for i in range(len(parts))
        if i + 1 == len(parts) or not parts[i + 1].isdigit()
    ]


def _parameter_names(model: Any) -> dict[Value, str]:
    """parameter -> dotted name, from any object with named_parameters()."""
    named = getattr(model, "named_parameters", None)
    if not callable(named):
        raise TypeError(
            f"model must have a named_parameters() method yielding (name, Value) pairs, "
            f"got {type(model).__name__}"
        )
    names: dict[Value, str] = {}
    for name, param in named():
        if not isinstance(param, Value):
            raise TypeError(f"model.named_parameters() yielded {name!r} -> {type(param).__name__}, "
                            f"expected a Value")
        names.setdefault(param, str(name))
    return names


def _assign_modules(order: list[Value], param_module: dict[Value, str]) -> dict[Value, str]:
    """Value -> module path ('' for none), by the rules above; order has parents before children."""
    module: dict[Value, str] = {}
    reads_parameters: set[Value] = set()  # the nodes placed by rule 2
    owner = param_module.get
    for value in order:
        parents = value.parents
        if not parents:
            found = owner(value, "")  # rule 1 (or 4 for an input)
        else:
            owners = set(map(owner, parents))
            owners.discard(None)
            if owners:
                found = owners.pop() or "" if len(owners) == 1 else ""  # rule 2
                reads_parameters.add(value)
            elif len(parents) == 1 and parents[0] in reads_parameters and value.op not in INFIX:
                found = module[parents[0]]  # rule 3: a function of the sum (tanh), not arithmetic on it (o - 1)
            else:
                found = ""  # rule 4
        module[value] = found
    return module


# ---------------------------------------------------------------------------
# colours and labels
# ---------------------------------------------------------------------------

def _grad_color(grad: float) -> str:
    """Colour of |grad| on the log scale: t = (log10|grad| + 8) / 8 clipped to [0, 1], then interpolated."""
    magnitude = abs(grad)
    low, high = GRAD_DECADES
    if math.isnan(magnitude) or magnitude >= 10.0**high:
        t = 1.0
    elif magnitude <= 10.0**low:
        t = 0.0
    else:
        t = (math.log10(magnitude) - low) / (high - low)
    for (t0, c0), (t1, c1) in pairwise(GRAD_SCALE):
        if t <= t1:
            w = (t - t0) / (t1 - t0)
            rgb = [round(int(c0[k : k + 2], 16) * (1 - w) + int(c1[k : k + 2], 16) * w) for k in (1, 3, 5)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return GRAD_SCALE[-1][1]


def _font_color(fill: str) -> str:
    """Black text on light fills, white text on dark ones (relative luminance below 0.45)."""
    r, g, b = (int(fill[k : k + 2], 16) / 255 for k in (1, 3, 5))
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else "black"


def _text(text: Any) -> str:
    """User text as an exact str (a str subclass's overridden methods or a non-str .label cannot interfere)."""
    return str.__str__(text if isinstance(text, str) else str(text))


def _escape(text: str) -> str:
    """Make text literal inside a record label (record syntax uses { } | < > and backslash; Graphviz also
    decodes &entities; in any label)."""
    text = _text(text).replace("&", "&amp;")
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _plain(text: Any) -> str:
    """Make text literal as a whole non-record label (an op node, a box title): never an HTML-like label, no
    escString sequences (\\N, \\l...), no entities, and no trailing backslash that would eat the closing quote."""
    return graphviz.nohtml(_text(text).replace("\\", "\\\\").replace("&", "&amp;"))


def _record(fields: list[str], rankdir: str) -> str:
    """Record label with fields stacked top to bottom, whatever the rank direction."""
    body = "|".join(fields)
    return body if rankdir in ("LR", "RL") else "{" + body + "}"


def _number_text(x: float) -> str:
    """x with four decimals, and its size in scientific notation when that prints as ±0.0000."""
    text = f"{x:.4f}"
    if x != 0.0 and abs(x) < 5e-5:
        text += f" ({x:.1e})"
    return text


def _value_fields(data: float, grad: float, name: str) -> list[str]:
    """The name (when there is one) on top, then one row `data ... | grad ...` (the braces turn it)."""
    fields = [_escape(name)] if name else []
    return fields + [f"{{data {data:.4f}|grad {_number_text(grad)}}}"]


def _constant_text(c: float) -> str:
    """A plain-number constant as a reader writes it: 2.0, -1.0, 0.01, 1e-06 (six significant digits)."""
    text = format(c, ".6g")
    return text + ".0" if text.lstrip("-").isdigit() else text


def _node_style(role: str, grad: float | None, highlighted: bool) -> dict[str, str]:
    """Graphviz attributes for a record node of the given role ('input', 'param', 'output', 'inner').

    Normal view: the fill shows the role. Gradient view: the fill shows |grad|, the border shows the role.
    """
    fill, border = {"input": INPUT_COLORS, "param": PARAM_COLORS, "output": OUTPUT_COLORS}.get(
        role, INNER_COLORS
    )
    attrs = {"fillcolor": fill, "color": border, "penwidth": "1.5" if role != "inner" else "1"}
    if grad is not None:
        attrs["fillcolor"] = _grad_color(grad)
        attrs["fontcolor"] = _font_color(attrs["fillcolor"])
        attrs["penwidth"] = "2.5" if role != "inner" else "1"
    if role == "output":
        attrs["peripheries"] = "2"
    if highlighted:
        attrs.update(color=HIGHLIGHT_COLOR, penwidth="4")
    return attrs


def _new_graph(rankdir: str) -> ValueGraph:
    g = ValueGraph(format="svg")
    g.attr(rankdir=rankdir, fontname=FONT, fontsize="12", nodesep="0.15", ranksep="0.35", mclimit="0.05",
           newrank="true", pad="0.2")
    g.attr("node", fontname=FONT, fontsize="11", shape="Mrecord", style="filled", height="0.3")
    g.attr("edge", color="#6b7280", arrowsize="0.6", penwidth="1")
    return g


def _add_legend(g: graphviz.Digraph) -> None:
    """A small boxed row showing the colour of |grad| = 1e-8, 1e-6, ..., 1."""
    with g.subgraph(name="cluster_legend") as legend:
        legend.attr(label="|grad|, log scale", fontsize="10", style="rounded,dashed", color="#9ca3af")
        names = []
        for k, (magnitude, text) in enumerate(LEGEND_STEPS):
            fill = _grad_color(magnitude)
            name = f"legend{k}"
            legend.node(name, label=text, shape="box", style="rounded,filled", fillcolor=fill,
                        fontcolor=_font_color(fill), fontsize="9", color="#9ca3af", width="0.5")
            names.append(name)
        for a, b in pairwise(names):
            legend.edge(a, b, style="invis")


# ---------------------------------------------------------------------------
# the arguments of an operation: Values, inputs, constants
# ---------------------------------------------------------------------------
# A node's arguments (`_args`) are Values and plain numbers (floats). The Values are drawn as records with
# an edge into the operation; a plain number is drawn where a reader would look for it:
#   "value"    a Value: its own record;
#   "input"    one of a dot's inputs, paired with a Value weight (a network's x): an input record showing
#              the number, one per number and position, shared by the neurons that read it;
#   "one"      the 1 that a neuron's bias multiplies (dot(w + [b], x + [1.0])): a small node beside the
#              bias, one per bias however many samples;
#   "constant" any other number an operation reads (a custom op's constant, a number in a sum): a small
#              node of its own next to the operation;
#   "shown"    a binary operator's constant, written into the operation's label (`* 2.0`, `1.0 -`), and
#              softmax's output index (`softmax[2]`).


def _argument_kinds(value: Value) -> list[str]:
    """How each of value's arguments is drawn: 'value', 'input', 'one', 'constant' or 'shown' (see above)."""
    fn, args = value._fn, value._args
    kinds = ["value" if type(a) is not float else "constant" for a in args]
    if fn is Dot:  # Σ args[i]·args[i + n]: a number beside a Value weight is that weight's input
        n = len(args) // 2
        for i, a in enumerate(args):
            partner = args[(i + n) % (2 * n)]
            if kinds[i] == "constant" and type(partner) is not float:
                kinds[i] = "one" if i % n == n - 1 and a == 1.0 else "input"
    elif fn is Softmax or fn is LogSoftmax:
        kinds[0] = "shown"
    elif fn is not None and fn.name in INFIX and len(args) == 2:
        kinds = ["value" if kind == "value" else "shown" for kind in kinds]
    return kinds


def _op_label(value: Value) -> str:
    """The operation's name, with the constants that are shown in it: `* 2.0`, `1.0 -`, `softmax[2]`."""
    fn, args = value._fn, value._args
    assert fn is not None  # only interior nodes have an operation
    name = _text(fn.name)
    if fn is Softmax or fn is LogSoftmax:
        return _plain(f"{name}[{int(args[0])}]")
    if name in INFIX and len(args) == 2:
        a, b = args
        if type(a) is float:
            return _plain(f"{_constant_text(a)} {name}")
        if type(b) is float:
            return _plain(f"{name} {_constant_text(b)}")
    return _plain(name)


def local_derivatives(value: Value) -> list[float]:
    """∂value/∂arg for each argument of value, at the numbers it was made from: its op's backward with g = 1.

    One entry per argument in order; a constant's entry is not a derivative anyone receives (ignore it).
    """
    if value._fn is None:
        return []
    return [float(d) for d in value._fn.backward(1.0, value._data, *value._saved)]


# ---------------------------------------------------------------------------
# the full picture
# ---------------------------------------------------------------------------

@dataclass
class Edge:
    """An edge argument -> operation: what it joins, and the local derivative it carries."""

    tail: str  # the argument's DOT node: n<k> (a Value), x<k> (an input), c<k> (a constant)
    head: str  # the operation's DOT node, op<i>
    node: Value  # the Value the operation makes
    position: int  # the argument's index in node's arguments
    parent: Value | None  # the argument, when it is a Value
    local: float | None  # ∂node/∂parent at the current numbers (None for a constant, or without local_grads)


@dataclass
class Scene:
    """A full picture and how it was made: the graph, each Value's DOT node, and every edge into an op."""

    graph: ValueGraph
    node_of: dict[Value, str]
    edges: list[Edge] = field(default_factory=list)


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    *,
    model: Any = None,
    cluster: bool = False,
    color_by: str | None = None,
    highlight: Iterable[Value] = (),
    max_nodes: int = 500,
    local_grads: bool = False,
) -> ValueGraph:
    """Picture of the graph that computes root: one record per Value (data, grad), one node per operation.

    Args:
        root: the Value whose graph is drawn (usually a loss or a network output).
        rankdir: graphviz layout direction, "LR" (left to right, default), "RL", "TB" or "BT".
        model: optional object with named_parameters() yielding (dotted_name, Value), e.g. an nn.MLP:
            parameters then show their names and get their own colour.
        cluster: with a model, draw each module (layer, neuron) in a labelled box; inside a box a parameter
            shows its name within it (`w.0`).
        color_by: None (colours show inputs, parameters and output) or "grad" (fill shows |grad| on a
            log scale from 1e-8 to 1, with a legend; the border shows the role). A collapsed module is
            shaded by the largest |grad| of its parameters, other collapsed groups by their largest |grad|.
        highlight: Values to mark with a thick red border.
        max_nodes: largest number of Values drawn one by one. Above it, with a model, each top-level
            module (`layers.0`, ...) collapses to one node with its size; without a model, ValueError.
        local_grads: label each edge argument -> operation with the local derivative ∂out/∂argument at
            the current numbers, so that each grad reads off the picture as Σ (grad of out) × (label) over
            the edges leaving its record (the chain rule). The exact numbers are in the tooltips.

    Plain numbers are drawn too: a dot's inputs (a network's x) as input records with their number, a
    binary operator's constant in its label (`* 2.0`), any other constant as a small node. Columns read
    from left to right (with rankdir "LR"): each value one column after what it is computed from, each
    parameter or input just before the operation that first reads it, so a network's layers line up.

    Returns:
        a graphviz.Digraph (ValueGraph): shows inline in Jupyter, `.render(name, format="png")` writes a
        file, `.source` is the DOT text (needs no Graphviz installation). The same graph always gives the
        same DOT text: nodes are numbered depth first, parents in tuple order, parents before children.
    """
    options = _check_options(root, rankdir, model, cluster, color_by, highlight, max_nodes, local_grads)
    names, order, highlighted = options
    if len(order) > max_nodes:
        return _draw_collapsed(root, order, names, rankdir, color_by, highlighted, max_nodes)
    return _draw_full(root, order, names, rankdir, cluster, color_by, highlighted, local_grads).graph


def _check_options(root: Any, rankdir: Any, model: Any, cluster: Any, color_by: Any, highlight: Any,
                   max_nodes: Any, local_grads: Any, collapse: bool = True,
                   ) -> tuple[dict[Value, str], list[Value], set[Value]]:  # fmt: skip
    """(parameter names, the Values to draw, the highlighted ones), or the error a bad argument deserves.

    collapse: whether a graph of more than max_nodes Values may be drawn collapsed (with a model).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot expects a Value as root, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(map(repr, RANKDIRS))}, got {rankdir!r}")
    if color_by not in COLOR_BY_CHOICES:
        raise ValueError(
            f"color_by must be one of {', '.join(map(repr, COLOR_BY_CHOICES))}, got {color_by!r}"
        )
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if not isinstance(local_grads, bool):
        raise TypeError(f"local_grads must be True or False, got {type(local_grads).__name__}")
    if cluster and model is None:
        raise ValueError("cluster=True needs model=... (an object with named_parameters(), e.g. an nn.MLP)")
    if isinstance(highlight, Value) or not isinstance(highlight, Iterable):
        raise TypeError(f"highlight must be a list of Values (e.g. [x, w]), got {type(highlight).__name__}")
    highlighted = set()
    for value in highlight:
        if not isinstance(value, Value):
            raise TypeError(f"highlight must hold Values, got {type(value).__name__}")
        highlighted.add(value)
    names = _parameter_names(model) if model is not None else {}
    order = _collect(root)
    if len(order) > max_nodes and (model is None or not collapse):
        way_out = ", or model=... (an object with named_parameters()) to collapse it by layer" if collapse else ""
        raise ValueError(
            f"the graph has {len(order)} Value nodes, more than max_nodes={max_nodes}: the picture "
            f"would be unreadable and slow to lay out. Pass max_nodes={len(order)} (or more) to draw "
            f"it anyway{way_out}."
        )
    return names, order, highlighted


def _role(value: Value, root: Value, names: dict[Value, str]) -> str:
    if value is root:
        return "output"
    if value in names:
        return "param"
    return "input" if not value.parents else "inner"


def _inside(box: str, outer: str) -> bool:
    """Whether box is outer or one of the boxes inside it ('' is the top level, around everything)."""
    return box == outer or box.startswith(outer + ".") or not outer


def _short_name(name: str, box: str) -> str:
    """A parameter's name inside its box: `layers.1.neurons.0.w.0` in box `layers.1.neurons.0` is `w.0`."""
    return name[len(box) + 1 :] if box and name.startswith(box + ".") else name


def _draw_full(
    root: Value,
    order: list[Value],
    names: dict[Value, str],
    rankdir: str,
    cluster: bool,
    color_by: str | None,
    highlighted: set[Value],
    local_grads: bool,
    grads: dict[Value, float] | None = None,
    ids: bool = False,
) -> Scene:
    """Every Value, every operation and the numbers they read, optionally boxed by module, in columns.

    grads: the gradients to show instead of each Value's .grad (animate_backward shows a pass in progress).
    ids: give every node and edge an `id`, which the SVG keeps (animate_backward finds them by it).
    """
    g = _new_graph(rankdir)
    if color_by == "grad":
        _add_legend(g)
    module = _assign_modules(order, {k: _module_of_parameter(n) for k, n in names.items()}) if cluster else {}
    nodes = _Nodes(ids)
    scene = Scene(g, {v: f"n{i}" for i, v in enumerate(order)})

    for i, value in enumerate(order):  # a record per Value, and a small node for the op that made it
        boxes = _boxes(module.get(value, ""))
        box = boxes[-1] if boxes else ""
        grad = value.grad if grads is None else grads.get(value, 0.0)
        name = names.get(value)
        name = value.label if name is None else _short_name(name, box) if cluster else name
        style = _node_style(_role(value, root, names), grad if color_by == "grad" else None, value in highlighted)
        if local_grads:
            style["tooltip"] = f"data {value.data!r}, grad {float(grad)!r}"
        nodes.place(f"n{i}", {"label": _record(_value_fields(value.data, grad, name), rankdir), **style}, boxes)
        if value._fn is not None:
            nodes.place(f"op{i}", {"label": _op_label(value), **OP_STYLE}, boxes)
    _add_argument_edges(scene, order, nodes, rankdir, local_grads)

    rank = _columns(order, scene.edges, {scene.node_of[p] for p in names if p in scene.node_of})
    entries = _entries(scene.edges, nodes, rank) if cluster else {}
    _keep_argument_order(scene.edges, nodes, {scene.node_of[p] for p in names if p in scene.node_of})

    for name, attrs in nodes.by_box[""]:
        g.node(name, **attrs)
    _add_boxes(g, nodes.by_box, flip=rankdir in ("TB", "BT"))  # neurons.0 first: on top, or on the left
    columns: dict[int, list[str]] = {}
    for name in nodes.box_of:
        columns.setdefault(rank[name], []).append(name)
    for column in sorted(columns):
        if len(columns[column]) > 1:
            with g.subgraph() as same:  # one column: graphviz stacks them, whatever box each is in
                same.attr(rank="same")
                for name in columns[column]:
                    same.node(name)

    for i, value in enumerate(order):
        if value._fn is not None:
            g.edge(f"op{i}", f"n{i}", **({"id": f"op{i}-n{i}"} if ids else {}))
    # Graphviz stacks boxed nodes in the reverse of the order it meets their edges (in LR and RL), others in
    # that order: writing the edges accordingly puts w.0 above w.1, neurons.0 above neurons.1, x.0 above x.1.
    backwards = len(nodes.by_box) > 1 and rankdir in ("LR", "RL")
    for k in reversed(range(len(scene.edges))) if backwards else range(len(scene.edges)):
        edge = scene.edges[k]
        tail = entries.get(k, edge.tail)
        if tail != edge.tail:
            first = {"id": f"{edge.head}:{edge.position}:in"} if ids else {}
            g.edge(edge.tail, tail, arrowhead="none", **_minlen(rank[tail] - rank[edge.tail]), **first)
        attrs = _minlen(rank[edge.head] - rank[tail])
        if edge.local is not None:
            attrs.update(label=_number_text(edge.local), tooltip=repr(edge.local), fontsize="9",
                         fontcolor=LOCAL_GRAD_COLOR)
        if ids:
            attrs["id"] = f"{edge.head}:{edge.position}"
        g.edge(tail, edge.head, **attrs)
    if local_grads:
        g.attr(label="on each edge: the local derivative ∂(result)/∂(argument);  the grad of a value = "
                     "Σ over the edges leaving it of (the grad of the result) × (the edge's number)",
               labelloc="b", fontsize="10", fontcolor=LOCAL_GRAD_COLOR)  # fmt: skip
    return scene


OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": OP_COLORS[0], "color": OP_COLORS[1],
            "fontsize": "10", "width": "0.3", "height": "0.25", "margin": "0.04"}  # fmt: skip
CONSTANT_STYLE = {"shape": "box", "style": "rounded,filled", "fillcolor": CONSTANT_COLORS[0],
                  "color": CONSTANT_COLORS[1], "fontsize": "9", "width": "0.3", "height": "0.2",
                  "margin": "0.04,0.02"}  # fmt: skip


class _Nodes:
    """The node statements of a picture, grouped by the innermost box each lives in ('' = top level)."""

    def __init__(self, ids: bool) -> None:
        self.ids = ids
        self.by_box: dict[str, list[tuple[str, dict[str, str]]]] = {"": []}
        self.box_of: dict[str, str] = {}  # DOT node -> its innermost box
        self.attrs: dict[str, dict[str, str]] = {}

    def place(self, name: str, attrs: dict[str, str], boxes: list[str]) -> None:
        """Add node `name` to the innermost of boxes (outermost first; none = top level)."""
        for box in boxes:
            self.by_box.setdefault(box, [])
        if self.ids:
            attrs["id"] = name
        box = boxes[-1] if boxes else ""
        self.by_box[box].append((name, attrs))
        self.box_of[name] = box
        self.attrs[name] = attrs

    def boxes(self, name: str) -> list[str]:
        """The boxes around node `name`, outermost first."""
        return _boxes(self.box_of[name])


def _add_argument_edges(scene: Scene, order: list[Value], nodes: _Nodes, rankdir: str, local_grads: bool) -> None:
    """The edges argument -> operation of every node in order, with the input and constant nodes they need."""
    index = {v: i for i, v in enumerate(order)}
    inputs: dict[tuple, str] = {}  # (the number's id, its position) -> its input record
    constants: dict[tuple, str] = {}  # (its bias,) or (operation, position) -> its constant node
    for i, value in enumerate(order):
        if value._fn is None:
            continue
        local = local_derivatives(value) if local_grads else []
        half = len(value._args) // 2 or 1  # a dot's arguments: Σ args[k]·args[k + half]
        for j, (arg, kind) in enumerate(zip(value._args, _argument_kinds(value))):
            if kind == "value":
                scene.edges.append(Edge(f"n{index[arg]}", f"op{i}", value, j, arg, local[j] if local else None))
                continue
            if kind == "input":
                key: tuple = (id(arg), j % half)  # the float object itself: the x all of a layer's neurons read
                if key not in inputs:
                    inputs[key] = f"x{len(inputs)}"
                    label = _record([f"x.{j % half}", f"data {arg:.4f}"], rankdir)
                    nodes.place(inputs[key], {"label": label, **_node_style("input", None, False)}, [])
                tail = inputs[key]
            elif kind in ("one", "constant"):
                key = (value._args[(j + half) % (2 * half)],) if kind == "one" else (i, j)  # "one": by its bias
                if key not in constants:
                    constants[key] = f"c{len(constants)}"
                    nodes.place(constants[key], {"label": _constant_text(arg), **CONSTANT_STYLE},
                                nodes.boxes(f"op{i}"))
                tail = constants[key]
            else:
                continue  # shown in the operation's label
            scene.edges.append(Edge(tail, f"op{i}", value, j, None, None))


def _entries(edges: list[Edge], nodes: _Nodes, rank: dict[str, int]) -> dict[int, str]:
    """{edge index: the invisible point inside the box that the edge enters the box through}.

    An edge that comes into a box from outside and spans more than one column would cross the box's first
    column outside the box, and graphviz would push the box down out of its way (each layer a step lower
    than the one before). Through a point in that column, inside the box, it needs no such room.
    """
    entries: dict[int, str] = {}
    for k, edge in enumerate(edges):
        box = nodes.box_of[edge.head]
        if box and not _inside(nodes.box_of[edge.tail], box) and rank[edge.head] - rank[edge.tail] > 1:
            entries[k] = name = f"e{edge.head[2:]}_{edge.position}"
            nodes.place(name, {"shape": "point", "style": "invis", "width": "0.01", "height": "0.01"},
                        nodes.boxes(edge.head))
            rank[name] = rank[edge.head] - 1
    return entries


def _keep_argument_order(edges: list[Edge], nodes: _Nodes, parameters: set[str]) -> None:
    """Stack a neuron's parameters in order, w.0, w.1, ..., b (then the 1 the bias multiplies).

    The first operation that reads a group of parameters keeps its incoming edges in argument order
    (graphviz's ordering=in); the other readers (the same neuron on other samples) follow it.
    """
    read: dict[str, dict[str, None]] = {}
    for edge in edges:
        if edge.tail in parameters or edge.tail.startswith("c"):
            read.setdefault(edge.head, {})[edge.tail] = None
    seen: set[str] = set()
    for head, tails in read.items():
        if not seen.intersection(tails):
            nodes.attrs[head]["ordering"] = "in"
        seen.update(tails)


def _minlen(columns: int) -> dict[str, str]:
    """The edge attribute that makes an edge span this many columns (graphviz's default is one)."""
    return {"minlen": str(columns)} if columns > 1 else {}


def _columns(order: list[Value], edges: list[Edge], parameters: set[str]) -> dict[str, int]:
    """The column (graphviz rank) of every DOT node, so that the picture reads from left to right.

    An operation comes one column after the values it reads, and two when it reads parameters as well: the
    column between holds them (a neuron's weights, just before its sum; with boxes, the box then shares no
    column with the box before it). Its result comes one column after it. A parameter or a constant sits in
    the column just before the first operation that reads it, an input (any other leaf) one column earlier
    still when that operation reads parameters. In an MLP the inputs come first, then each layer's
    parameters, sums and activations, then the loss.
    """
    tails: dict[str, list[str]] = {}
    for edge in edges:
        tails.setdefault(edge.head, []).append(edge.tail)
    interior = {f"n{i}" for i, v in enumerate(order) if v._fn is not None}
    beside = parameters | {edge.tail for edge in edges if edge.tail.startswith("c")}  # beside their operation
    rank: dict[str, int] = {}
    gap: dict[str, int] = {}
    for i, value in enumerate(order):
        if value._fn is None:
            continue
        op, read = f"op{i}", tails.get(f"op{i}", [])
        gap[op] = int(any(t in parameters for t in read) and any(t not in beside for t in read))
        rank[op] = max([1 + gap[op]] + [rank[t] + 1 + gap[op] for t in read if t in interior])
        rank[f"n{i}"] = rank[op] + 1
    for edge in edges:  # the leaves, before their first reader
        if edge.tail not in interior:
            column = rank[edge.head] - 1 - (0 if edge.tail in beside else gap[edge.head])
            rank[edge.tail] = min(rank.get(edge.tail, column), column)
    rank.setdefault("n0", 0)  # a graph that is one Value
    return rank


def _add_boxes(g: graphviz.Digraph, by_box: dict[str, list[tuple[str, dict[str, str]]]], flip: bool = False,
               ) -> None:  # fmt: skip
    """Emit the module boxes as nested clusters, in order of first appearance, labelled relative to parent.

    flip: the boxes inside a box in the reverse order (in TB and BT graphviz lays sibling boxes out from right
    to left in the order it meets them, so this puts neurons.0 on the left).
    """
    children: dict[str, list[str]] = {}
    for box in by_box:
        if box:
            outer = [b for b in by_box if b and box.startswith(b + ".")]
            children.setdefault(max(outer, key=len) if outer else "", []).append(box)
    counter = iter(range(len(by_box)))

    def emit(parent_graph: graphviz.Digraph, box: str, outer: str) -> None:
        # Recursion depth is the module nesting (two or three), never the graph depth.
        with parent_graph.subgraph(name=f"cluster_{next(counter)}") as sub:
            sub.attr(label=_plain(box[len(outer) + 1 :] if outer else box), style="rounded", color="#9ca3af",
                     fontcolor="#374151", fontsize="11", margin="10")
            for name, attrs in by_box[box]:
                sub.node(name, **attrs)
            for child in children.get(box, [])[::-1] if flip else children.get(box, []):
                emit(sub, child, box)

    for top in children.get("", []):
        emit(g, top, "")


def _draw_collapsed(
    root: Value,
    order: list[Value],
    names: dict[Value, str],
    rankdir: str,
    color_by: str | None,
    highlighted: set[Value],
    max_nodes: int,
) -> ValueGraph:
    """One node per top-level module (`layers.0`, ...), plus the inputs, the other values and the output."""
    param_module = {k: _module_of_parameter(n) for k, n in names.items()}
    module = _assign_modules(order, param_module)

    # Group of each Value: the outermost box of its module (`layers.0`), or 'inputs' / 'other' outside
    # modules; the root on its own. One pass, parents first, so the links between groups come with it.
    group_of_module: dict[tuple[str, bool], str] = {}
    group_of: dict[Value, str] = {}
    size: dict[str, int] = {}
    other_ops: dict[str, None] = {}  # the operations outside modules (a loss...), in order of appearance
    top_grad: dict[str, float] = {}
    links: dict[tuple[str, str], None] = {}
    group_get = group_of.__getitem__
    for value in order:
        where = (module[value], not value.parents)
        group = group_of_module.get(where)
        if group is None:
            boxes = _boxes(where[0])
            group = boxes[0] if boxes else ("inputs" if where[1] else "other")
            group_of_module[where] = group
        if value is root:
            group = "output"
        group_of[value] = group
        size[group] = size.get(group, 0) + 1
        if value.parents:
            if group == "other":
                other_ops[value.op] = None
            for source in dict.fromkeys(map(group_get, value.parents)):  # distinct, in parent order (not set order,
                # which follows string hashes and so changes from one Python process to the next)
                if source != group:
                    links[(source, group)] = None
        magnitude = abs(value.grad)
        if not magnitude <= top_grad.setdefault(group, 0.0):  # largest |grad|, written so that nan wins too
            top_grad[group] = magnitude

    units: dict[str, set[str]] = {}  # group -> the boxes one level inside it (its neurons)
    for (mod, _), group in group_of_module.items():
        boxes = _boxes(mod)
        if len(boxes) > 1:
            units.setdefault(group, set()).add(boxes[1])
    params: dict[str, int] = {}
    param_grad: dict[str, float] = {}  # a module is shaded by its largest parameter |grad|
    for param in names:
        if param in group_of:
            group = group_of[param]
            params[group] = params.get(group, 0) + 1
            if not abs(param.grad) <= param_grad.setdefault(group, 0.0):
                param_grad[group] = abs(param.grad)
    top_grad.update(param_grad)
    marked = {group_of[value] for value in highlighted if value in group_of}

    g = _new_graph(rankdir)
    if color_by == "grad":
        _add_legend(g)
    g.attr(label=f"{len(order)} Values (more than max_nodes={max_nodes}), each module collapsed to one node",
           labelloc="t")
    node_id = {group: f"g{k}" for k, group in enumerate(size)}
    for group in size:
        if group == "output":
            fields = _value_fields(root.data, root.grad, root.label or "output")
            role = "output"
        elif group == "inputs":
            fields = ["inputs", f"{size[group]} values"]
            role = "input"
        elif group == "other":
            kinds = list(other_ops)
            shown = ", ".join(kinds[:6]) + (", ..." if len(kinds) > 6 else "")
            fields = [f"{size[group]} other values", _escape(f"ops: {shown}")]
            role = "inner"
        else:
            fields = [_escape(group)]
            if group in units:
                fields.append(f"{_escape(_unit_kind(group, units[group]))}: {len(units[group])}")
            fields += [f"parameters: {params.get(group, 0)}", f"graph nodes: {size[group]}"]
            role = "param"
        style = _node_style(role, top_grad[group] if color_by == "grad" else None, group in marked)
        g.node(node_id[group], label=_record(fields, rankdir), **style)
    for source, target in links:
        g.edge(node_id[source], node_id[target])
    return g


def _unit_kind(group: str, inner: set[str]) -> str:
    """What the boxes inside a group are called: `layers.0` holding `layers.0.neurons.3` -> 'neurons'."""
    parts = min(inner)[len(group) + 1 :].split(".")
    return parts[-2] if len(parts) >= 2 and parts[-1].isdigit() else "modules"


# ---------------------------------------------------------------------------
# backward, step by step: animate_backward, one picture per node backward processes
# ---------------------------------------------------------------------------
# Frame k shows the graph as it is just after backward has processed its k-th node, in the engine's real order
# (`topological_order` reversed): that node in red with the gradient it holds (complete by then: every node that
# uses it has handed back its share), the edges to its arguments in red, each labelled with the share it sends
# (grad × local derivative), and the arguments that receive them in orange, their grads updated. Every other
# grad is what this pass has summed into it so far. The picture is draw_dot's with local_grads=True, laid out
# once, so nothing moves from frame to frame. Nothing here changes a gradient: the walk is replayed on the side.

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)

CURRENT_COLOR = "#dc2626"  # the node being processed, and the edges it sends along
RECEIVING_COLOR = "#ea580c"  # the arguments that receive a share
_ids = itertools.count()  # each animation shown in a page gets ids of its own


@dataclass
class Step:
    """One step of backward: a node, the gradient it holds, and the share it sends to each argument."""

    node: Value
    grad: float  # d(root)/d(node), complete when the node is processed
    sent: list[tuple[int, Value, float, float]]  # (argument position, argument, local derivative, grad × local)
    skipped: str  # why it sends nothing ('' when it does): a relu that was off, or a gradient of exactly 0
    grads: dict[Value, float]  # every gradient summed so far, just after this step


def replay_backward(root: Value) -> list[Step]:
    """The steps of root.backward(), in the engine's order, without touching any .grad.

    The same walk as autograd.engine.backpropagate with floats: each node in reversed topological order hands
    g · ∂node/∂arg to each Value argument (its op's backward), except a relu that was off and a node whose
    gradient is exactly 0 (for an op whose local derivatives are finite), which hand back nothing.
    """
    grads: dict[Value, float] = {root: 1.0}
    steps = []
    for node in reversed(topological_order([root])):
        g = grads.setdefault(node, 0.0)
        fn = node._fn
        sent: list[tuple[int, Value, float, float]] = []
        if is_cut(node):
            skipped = "a relu that was off (its input was <= 0) hands back exactly 0; backward goes no further down"
        elif g == 0.0 and fn.skip_zero and math.isfinite(node._data):
            skipped = "its gradient is exactly 0, so it hands 0 to every argument: nothing to compute"
        else:
            skipped = ""
            local = local_derivatives(node)
            contributions = fn.backward(g, node._data, *node._saved)
            for j, (arg, c) in enumerate(zip(node._args, contributions)):
                if type(arg) is not float:  # a constant gets nothing
                    grads[arg] = float(c) if arg not in grads else grads[arg] + float(c)
                    sent.append((j, arg, local[j], float(c)))
        steps.append(Step(node, g, sent, skipped, dict(grads)))
    return steps


def animate_backward(
    root: Value,
    rankdir: str = "LR",
    *,
    model: Any = None,
    cluster: bool = False,
    color_by: str | None = None,
    max_nodes: int = 500,
) -> BackwardAnimation:
    """Backward on root, one frame per node it processes: ∂root/∂node = Σ (∂root/∂out) · (∂out/∂node), live.

    The options are draw_dot's (the edges always carry their local derivatives). Returns a BackwardAnimation:
    it shows inline in Jupyter, with buttons previous / next / play and a slider, and `.save(path)` writes
    the same as one HTML file that needs nothing else (no network). The graph must be drawable one node at a
    time: at most max_nodes Values (a file holds one picture per step, so big graphs make big files).
    """
    names, order, _ = _check_options(root, rankdir, model, cluster, color_by, (), max_nodes, True, collapse=False)
    steps = replay_backward(root)
    final = steps[-1].grads if steps else {root: 1.0}
    scene = _draw_full(root, order, names, rankdir, cluster, color_by, set(), local_grads=True, grads=final,
                       ids=True)  # fmt: skip
    base = ET.fromstring(scene.graph.pipe(format="svg"))
    return BackwardAnimation(steps, scene, base, names, color_by)


class BackwardAnimation:
    """The steps of one backward pass and their pictures: `_repr_html_` for Jupyter, `.save(path)` for a file.

    `steps` are the Steps in the order backward processes them (`len(animation)` counts them).
    """

    def __init__(self, steps: list[Step], scene: Scene, base: ET.Element, names: dict[Value, str],
                 color_by: str | None) -> None:  # fmt: skip
        self.steps = self._steps = steps
        self._scene = scene
        self._base = base
        self._names = names
        self._color_by = color_by

    def __len__(self) -> int:
        return len(self._steps)

    def __repr__(self) -> str:
        return f"<BackwardAnimation: {len(self)} steps>"

    # --- the pictures -----------------------------------------------------------------------------------

    def frame_svg(self, k: int, prefix: str = "") -> str:
        """The SVG of frame k (the graph just after step k), its element ids prefixed (ids are unique per page)."""
        step = self._steps[k]
        svg = copy.deepcopy(self._base)
        node_of = self._scene.node_of
        groups = {g.get("id"): g for g in svg.iter(f"{{{SVG}}}g") if g.get("id")}
        for value, name in node_of.items():  # every grad as summed so far
            group = groups.get(name)
            if group is None:
                continue
            grad = step.grads.get(value, 0.0)
            texts = list(group.iter(f"{{{SVG}}}text"))  # name (if any), data, grad: the grad is the last
            if texts:
                texts[-1].text = f"grad {_number_text(grad)}"
            if self._color_by == "grad":
                for shape in _shapes(group):
                    shape.set("fill", _grad_color(grad))
                for text in group.iter(f"{{{SVG}}}text"):
                    text.set("fill", _font_color(_grad_color(grad)))
        for _, arg, _, _ in step.sent:
            _outline(groups[node_of[arg]], RECEIVING_COLOR, "3", "cg-receiving")
        current = node_of[step.node]
        _outline(groups[current], CURRENT_COLOR, "4", "cg-current")
        head = "op" + current[1:]
        _outline(groups[head], CURRENT_COLOR, "2.5", "")
        _color_edge(groups.get(f"{head}-{current}"), None)  # op -> the node it made
        for j, _, _, share in step.sent:
            _color_edge(groups.get(f"{head}:{j}"), f"{share:+.4f}")
            _color_edge(groups.get(f"{head}:{j}:in"), None)
        for element in svg.iter():
            if element.get("id"):
                element.set("id", f"{prefix}{element.get('id')}")
        return ET.tostring(svg, encoding="unicode")

    def caption(self, k: int) -> str:
        """What frame k shows, in words (plain text)."""
        step = self._steps[k]
        who = self._name(step.node)
        start = "It starts at the output, d(out)/d(out) = 1. " if k == 0 else ""
        text = (f"Step {k + 1} of {len(self)}: {who} holds grad {_number_text(step.grad)}, complete now "
                f"(every node that uses it has sent its share). {start}")  # fmt: skip
        if step.skipped:
            return text + f"Its op {step.node.op} sends nothing: {step.skipped}."
        shares = [f"{self._name(arg)} gets {_number_text(step.grad)} × {_number_text(local)} = "
                  f"{_number_text(share)} (its grad is now {_number_text(step.grads[arg])})"
                  for _, arg, local, share in step.sent]  # fmt: skip
        return text + f"Its op {step.node.op} sends grad × local derivative to each input: " + "; ".join(shares) + "."

    def _name(self, value: Value) -> str:
        name = self._names.get(value) or value.label
        return name if name else f"the result of {value.op}" if value.op else "a leaf"

    # --- the page ---------------------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        """The animation as an HTML fragment (for Jupyter): frames, captions, controls and their script."""
        # Ids unique in the page (a notebook may show several), and the same on every run of the same graph.
        digest = hashlib.sha1(ET.tostring(self._base)).hexdigest()[:8]
        uid = f"cg-backward-{digest}-{next(_ids)}"
        frames = "\n".join(
            f'<div class="cg-frame" data-node="{self._scene.node_of[s.node]}"{"" if k == 0 else " hidden"}>'
            f"{self.frame_svg(k, prefix=f'{uid}-{k}-')}</div>"
            for k, s in enumerate(self._steps)
        )
        captions = "\n".join(
            f'<p class="cg-caption"{"" if k == 0 else " hidden"}>{html.escape(self.caption(k))}</p>'
            for k in range(len(self))
        )
        last = max(len(self) - 1, 0)
        return f"""<div class="cg-backward" id="{uid}">
<style>
#{uid} .cg-controls {{ display: flex; gap: 0.5em; align-items: center; font: 13px sans-serif; margin: 0.3em 0; }}
#{uid} .cg-caption {{ font: 13px sans-serif; min-height: 3em; margin: 0.3em 0; }}
#{uid} .cg-frame svg {{ max-width: 100%; height: auto; }}
</style>
<div class="cg-controls">
<button type="button" data-action="previous">&#9664; previous</button>
<button type="button" data-action="play">&#9654; play</button>
<button type="button" data-action="next">next &#9654;</button>
<input type="range" min="0" max="{last}" value="0" step="1" aria-label="step">
<span class="cg-counter">step 1 of {len(self)}</span>
</div>
{captions}
{frames}
<script>
(function () {{
  var box = document.getElementById("{uid}");
  var frames = box.querySelectorAll(".cg-frame"), captions = box.querySelectorAll(".cg-caption");
  var slider = box.querySelector("input[type=range]"), counter = box.querySelector(".cg-counter");
  var play = box.querySelector("[data-action=play]"), timer = null, k = 0;
  function show(i) {{
    k = Math.max(0, Math.min(frames.length - 1, i));
    for (var j = 0; j < frames.length; j++) {{ frames[j].hidden = j !== k; captions[j].hidden = j !== k; }}
    slider.value = k;
    counter.textContent = "step " + (k + 1) + " of " + frames.length;
  }}
  function stop() {{ clearInterval(timer); timer = null; play.innerHTML = "&#9654; play"; }}
  box.querySelector("[data-action=previous]").onclick = function () {{ stop(); show(k - 1); }};
  box.querySelector("[data-action=next]").onclick = function () {{ stop(); show(k + 1); }};
  slider.oninput = function () {{ stop(); show(Number(slider.value)); }};
  play.onclick = function () {{
    if (timer) {{ stop(); return; }}
    if (k === frames.length - 1) show(0);
    play.innerHTML = "&#10074;&#10074; pause";
    timer = setInterval(function () {{ if (k >= frames.length - 1) stop(); else show(k + 1); }}, 1200);
  }};
  show(0);
}})();
</script>
</div>"""

    def to_html(self) -> str:
        """The whole page: the animation in an HTML document of its own, with nothing to fetch."""
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<title>backward, step by step</title>\n</head>\n<body>\n"
                f"{self._repr_html_()}\n</body>\n</html>\n")  # fmt: skip

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the page to path, atomically: a temporary file beside it, flushed, then renamed over it.

        A reader never sees half a file; on any failure the temporary file is removed and whatever was at
        path stays as it was. Returns the path.
        """
        page = self.to_html()  # everything that can fail before a file exists
        path = os.fspath(path)
        directory, filename = os.path.split(os.path.abspath(path))
        temp = os.path.join(directory, f".{filename}.{uuid.uuid4().hex[:8]}.tmp")
        created = False  # only a temporary file this call made is ever removed
        try:
            with open(temp, "x", encoding="utf-8") as f:  # "x": a new file (the umask decides its mode)
                created = True
                f.write(page)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        except BaseException:  # KeyboardInterrupt too: nothing half-written stays behind
            if created:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(temp)
            raise
        return path


def _shapes(group: ET.Element) -> list[ET.Element]:
    """The outline elements of a graphviz node: its paths, polygons and ellipses."""
    return [e for e in group.iter() if e.tag in (f"{{{SVG}}}path", f"{{{SVG}}}polygon", f"{{{SVG}}}ellipse")]


def _outline(group: ET.Element, color: str, width: str, css_class: str) -> None:
    for shape in _shapes(group):
        shape.set("stroke", color)
        shape.set("stroke-width", width)
    if css_class:
        group.set("class", f"{group.get('class', '')} {css_class}".strip())


def _color_edge(group: ET.Element | None, label: str | None) -> None:
    """Draw an edge in the current colour, thicker; its label (if given) replaced by label."""
    if group is None:
        return
    for element in group.iter():
        if element.tag == f"{{{SVG}}}path":
            element.set("stroke", CURRENT_COLOR)
            element.set("stroke-width", "2.5")
        elif element.tag == f"{{{SVG}}}polygon":
            element.set("stroke", CURRENT_COLOR)
            element.set("fill", CURRENT_COLOR)
        elif element.tag == f"{{{SVG}}}text" and label is not None:
            element.text = label
            element.set("fill", CURRENT_COLOR)
            element.set("font-weight", "bold")
