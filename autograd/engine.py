"""Backpropagation: walk the graph from the output back to the leaves, applying the chain rule at each node.

First put the nodes in topological order (every node after the nodes it was made from), by a depth-first
search with an explicit stack: no recursion, so a chain of a million operations is fine. Then walk that order
backwards, from the output down: by the time a node is reached, every node that used it has already handed
its share of the gradient down, so its gradient is complete and can be passed on to its own parents.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import Any

from autograd.mode import enable_grad, is_anomaly_enabled
from autograd.value import Number, Value, _is_number


def topological_order(roots: Sequence[Value]) -> tuple[list[Value], list[Value]]:
    """(order, stops): the interior nodes under the roots that backward must visit (the roots included).

    `order` lists the nodes whose backward step runs, each after all of its parents. `stops` are the nodes that
    hand back exactly 0 whatever they receive (`blocks` in ops.py: a relu that was off). They still receive a
    gradient of their own, but they pass nothing on, so they take no backward step and the walk does not go
    below them: whatever is reached only through them has gradient 0 in this pass and is not visited. In a
    network, that is every sample the loss is already happy with and every neuron that was off.

    Leaves (inputs and parameters) are left out too: nothing below them needs their turn, they only receive
    gradients. Networks are mostly leaves (every weight is one), so this saves most of the walking.
    """
    order: list[Value] = []
    stops: list[Value] = []
    visited: set[Value] = set()
    stack: list = [root for root in roots if root.parents]
    try:
        while stack:
            node = stack.pop()
            if node is _PARENTS_DONE:  # the marker sits on top of a node whose parents are all in the order now
                order.append(stack.pop())
            elif node not in visited:
                visited.add(node)
                if node._op.blocks:
                    stops.append(node)  # it hands back exactly 0: no step to take, nothing below to visit
                    continue
                stack += (node, _PARENTS_DONE)  # come back to it once everything pushed after is done
                for parent in node.parents:
                    if parent.parents and parent not in visited:
                        stack.append(parent)
    except AttributeError:
        _check_parents(node)
        raise
    return order, stops


def _check_parents(node: Value) -> None:
    # Only an object that is not a Value can be missing `.parents`: say which one, and where it sits.
    for parent in node.parents:
        if not isinstance(parent, Value):
            raise TypeError(
                f"a {node.op!r} node has an input of type {type(parent).__name__}, which is not a chaingrad "
                "Value; build graphs from Values and plain numbers only"
            )


_PARENTS_DONE = object()


def _backpropagate(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool) -> None:
    """Add d(roots)/d(node), weighted by the seeds, into every node's `.grad`.

    Interior nodes start from 0, so their `.grad` shows this pass only; leaves keep what they had, so
    repeated `backward()` calls accumulate into parameters, like PyTorch. Interior nodes the walk does not
    reach (only behind a relu that was off: their gradient in this pass is 0) keep their `.grad` as it was:
    0 on a graph that was never backpropagated before.
    """
    order, stops = topological_order(roots)
    for node in order:
        node.grad = 0.0
    for node in stops:
        node.grad = 0.0
    for root, seed in zip(roots, seeds):
        root.grad += seed

    anomaly = is_anomaly_enabled()
    plain = not (create_graph or anomaly)  # floats only, nothing to check: the fast path
    isfinite = math.isfinite
    for node in reversed(order):  # from the output down: each node's gradient is complete when reached
        g = node.grad
        op = node._op
        # A zero gradient through an op whose local derivatives are finite hands exactly 0 to every parent
        # (see `skip_zero` in ops.py): nothing to do.
        if g == 0.0 and op.skip_zero and isfinite(node.data):
            continue
        if plain:
            op.accumulate(node, g)  # the same step as below, each op adding its contributions itself
            continue
        contributions = op.backward(node, g, create_graph)
        if anomaly:
            _check_gradients(node, contributions)
        if create_graph:
            # The first contribution becomes the gradient itself, so the derivative's graph has no "0 + g" node.
            for parent, contribution in zip(node.parents, contributions):
                grad = parent.grad
                parent.grad = contribution if type(grad) is float and grad == 0.0 else grad + contribution
        else:
            for parent, contribution in zip(node.parents, contributions):
                parent.grad += contribution


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
            _backpropagate((root,), (seed,), create_graph=True)
    else:
        _backpropagate((root,), (float(seed),), create_graph=False)


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

    # Run an ordinary pass from zero over every node's .grad, read off the inputs, then put every .grad back.
    nodes = _all_nodes(outputs)
    saved = [(node, node.grad) for node in nodes]
    try:
        for node in nodes:
            node.grad = 0.0
        with enable_grad() if create_graph else nullcontext():
            _backpropagate(outputs, seeds, create_graph=create_graph)
        results = [x.grad if x in nodes else None for x in inputs]
    finally:
        for node, g in saved:
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


def _all_nodes(roots: Sequence[Value]) -> set[Value]:
    """Every node the roots depend on, leaves included (iteratively)."""
    seen = set(roots)
    stack = list(seen)
    while stack:
        for parent in stack.pop().parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def _as_values(x: Value | Sequence[Value], name: str) -> list[Value]:
    items = [x] if isinstance(x, Value) else list(x)
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(f"{name} must be Values, got {type(item).__name__}")
    return items
