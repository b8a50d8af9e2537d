"""Backward, step by step: one picture per node that backward processes, in one self-contained HTML page.

    >>> from autograd import Value, animate_backward
    >>> x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    >>> steps = animate_backward((w * x).tanh())
    >>> len(steps)                 # two nodes to process: tanh, then *
    2
    >>> path = steps.save("backward.html")      # doctest: +SKIP

Frame k shows the graph as it is just after backward has processed its k-th node, in the engine's real order
(`topological_order` reversed): that node in red with the gradient it holds (complete by then: every node that
uses it has handed back its share), the edges to its arguments in red, each labelled with the share it sends
(grad × local derivative), and the arguments that receive them in orange, their grads updated. Every other
grad is what this pass has summed into it so far. The picture is draw_dot's with local_grads=True, laid out
once, so nothing moves from frame to frame. Nothing here changes a gradient: the walk is replayed on the side.
"""

from __future__ import annotations

import copy
import hashlib
import html
import itertools
import math
import os
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from autograd.draw import (
    Scene,
    _check_options,
    _draw_full,
    _font_color,
    _grad_color,
    _number_text,
    local_derivatives,
)
from autograd.engine import is_cut, topological_order
from autograd.value import Value

__all__ = ["BackwardAnimation", "Step", "animate_backward"]

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
            for text in group.iter(f"{{{SVG}}}text"):
                if text.text and text.text.startswith("grad "):
                    text.text = f"grad {_number_text(grad)}"
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
        # mode 0o666 lets the user's umask decide the permissions, as for any new file
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with open(fd, "w", encoding="utf-8") as f:
                f.write(page)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        except BaseException:
            try:
                os.remove(temp)
            except FileNotFoundError:
                pass
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
