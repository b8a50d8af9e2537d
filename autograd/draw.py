"""Draw a Value graph with graphviz: every number, every gradient, and the operations that join them."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import Any

import graphviz

from autograd.value import Value

__all__ = ["GraphvizNotFoundError", "ValueGraph", "draw_dot"]

RANKDIRS = ("LR", "RL", "TB", "BT")
COLOR_BY_CHOICES = (None, "grad")

# Roles get their own colours: (fill, border).
INPUT_COLORS = ("#dbeafe", "#2563eb")  # leaves that are not parameters: light blue
PARAM_COLORS = ("#fef3c7", "#d97706")  # parameters of the model: light amber
OUTPUT_COLORS = ("#dcfce7", "#15803d")  # the root: light green
INNER_COLORS = ("#ffffff", "#9ca3af")  # everything in between: white
OP_COLORS = ("#f3f4f6", "#6b7280")  # the small operation nodes
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
#   3. an operation with a single parent follows that parent (a neuron's activation follows its 'dot');
#   4. anything else (inputs, a loss mixing many modules) belongs to no module and is drawn at top level.
# An operation node is drawn in the same box as the Value it produces.

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
            elif len(parents) == 1:
                found = module[parents[0]]  # rule 3
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


def _escape(text: str) -> str:
    """Make text literal inside a record label (record syntax uses { } | < > and backslash)."""
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _record(fields: list[str], rankdir: str) -> str:
    """Record label with fields stacked top to bottom, whatever the rank direction."""
    body = "|".join(fields)
    return body if rankdir in ("LR", "RL") else "{" + body + "}"


def _value_fields(value: Value, name: str) -> list[str]:
    """The name (when there is one) on top, then one row `data ... | grad ...` (the braces turn it)."""
    fields = [_escape(name)] if name else []
    grad = f"grad {value.grad:.4f}"
    if value.grad != 0.0 and abs(value.grad) < 5e-5:  # it prints as ±0.0000: show how small it really is
        grad += f" ({value.grad:.1e})"
    return fields + [f"{{data {value.data:.4f}|{grad}}}"]


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
    g.attr(rankdir=rankdir, fontname=FONT, fontsize="12", nodesep="0.25", ranksep="0.35",
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
# draw_dot
# ---------------------------------------------------------------------------

def draw_dot(
    root: Value,
    rankdir: str = "LR",
    *,
    model: Any = None,
    cluster: bool = False,
    color_by: str | None = None,
    highlight: Iterable[Value] = (),
    max_nodes: int = 500,
) -> ValueGraph:
    """Picture of the graph that computes root: one record per Value (data, grad), one node per operation.

    Args:
        root: the Value whose graph is drawn (usually a loss or a network output).
        rankdir: graphviz layout direction, "LR" (left to right, default), "RL", "TB" or "BT".
        model: optional object with named_parameters() yielding (dotted_name, Value), e.g. an nn.MLP:
            parameters then show their names and get their own colour.
        cluster: with a model, draw each module (layer, neuron) in a labelled box.
        color_by: None (colours show inputs, parameters and output) or "grad" (fill shows |grad| on a
            log scale from 1e-8 to 1, with a legend; the border shows the role). A collapsed module is
            shaded by the largest |grad| of its parameters, other collapsed groups by their largest |grad|.
        highlight: Values to mark with a thick red border.
        max_nodes: largest number of Values drawn one by one. Above it, with a model, each top-level
            module (`layers.0`, ...) collapses to one node with its size; without a model, ValueError.

    Returns:
        a graphviz.Digraph (ValueGraph): shows inline in Jupyter, `.render(name, format="png")` writes a
        file, `.source` is the DOT text (needs no Graphviz installation). The same graph always gives the
        same DOT text: nodes are numbered depth first, parents in tuple order, parents before children.
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
    if len(order) > max_nodes:
        if model is None:
            raise ValueError(
                f"the graph has {len(order)} Value nodes, more than max_nodes={max_nodes}: the picture "
                f"would be unreadable and slow to lay out. Pass max_nodes={len(order)} (or more) to draw "
                f"it anyway, or model=... (an object with named_parameters()) to collapse it by layer."
            )
        return _draw_collapsed(root, order, names, rankdir, color_by, highlighted, max_nodes)
    return _draw_full(root, order, names, rankdir, cluster, color_by, highlighted)


def _role(value: Value, root: Value, names: dict[Value, str]) -> str:
    if value is root:
        return "output"
    if value in names:
        return "param"
    return "input" if not value.parents else "inner"


def _draw_full(
    root: Value,
    order: list[Value],
    names: dict[Value, str],
    rankdir: str,
    cluster: bool,
    color_by: str | None,
    highlighted: set[Value],
) -> ValueGraph:
    """Every Value and every operation, optionally boxed by module."""
    g = _new_graph(rankdir)
    if color_by == "grad":
        _add_legend(g)
    index = {v: i for i, v in enumerate(order)}

    # Node statements, grouped by the innermost box they live in ('' = top level).
    by_box: dict[str, list[tuple[str, dict[str, str]]]] = {"": []}
    module = _assign_modules(order, {k: _module_of_parameter(n) for k, n in names.items()}) if cluster else {}
    for i, value in enumerate(order):
        boxes = _boxes(module.get(value, ""))
        for box in boxes:
            by_box.setdefault(box, [])
        statements = by_box[boxes[-1] if boxes else ""]
        role = _role(value, root, names)
        label = _record(_value_fields(value, names.get(value) or value.label), rankdir)
        style = _node_style(role, value.grad if color_by == "grad" else None, value in highlighted)
        statements.append((f"n{i}", {"label": label, **style}))
        if value.parents:
            statements.append((f"op{i}", {
                "label": value.op, "shape": "ellipse", "style": "filled", "fillcolor": OP_COLORS[0],
                "color": OP_COLORS[1], "fontsize": "10", "width": "0.3", "height": "0.25", "margin": "0.04",
            }))

    for name, attrs in by_box[""]:
        g.node(name, **attrs)
    _add_boxes(g, by_box)

    for i, value in enumerate(order):
        if value.parents:
            g.edge(f"op{i}", f"n{i}")
            for parent in value.parents:
                if cluster and module[value] and module[parent] != module[value]:
                    # An edge entering a box from outside gets room, so the box starts after the one it
                    # reads from instead of sharing its columns and being stacked below it.
                    g.edge(f"n{index[parent]}", f"op{i}", minlen="2")
                else:
                    g.edge(f"n{index[parent]}", f"op{i}")
    return g


def _add_boxes(g: graphviz.Digraph, by_box: dict[str, list[tuple[str, dict[str, str]]]]) -> None:
    """Emit the module boxes as nested clusters, in order of first appearance, labelled relative to parent."""
    children: dict[str, list[str]] = {}
    for box in by_box:
        if box:
            outer = [b for b in by_box if b and box.startswith(b + ".")]
            children.setdefault(max(outer, key=len) if outer else "", []).append(box)
    counter = iter(range(len(by_box)))

    def emit(parent_graph: graphviz.Digraph, box: str, outer: str) -> None:
        # Recursion depth is the module nesting (two or three), never the graph depth.
        with parent_graph.subgraph(name=f"cluster_{next(counter)}") as sub:
            sub.attr(label=box[len(outer) + 1 :] if outer else box, style="rounded", color="#9ca3af",
                     fontcolor="#374151", fontsize="11", margin="10")
            for name, attrs in by_box[box]:
                sub.node(name, **attrs)
            for child in children.get(box, []):
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
            fields = _value_fields(root, root.label or "output")
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
