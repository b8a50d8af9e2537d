"""A user's text in a picture is shown as text: op names, labels and module names never become DOT, markup or
script, never break the rendering, and never replace the numbers an animation frame shows."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import nn
from autograd import Function, Value, animate_backward, draw_dot

INJECTION = '<x> ]; evil [label="INJECTED" URL="javascript:alert(1)" shape=box]; z [label=<y>'


def op_named(text: str) -> type[Function]:
    return type("Named", (Function,), {"name": text, "forward": staticmethod(lambda a: a),
                                       "backward": staticmethod(lambda g, out, a: (g,))})  # fmt: skip


def svg_texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]  # well-formed


def no_links(svg_or_html: str) -> bool:
    """No link or extra node made from the text: what a label that became DOT or markup would add."""
    return "xlink:href" not in svg_or_html and "<title>evil</title>" not in svg_or_html


@pytest.mark.parametrize("name", [INJECTION, "my_op\\", r"f\N\l", "&#1;", "<b>bold</b>"])
def test_an_op_name_is_drawn_as_its_own_text(name: str) -> None:
    y = op_named(name).apply(Value(1.0, label="x"))
    svg = draw_dot(y).pipe(format="svg").decode()  # a broken DOT source would raise here
    assert no_links(svg) and name in svg_texts(svg)  # the whole name, as text, in the op's node
    assert no_links(animate_backward(y).to_html())


def test_a_module_name_in_a_cluster_title_is_drawn_as_its_own_text() -> None:
    class Box(nn.Module):
        def __init__(self) -> None:
            self.w = Value(0.5)

    inner, model = Box(), Box()
    del model.w
    name = '<x>; evil [label="PWNED" URL="javascript:alert(1)" shape=box]; q=<y>'
    setattr(model, name, inner)  # a module's attribute names are its author's text
    out = (inner.w * Value(2.0, label="x")).tanh()
    svg = draw_dot(out, model=model, cluster=True).pipe(format="svg").decode()
    assert no_links(svg) and name in svg_texts(svg)
    assert no_links(animate_backward(out, model=model, cluster=True).to_html())


@pytest.mark.parametrize("label", ["&#1;", "&foo;", "bell\x07", 42, ["w"], 'fine <b>&amp; "q" | {x} \\'])
def test_any_label_gives_well_formed_pictures(label: object) -> None:
    x = Value(1.5)
    x.label = label  # type: ignore[assignment]  # only Value() checks a label; an assignment is not checked
    y = (x * 2.0).relu()
    texts = svg_texts(draw_dot(y).pipe(format="svg").decode())
    assert str(label).replace("\x07", "") in texts  # (Graphviz leaves a control character out)
    animation = animate_backward(y)
    ET.fromstring(animation.frame_svg(len(animation) - 1))


def test_a_label_that_starts_with_grad_is_kept_in_every_animation_frame() -> None:
    x = Value(3.0, label="grad of the loss")
    animation = animate_backward(x * 2.0)
    for k in range(len(animation)):
        frame = animation.frame_svg(k)
        assert "grad of the loss" in re.findall(r"<text[^>]*>([^<]*)</text>", frame)
