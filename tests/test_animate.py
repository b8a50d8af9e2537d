"""animate_backward: one frame per node backward processes, in the engine's own order, with the gradient it holds
and the share it sends to each argument; one self-contained HTML file, written atomically."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET

import pytest
from dot_text import drawing_order, notebook_one

import autograd
import nn
from autograd import Value, animate_backward
from autograd.engine import backpropagate, topological_order

SVG = "{http://www.w3.org/2000/svg}"


def relu_network() -> tuple[Value, nn.MLP]:
    """A small ReLU MLP on two samples, some of whose relus are off: backward stops below them."""
    model = nn.MLP(2, [3, 1], activation="relu", seed=3)
    loss = autograd.mean(model([[0.5, -1.0], [-2.0, 0.25]]))
    return loss, model


GRAPHS = {
    "notebook 1": lambda: (notebook_one(), {}),
    "x * x": lambda: ((lambda x: x * x + x)(Value(3.0, "x")), {}),
    "relu network": lambda: (lambda r: (r[0], {"model": r[1], "cluster": True}))(relu_network()),
}


@pytest.mark.parametrize("name", GRAPHS)
def test_frames_follow_the_engines_own_backward_order(name):
    root, options = GRAPHS[name]()
    animation = animate_backward(root, **options)
    order = list(reversed(topological_order([root])))
    assert [step.node for step in animation.steps] == order and len(animation) == len(order)
    page = animation.to_html()
    shown = re.findall(r'<div class="cg-frame" data-node="(n\d+)"', page)
    numbering = {v: f"n{i}" for i, v in enumerate(drawing_order(root))}
    assert shown == [numbering[node] for node in order]


@pytest.mark.parametrize("name", GRAPHS)
def test_the_replayed_walk_ends_with_the_engines_gradients_and_touches_no_grad(name):
    root, options = GRAPHS[name]()
    before = {v: v.grad for v in drawing_order(root)}
    animation = animate_backward(root, **options)
    assert {v: v.grad for v in drawing_order(root)} == before  # nothing changed
    assert animation.steps[-1].grads == backpropagate([root], [1.0], False)  # the same numbers, to the last bit
    root.backward()
    for value, grad in animation.steps[-1].grads.items():
        assert value.grad == grad


def frame(animation, k: int) -> ET.Element:
    return ET.fromstring(animation.frame_svg(k))


def groups_with_class(svg: ET.Element, css_class: str) -> list[str]:
    return [g.get("id") for g in svg.iter(f"{SVG}g") if css_class in (g.get("class") or "").split()]


def grad_text(svg: ET.Element, node_id: str) -> str:
    group = next(g for g in svg.iter(f"{SVG}g") if g.get("id") == node_id)
    return next(t.text for t in group.iter(f"{SVG}text") if t.text and t.text.startswith("grad "))


def test_each_frame_shows_its_node_its_gradient_and_the_shares_it_sends():
    L = notebook_one()
    animation = animate_backward(L)
    numbering = {v: f"n{i}" for i, v in enumerate(drawing_order(L))}
    by_label = {v.label: v for v in numbering}
    # by hand: L hands h the share 1·x and x the share 1·h; then h hands z 0.5·(1 - h²); z hands m and b
    # 0.47·1; m hands w 0.47·x and x 0.47·w, and x's grad is then both of its shares summed
    h = by_label["h"].data
    expected = [
        ("L", 1.0, {"h": 0.5, "x": h}),
        ("h", 0.5, {"z": 0.5 * (1 - h * h)}),
        ("z", 0.5 * (1 - h * h), {"m": 0.5 * (1 - h * h), "b": 0.5 * (1 - h * h)}),
        ("m", 0.5 * (1 - h * h), {"w": 0.5 * (1 - h * h) * 0.5, "x": 0.5 * (1 - h * h) * -1.5}),
    ]
    for k, (name, grad, shares) in enumerate(expected):
        step = animation.steps[k]
        assert step.node.label == name and step.grad == pytest.approx(grad, abs=1e-15)
        assert {arg.label: share for _, arg, _, share in step.sent} == pytest.approx(shares, abs=1e-15)
        svg = frame(animation, k)
        assert groups_with_class(svg, "cg-current") == [numbering[step.node]]
        assert sorted(groups_with_class(svg, "cg-receiving")) == sorted(numbering[by_label[a]] for a in shares)
        assert grad_text(svg, numbering[step.node]) == f"grad {grad:.4f}"
        for arg_name in shares:  # a receiving node shows its grad summed so far
            assert grad_text(svg, numbering[by_label[arg_name]]) == f"grad {step.grads[by_label[arg_name]]:.4f}"
        into_op = f"op{numbering[step.node][1:]}:"  # the edges into the node's op: op<i>:<argument>
        labels = sorted(t.text for g in svg.iter(f"{SVG}g") if (g.get("id") or "").startswith(into_op)
                        for t in g.iter(f"{SVG}text"))  # fmt: skip
        assert labels == sorted(f"{share:+.4f}" for share in shares.values())
    last = frame(animation, len(expected) - 1)
    assert grad_text(last, numbering[by_label["x"]]) == f"grad {h + 0.5 * (1 - h * h) * -1.5:.4f}"
    assert "(every node that uses it has sent its share)" in animation.caption(0)
    assert "x gets 0.4700 × -1.5000 = -0.7050 (its grad is now -0.4601)" in animation.caption(3)


def test_a_relu_that_was_off_sends_nothing_and_the_caption_says_why():
    x = Value(-1.0, "x")
    y = x.relu() + x.tanh()
    animation = animate_backward(y)
    off = next(step for step in animation.steps if step.node.op == "relu")
    assert off.sent == [] and "relu that was off" in off.skipped
    assert "relu that was off" in animation.caption(animation.steps.index(off))
    assert animation.steps[-1].grads[x] == backpropagate([y], [1.0], False)[x]


def test_ids_are_unique_in_a_page_and_labels_are_escaped():
    evil = Value(2.0, label='</p><script>alert("x")</script>&')
    out = (evil * evil).tanh()
    animation = animate_backward(out)
    fragment, again = animation._repr_html_(), animation._repr_html_()
    ids = re.findall(r' id="([^"]+)"', fragment)
    assert len(ids) == len(set(ids))  # each frame's SVG ids carry the frame's prefix
    assert set(ids).isdisjoint(re.findall(r' id="([^"]+)"', again))  # two outputs in one notebook
    assert fragment.count("<script>") == 1 and "<script>alert" not in fragment and "</p><" not in fragment
    assert "&lt;/p&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in fragment  # the caption
    assert '&lt;/p&gt;&lt;script&gt;alert("x")&lt;/script&gt;&amp;</text>' in fragment  # the SVG's text
    for k in range(len(animation)):  # and every frame is well-formed SVG
        ET.fromstring(animation.frame_svg(k))


def test_save_writes_one_self_contained_page(tmp_path):
    path = animate_backward(notebook_one()).save(tmp_path / "backward.html")
    assert path == str(tmp_path / "backward.html") and os.listdir(tmp_path) == ["backward.html"]
    page = open(path, encoding="utf-8").read()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg") == 4 and page.count("<script>") == 1
    assert not re.search(r"<(link|img|iframe)|<script [^>]*src=|(src|href)=\"(https?:)?//", page)  # nothing fetched


def test_save_is_atomic_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "backward.html"
    target.write_text("the old page")
    animation = animate_backward(notebook_one())

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        animation.save(target)
    assert target.read_text() == "the old page" and os.listdir(tmp_path) == ["backward.html"]
    monkeypatch.undo()
    animation.save(target)
    assert target.read_text().startswith("<!DOCTYPE html>") and os.listdir(tmp_path) == ["backward.html"]


def test_save_into_a_missing_directory_fails_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        animate_backward(notebook_one()).save(tmp_path / "no such folder" / "backward.html")
    assert os.listdir(tmp_path) == []


def test_save_over_a_directory_fails_at_the_rename_and_leaves_no_temporary_file(tmp_path):
    # The page is written in full beside the target, then os.replace refuses to put a file over a folder.
    (tmp_path / "backward.html").mkdir()
    (tmp_path / "backward.html" / "inside.txt").write_text("kept")
    with pytest.raises(OSError):
        animate_backward(notebook_one()).save(tmp_path / "backward.html")
    assert os.listdir(tmp_path) == ["backward.html"]
    assert os.listdir(tmp_path / "backward.html") == ["inside.txt"]


@pytest.mark.parametrize("error", [OSError("no space left on device"), KeyboardInterrupt()])
def test_an_error_in_the_middle_of_writing_removes_the_half_written_file_and_keeps_the_old_one(tmp_path, monkeypatch,
                                                                                              error):  # fmt: skip
    target = tmp_path / "backward.html"
    target.write_text("the old page")
    animation = animate_backward(notebook_one())
    written = []

    def fsync_fails(fd):  # the page is written and flushed by now: only the rename is missing
        written.extend(name for name in os.listdir(tmp_path) if name.endswith(".tmp"))
        raise error

    monkeypatch.setattr(os, "fsync", fsync_fails)
    with pytest.raises(type(error)):
        animation.save(target)
    assert len(written) == 1 and (written[0].startswith(".backward.html."))  # there was a temporary file...
    assert os.listdir(tmp_path) == ["backward.html"] and target.read_text() == "the old page"  # ...and it is gone


def test_bad_arguments_are_refused_like_draw_dots():
    with pytest.raises(TypeError, match="expects a Value"):
        animate_backward(1.0)
    x = Value(1.0)
    y = x
    for _ in range(30):
        y = y + 1.0
    with pytest.raises(ValueError, match=r"31 Value nodes, more than max_nodes=10.*max_nodes=31 \(or more\)"):
        animate_backward(y, max_nodes=10)
    assert len(animate_backward(y, max_nodes=31)) == 30


def test_color_by_grad_shades_each_frame_by_the_gradients_summed_so_far():
    L = notebook_one()
    animation = animate_backward(L, color_by="grad")
    first, last = frame(animation, 0), frame(animation, len(animation) - 1)
    numbering = {v: f"n{i}" for i, v in enumerate(drawing_order(L))}
    w = next(v for v in numbering if v.label == "w")

    def fill(svg, node_id):
        group = next(g for g in svg.iter(f"{SVG}g") if g.get("id") == node_id)
        return next(e.get("fill") for e in group.iter() if e.tag == f"{SVG}path")

    assert fill(first, numbering[w]) == "#f5f5f5"  # nothing has reached w yet: |grad| = 0, the lightest
    assert fill(last, numbering[w]) != "#f5f5f5"
