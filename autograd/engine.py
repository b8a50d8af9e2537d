"""Backpropagation: walk the graph from the output back to the leaves, applying the chain rule at each node.

The walk is iterative (no recursion, so a chain of a million operations is fine) and uses consumer counts
(Kahn's algorithm): first count how many times each node is used by the nodes above it; then start at the
output and hand each node's gradient down to its parents. A node is ready once every one of its consumers
has handed its share down, so its gradient is complete before it is used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import Any

from autograd.mode import _mode, enable_grad
from autograd.value import Number, Value, _is_number


def count_consumers(roots: Sequence[Value]) -> dict[Value, int]:
    """Every node the roots depend on (the roots included), mapped to how many times nodes above use it."""
    consumers = {root: 0 for root in roots}
    stack = list(consumers)
    while stack:
        node = stack.pop()
        for parent in node.parents:
            if parent in consumers:
                consumers[parent] += 1
            else:
                consumers[parent] = 1
                stack.append(parent)
    return consumers


def _backpropagate(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool,
                   reset_leaves: bool) -> dict[Value, int]:  # fmt: skip
    """Add d(roots)/d(node), weighted by the seeds, into every node's `.grad`; return the nodes reached.

    Interior nodes start from 0 (their `.grad` shows this pass only); leaves keep what they had unless
    `reset_leaves` (so repeated `backward()` calls accumulate into parameters, like PyTorch).
    """
    consumers = count_consumers(roots)
    for node in consumers:
        if node.parents or reset_leaves:
            node.grad = 0.0
    for root, seed in zip(roots, seeds):
        root.grad += seed

    pending = dict(consumers)  # counts down as consumers hand their gradients over
    ready = [root for root in consumers if pending[root] == 0]
    anomaly = _mode.anomaly
    while ready:
        node = ready.pop()
        parents = node.parents
        if not parents:
            continue  # a leaf: its gradient is complete, nothing below it
        contributions = node._op.backward(node, node.grad, create_graph)
        if anomaly:
            _check_gradients(node, contributions)
        for parent, contribution in zip(parents, contributions):
            parent.grad += contribution
            left = pending[parent] - 1
            pending[parent] = left
            if left == 0:
                ready.append(parent)
    return consumers


def _check_gradients(node: Value, contributions: Sequence[Any]) -> None:
    for i, c in enumerate(contributions):
        c = c if type(c) is float else c.data
        if not math.isfinite(c):
            inputs = ", ".join(repr(p.data) for p in node.parents)
            raise FloatingPointError(
                f"detect_anomaly: the backward step of {node.op!r} (inputs {inputs}, output {node.data!r}, "
                f"incoming gradient {float(node.grad)!r}) gave {c} for input {i}"
            )


def _seed(grad: Any, name: str) -> Any:
    if isinstance(grad, Value):
        return grad
    if _is_number(grad):
        return float(grad)
    raise TypeError(f"{name} must be a Value or a number, got {type(grad).__name__}")


def backward(root: Value, grad: Value | Number = 1.0, create_graph: bool = False) -> None:
    """Fill `.grad` of every node under `root` with d(root)/d(node) · grad (see Value.backward)."""
    if not isinstance(root, Value):
        raise TypeError(f"backward() needs a Value, got {type(root).__name__}")
    seed = _seed(grad, "grad")
    if create_graph:
        with enable_grad():
            _backpropagate((root,), (seed,), create_graph=True, reset_leaves=False)
    else:
        _backpropagate((root,), (float(seed),), create_graph=False, reset_leaves=False)


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Value | Number | Sequence[Value | Number] | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Value | None, ...]:
    """d(outputs)/d(inputs) as a tuple of Values, leaving every `.grad` as it was.

    Σ_k grad_outputs[k] · d(outputs[k])/d(input). With `create_graph=True` each result has a graph of its
    own and can be differentiated again (the derivative of a derivative). An input the outputs do not
    depend on is an error unless `allow_unused=True`, which gives None for it (as in PyTorch).
    """
    outputs = _as_values(outputs, "outputs")
    inputs = _as_values(inputs, "inputs")
    if grad_outputs is None:
        seeds = [1.0] * len(outputs)
    else:
        seeds = list(grad_outputs) if isinstance(grad_outputs, Iterable) else [grad_outputs]
        if len(seeds) != len(outputs):
            raise ValueError(f"grad_outputs has {len(seeds)} entries but there are {len(outputs)} outputs")
        seeds = [_seed(s, "grad_outputs") for s in seeds]
        if not create_graph:
            seeds = [float(s) for s in seeds]

    # Run an ordinary pass over the grads of the graph, read off the inputs, then put every .grad back.
    saved = {node: node.grad for node in count_consumers(outputs)}
    try:
        with enable_grad() if create_graph else nullcontext():
            reached = _backpropagate(outputs, seeds, create_graph=create_graph, reset_leaves=True)
        results = [x.grad if x in reached else None for x in inputs]
    finally:
        for node, g in saved.items():
            node.grad = g

    answer: list[Value | None] = []
    for i, (x, g) in enumerate(zip(inputs, results)):
        if g is None and not allow_unused:
            raise ValueError(
                f"input {i} ({x!r}) is not part of the outputs' graph, so it has no gradient; "
                "pass allow_unused=True to get None for it"
            )
        answer.append(g if g is None or isinstance(g, Value) else Value(g))
    return tuple(answer)


def _as_values(x: Value | Sequence[Value], name: str) -> list[Value]:
    items = [x] if isinstance(x, Value) else list(x)
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(f"{name} must be Values, got {type(item).__name__}")
    return items
