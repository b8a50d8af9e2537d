"""Backpropagation: walk the graph from the output back to the leaves, applying the chain rule at each node.

First put the nodes in topological order (each after the nodes it was made from), by a depth-first search
with an explicit stack: no recursion, so a chain of a million operations is fine. Then walk it backwards from
the output: when a node is reached, every node that used it has handed down its share of the gradient, so its
gradient is complete, and it passes its own shares on to its arguments.

A node is a Value, but all this file reads of it is `_fn` (its Function, None for a leaf), `_args` (its
arguments: nodes, and floats for constants), `_saved` (their numbers when it was made) and `_data`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from autograd.mode import _refusal, is_anomaly_enabled


def is_cut(node: Any) -> bool:
    """True for a node that hands back exactly 0 whatever it receives (a relu that was off)."""
    return node._fn.stops_at_zero and node._data == 0.0


def topological_order(roots: Sequence[Any], cut: bool = True) -> list[Any]:
    """The interior nodes under the roots (roots included), each after every node it was made from. Leaves
    only receive gradients, so they are left out; so is all that is reached only through a cut (no gradient
    gets through), unless cut=False (the compiler's case: a relu off now may be on for the next input)."""
    if cut and (refuse := _refusal.get()):  # a backward() or grad() inside a function autograd.compile traces
        refuse("called backward() or grad()")
    order: list[Any] = []
    seen: set[Any] = set()  # the nodes visited, and the leaves and constants met: each is looked at once
    stack = [(root, False) for root in roots if root._fn is not None]
    while stack:
        node, arguments_done = stack.pop()
        if arguments_done:  # everything it was made from is in the order already
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))  # come back to it once its arguments are done
            if not (cut and node._fn.stops_at_zero and node._data == 0.0):  # is_cut(node), inlined: -3M of 150M
                for arg in reversed(node._args):  # the first argument's nodes then come first in the order
                    if arg not in seen:  # (a layer's weights are read by every neuron: one test each time)
                        if type(arg) is not float and arg._fn is not None:
                            stack.append((arg, False))
                        else:
                            seen.add(arg)
    return order


def backpropagate(roots: Sequence[Any], seeds: Sequence[Any], create_graph: bool) -> dict[Any, Any]:
    """{node: Σ_k seeds[k] · ∂roots[k]/∂node} for every node the walk reaches, by the chain rule, computed on
    Values with create_graph (gradients with graphs of their own), else on floats. No node is written to."""
    grads: dict[Any, Any] = {}
    for root, seed in zip(roots, seeds):
        grads[root] = grads[root] + seed if root in grads else seed
    anomaly = is_anomaly_enabled()
    for node in reversed(topological_order(roots)):  # from the output down
        g = grads.setdefault(node, 0.0)  # complete: every node that used this one has handed back its share
        for arg, contribution in zip(node._args, _contributions(node, g, create_graph, anomaly)):
            if type(arg) is not float:  # a constant gets nothing
                # The first contribution becomes the gradient itself, so a derivative's graph has no "0 + g".
                old = grads.get(arg)
                grads[arg] = contribution if old is None else old + contribution
    return grads


def backpropagate_into_grad(roots: Sequence[Any], seeds: Sequence[float]) -> None:
    """The same pass on floats, into each node's `.grad` (backward()): interior nodes from 0, leaves adding to
    what they had. The dict of `backpropagate` cost the demo step 18M more instructions (of 166M)."""
    order = topological_order(roots)
    for node in order:
        node.grad = 0.0
    for root, seed in zip(roots, seeds):
        root.grad += seed
    anomaly = is_anomaly_enabled()
    for node in reversed(order):
        fn, g = node._fn, node.grad
        if anomaly:  # every step checked
            contributions = _contributions(node, g, False, anomaly)
        elif (fn.stops_at_zero and node._data == 0.0) or (g == 0.0 and fn.skip_zero and math.isfinite(node._data)):
            continue  # _contributions' test and float case, written out: its call cost the demo step 7M of 140M
        else:
            contributions = fn.backward(g, node._data, *node._saved)
        for arg, contribution in zip(node._args, contributions):
            if type(arg) is not float:
                arg.grad += contribution


def _contributions(node: Any, g: Any, create_graph: bool, anomaly: bool) -> Sequence[Any]:
    """g · ∂node/∂arg for each of node's arguments: one step of the chain rule (nothing for a node that hands
    exactly 0 to all of them: a cut, or a 0 gradient through finite derivatives)."""
    fn = node._fn
    if is_cut(node) or (type(g) is float and g == 0.0 and fn.skip_zero and math.isfinite(node._data)):
        return ()
    contributions = fn.backward(g, node, *node._args) if create_graph else fn.backward(g, node._data, *node._saved)
    for i, (arg, c) in enumerate(zip(node._args, contributions)) if anomaly else ():  # detect_anomaly's check
        number = c if type(c) is float else c._data
        if type(arg) is not float and not math.isfinite(number):
            inputs = ", ".join(repr(a if type(a) is float else a._data) for a in node._args)
            raise FloatingPointError(f"detect_anomaly: the backward step of {fn.name!r} (inputs {inputs}, output "
                                     f"{node._data!r}, incoming gradient {float(g)!r}) gave {number} for input {i}")
    return contributions


def reachable(roots: Sequence[Any]) -> set[Any]:
    """Every node the roots depend on, leaves included, whether or not a gradient can reach it."""
    seen = set(roots)
    stack = list(seen)
    while stack:
        for arg in stack.pop()._args:
            if type(arg) is not float and arg not in seen:
                seen.add(arg)
                stack.append(arg)
    return seen
