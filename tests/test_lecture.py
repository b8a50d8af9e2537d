"""README's "Coming from micrograd and the lecture", run exactly as it is printed there: the lecture's loop
learns (and computes what PyTorch computes), the dead-relu count it quotes is what the loop gives, and the
lecture-style op written as an autograd.Function has the right derivatives."""

from __future__ import annotations

import math
import os
import re

import pytest
import torch

import autograd
import nn
from autograd import Value

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_blocks() -> list[str]:
    """The python code blocks of the section, in order."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("## Coming from micrograd and the lecture\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def run_block(code: str, **replacements: str) -> dict:
    for old, new in replacements.items():
        assert old in code
        code = code.replace(old, new)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    return scope


def test_the_lecture_loop_as_printed_makes_the_loss_fall_tenfold(capsys):
    scope = run_block(readme_blocks()[0])
    losses = scope["losses"]
    assert len(losses) == 20 and all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0] / 10  # it printed 3.7123 -> 0.0018 when written
    assert capsys.readouterr().out == f"loss {losses[0]:.4f} -> {losses[-1]:.4f}\n"


def test_the_lecture_loop_computes_what_the_same_loop_in_pytorch_computes():
    torch.set_default_dtype(torch.float64)
    start = nn.MLP(3, [4, 4, 1], activation="tanh", seed=0)  # the README's model, before any step
    layers = [(torch.tensor([[w.data for w in n.w] for n in layer.neurons], requires_grad=True),
               torch.tensor([n.b.data for n in layer.neurons], requires_grad=True)) for layer in start.layers]
    scope = run_block(readme_blocks()[0])
    X, Y = torch.tensor(scope["xs"]), torch.tensor(scope["ys"])
    expected = []
    for _ in range(20):
        h = X
        for i, (w, b) in enumerate(layers):
            h = h @ w.T + b
            h = torch.tanh(h) if i < len(layers) - 1 else h
        loss = ((h.squeeze(1) - Y) ** 2).sum()
        for w, b in layers:
            w.grad = b.grad = None
        loss.backward()
        with torch.no_grad():
            for w, b in layers:
                w -= 0.05 * w.grad
                b -= 0.05 * b.grad
        expected.append(loss.item())
    assert scope["losses"] == pytest.approx(expected, rel=1e-9)


def test_the_dead_relu_seeds_the_readme_quotes_are_the_ones_the_default_relu_network_gets_stuck_in():
    stuck, final = [], {}
    for seed in range(10):
        scope = run_block(readme_blocks()[0].replace("print(", "(lambda *a: None)("),
                          **{'activation="tanh", seed=0': f"seed={seed}"})
        model, h = scope["model"], scope["xs"]
        for layer in model.layers[:-1]:  # stuck: some hidden layer has every relu off on every sample
            h = [[v.data for v in layer(x)] for x in h]
            if all(v == 0.0 for row in h for v in row):
                stuck.append(seed)
                break
        final[seed] = scope["losses"][-1]
    assert stuck == [0, 4, 5, 8]  # "4 of the seeds 0 to 9 (0, 4, 5 and 8)"
    # The output is then its bias b alone: Σ (b - y)² = 4 + 4b², with b close to the targets' mean, 0.
    assert all(final[s] == pytest.approx(4.0, abs=1e-3) for s in stuck), final
    for seed in range(10):
        scope = run_block(readme_blocks()[0].replace("print(", "(lambda *a: None)("),
                          **{"seed=0": f"seed={seed}"})
        assert scope["losses"][-1] < 0.03  # "final loss below 0.03 in each"


def test_the_lecture_style_op_as_a_function_has_tanhs_derivatives():
    scope = run_block(readme_blocks()[1])
    Tanh, x, y = scope["Tanh"], scope["x"], scope["y"]
    assert y.data == math.tanh(0.5)
    assert x.grad == pytest.approx(1 - math.tanh(0.5) ** 2, abs=1e-15)
    assert autograd.gradcheck(Tanh.apply, [0.5]) and autograd.gradcheck(Tanh.apply, [-2.0])
    for at in (0.5, -1.3):
        v = Value(at)
        (dy,) = autograd.grad(Tanh.apply(v), v, create_graph=True)
        (d2,) = autograd.grad(dy, v)
        eps = 1e-6
        numeric = ((1 - math.tanh(at + eps) ** 2) - (1 - math.tanh(at - eps) ** 2)) / (2 * eps)
        assert d2.data == pytest.approx(numeric, abs=1e-8)
