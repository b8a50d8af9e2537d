"""Random expression graphs as recipes, replayed identically in chaingrad and in PyTorch float64; and the wrong
arguments and corrupted files that nn's public functions must refuse with a TypeError or ValueError."""

from __future__ import annotations

import json
import math
import numbers
import operator
import random
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

import autograd

# ---------------------------------------------------------------------------------------------
# The comparison rule shared by the engine tests: nan matches nan, an infinity matches the same
# infinity, every other pair must agree to a relative tolerance (1e-12 unless a test says why not).
# ---------------------------------------------------------------------------------------------


def same_float(got: float, expected: float, rel: float = 1e-12, abs_: float = 1e-300) -> bool:
    """got ~= expected: nan == nan, inf == inf (same sign), else |got - expected| <= max(rel*|.|, abs_)."""
    if math.isnan(expected) or math.isnan(got):
        return math.isnan(expected) and math.isnan(got)
    if math.isinf(expected) or math.isinf(got):
        return got == expected
    return math.isclose(got, expected, rel_tol=rel, abs_tol=abs_)


# ---------------------------------------------------------------------------------------------
# A recipe is a list of leaf values and a list of steps; step k makes node len(leaves) + k from
# earlier nodes, so any node can be used many times (shared subexpressions). The same recipe is
# replayed by two backends: chaingrad Values and 0-d float64 torch tensors.
# ---------------------------------------------------------------------------------------------

# Unary steps: (name, parameter). Tensors and Values share the method names of these ops.
# SMOOTH: twice differentiable on their whole domain. KINKED: a derivative jumps somewhere (elu with
# alpha = 1 is C1 only: its second derivative jumps from 1 to 0 at x = 0).
SMOOTH_UNARY = ("neg", "exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "sin", "cos")
KINKED_UNARY = ("abs", "relu", "leaky_relu", "elu", "elu1")
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
POWER_EXPONENTS = (2.0, 3.0, -1.0, 0.5, -2.0, 1.5)
STEP_KINDS = ("unary", "unary", "binary", "binary", "const_right", "const_left", "nary")
NARY = ("sum", "mean", "dot", "logsumexp", "softmax", "log_softmax")


@dataclass(frozen=True)
class Recipe:
    """Leaf values plus steps; each step is a tuple whose first item names its kind."""

    leaves: tuple[float, ...]
    steps: tuple[tuple, ...]


class EngineBackend:
    """Replays recipe steps with chaingrad."""

    @staticmethod
    def unary(name: str, x: Any, param: float) -> Any:
        if name == "neg":
            return -x
        if name == "abs":
            return abs(x)
        if name == "leaky_relu":
            return x.leaky_relu(param)
        if name == "elu":
            return x.elu(param)
        if name == "elu1":
            return x.elu()
        return getattr(x, name)()

    @staticmethod
    def nary(name: str, xs: list, ws: list, k: int) -> Any:
        if name == "dot":
            return autograd.dot(xs, ws)
        if name in ("softmax", "log_softmax"):
            return getattr(autograd, name)(xs)[k]
        return getattr(autograd, name)(xs)


class TorchBackend:
    """Replays recipe steps with float64 torch tensors."""

    @staticmethod
    def unary(name: str, x: Any, param: float) -> Any:
        if name == "neg":
            return -x
        if name == "abs":
            return torch.abs(x)
        if name == "leaky_relu":
            return F.leaky_relu(x, param)
        if name == "elu":
            return F.elu(x, param)
        if name == "elu1":
            return F.elu(x)
        if name == "softplus":
            return F.softplus(x)
        return getattr(torch, name)(x)

    @staticmethod
    def nary(name: str, xs: list, ws: list, k: int) -> Any:
        stacked = torch.stack(xs)
        if name == "sum":
            return stacked.sum()
        if name == "mean":
            return stacked.mean()
        if name == "dot":
            as_tensor = [w if torch.is_tensor(w) else torch.tensor(w, dtype=torch.float64) for w in ws]
            return torch.dot(stacked, torch.stack(as_tensor))
        if name == "logsumexp":
            return torch.logsumexp(stacked, dim=0)
        if name == "softmax":
            return torch.softmax(stacked, dim=0)[k]
        return torch.log_softmax(stacked, dim=0)[k]


def replay(recipe: Recipe, leaves: list, backend: type) -> Any:
    """Build the recipe's graph over the given leaf objects; return one output: the sum of all step nodes."""
    return backend.nary("sum", replay_nodes(recipe, leaves, backend)[len(leaves):], [], 0)


def replay_nodes(recipe: Recipe, leaves: list, backend: type) -> list:
    """Build the recipe's graph over the given leaf objects; return every node, leaves first."""
    nodes = list(leaves)
    for step in recipe.steps:
        kind = step[0]
        if kind == "unary":
            _, name, i, param = step
            nodes.append(backend.unary(name, nodes[i], param))
        elif kind == "binary":
            _, sym, i, j = step
            nodes.append(BINARY[sym](nodes[i], nodes[j]))
        elif kind == "const_right":
            _, sym, i, c = step
            nodes.append(BINARY[sym](nodes[i], c))
        elif kind == "const_left":
            _, sym, c, i = step
            nodes.append(BINARY[sym](c, nodes[i]))
        else:
            _, name, idxs, ws, k = step
            weights = [nodes[w] if isinstance(w, int) else w for w in ws]
            nodes.append(backend.nary(name, [nodes[i] for i in idxs], weights, k))
    return nodes


leaf_values = st.one_of(
    st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.5, 1.0, 2.0, -1.0, 0.25]),
)
constants = st.one_of(
    st.sampled_from([0.5, 2.0, -1.5, 3.0, 1.0]),
    st.floats(min_value=-2.0, max_value=2.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def recipes(draw: st.DrawFn, max_leaves: int = 4, max_steps: int = 8, smooth: bool = False) -> Recipe:
    """A random DAG: 1..max_leaves leaves, 1..max_steps steps over earlier nodes (reuse is allowed)."""
    leaves = tuple(draw(st.lists(leaf_values, min_size=1, max_size=max_leaves)))
    unary_names = SMOOTH_UNARY if smooth else SMOOTH_UNARY + KINKED_UNARY
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        n_nodes = len(leaves) + len(steps)
        node = st.integers(0, n_nodes - 1)
        kind = draw(st.sampled_from(STEP_KINDS))
        if kind == "unary":
            name = draw(st.sampled_from(unary_names))
            param = draw(st.sampled_from([0.01, 0.2, 0.5, 2.0])) if name in ("leaky_relu", "elu") else 0.0
            steps.append(("unary", name, draw(node), param))
        elif kind == "binary":
            sym = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
            steps.append(("binary", sym, draw(node), draw(node)))
        elif kind == "const_right":
            sym = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
            c = draw(st.sampled_from(POWER_EXPONENTS)) if sym == "**" else draw(constants)
            steps.append(("const_right", sym, draw(node), c))
        elif kind == "const_left":
            sym = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
            c = draw(st.sampled_from([2.0, 0.5, 3.0])) if sym == "**" else draw(constants)
            steps.append(("const_left", sym, c, draw(node)))
        else:
            name = draw(st.sampled_from(NARY))
            idxs = tuple(draw(st.lists(node, min_size=1, max_size=5)))
            ws: tuple = ()
            if name == "dot":
                ws = tuple(draw(st.one_of(constants, node)) for _ in idxs)
            k = draw(st.integers(0, len(idxs) - 1))
            steps.append(("nary", name, idxs, ws, k))
    return Recipe(leaves, tuple(steps))


# Each unary op: (ours on a Value, torch's on a tensor). test_ops_torch.py checks all of them at edge points,
# test_higher_order.py the smooth ones to the third derivative.
UNARY_OPS = {
    "neg": (lambda v: -v, lambda t: -t),
    "abs": (abs, torch.abs),
    "exp": (lambda v: v.exp(), torch.exp),
    "log": (lambda v: v.log(), torch.log),
    "log1p": (lambda v: v.log1p(), torch.log1p),
    "sqrt": (lambda v: v.sqrt(), torch.sqrt),
    "tanh": (lambda v: v.tanh(), torch.tanh),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid),
    "relu": (lambda v: v.relu(), torch.relu),
    "leaky_relu()": (lambda v: v.leaky_relu(), F.leaky_relu),
    "leaky_relu(0.2)": (lambda v: v.leaky_relu(0.2), lambda t: F.leaky_relu(t, 0.2)),
    "leaky_relu(negative_slope=1.5)": (
        lambda v: v.leaky_relu(negative_slope=1.5),
        lambda t: F.leaky_relu(t, negative_slope=1.5),
    ),
    "leaky_relu(-0.3)": (lambda v: v.leaky_relu(-0.3), lambda t: F.leaky_relu(t, -0.3)),
    "elu()": (lambda v: v.elu(), F.elu),
    "elu(0.5)": (lambda v: v.elu(0.5), lambda t: F.elu(t, 0.5)),
    "elu(alpha=2.0)": (lambda v: v.elu(alpha=2.0), lambda t: F.elu(t, alpha=2.0)),
    "softplus": (lambda v: v.softplus(), F.softplus),  # torch defaults: beta=1, threshold=20
    "sin": (lambda v: v.sin(), torch.sin),
    "cos": (lambda v: v.cos(), torch.cos),
}


# ---------------------------------------------------------------------------------------------
# Wrong arguments for nn's public functions. `anything` is what a user might pass by mistake; the
# `wrong_*` strategies keep only what a given argument must refuse, so a call given one of them has to
# raise. (Valid values are left out on purpose where they could be huge: nin=10**30 is a valid size.)
# ---------------------------------------------------------------------------------------------

# Errors a bad argument must never surface as: each means an unchecked argument reached the arithmetic,
# the indexing, a recursion or a decoder. UnicodeDecodeError is a ValueError, but one without the file's name.
FORBIDDEN_ERRORS = (AttributeError, IndexError, KeyError, ZeroDivisionError, RecursionError, OverflowError,
                    UnicodeError, AssertionError)  # fmt: skip


def _numpy_scalars() -> st.SearchStrategy:
    import numpy as np

    return st.sampled_from([np.float32(0.5), np.float64(-1.5), np.int64(3), np.int32(-2), np.int64(0),
                            np.float64("nan"), np.float32("inf"), np.bool_(True), np.uint8(7)])  # fmt: skip


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([10**400, -(10**400), 2**63, 2**64 + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=3, allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.lists(st.one_of(st.integers(-3, 3), st.floats(-2, 2), st.none(), st.text(max_size=2)), max_size=3),
    st.tuples(st.floats(-1, 1), st.floats(-1, 1)),
    st.dictionaries(st.text(max_size=3), st.integers(-2, 2), max_size=2),
    st.builds(autograd.Value, st.floats(-2, 2)),
    st.builds(object),
    st.builds(random.Random, st.integers(0, 9)),
    _numpy_scalars(),
)


def _is_int(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def is_finite_real(x: Any) -> bool:
    if not isinstance(x, numbers.Real) or isinstance(x, bool):
        return False
    try:
        return math.isfinite(x)
    except OverflowError:  # 10**400: finite, but no float holds it; the checks refuse it as a float too
        return False


wrong_sizes = anything.filter(lambda x: not (_is_int(x) and x >= 1))
wrong_learning_rates = anything.filter(lambda x: not (is_finite_real(x) and x > 0))
wrong_seeds = anything.filter(lambda x: not (x is None or _is_int(x)))
wrong_rngs = anything.filter(lambda x: not (x is None or isinstance(x, random.Random)))
wrong_flags = anything.filter(lambda x: not isinstance(x, bool))
wrong_probabilities = anything.filter(lambda x: not (is_finite_real(x) and 0 <= x <= 1))
wrong_finite_numbers = anything.filter(lambda x: not is_finite_real(x))
wrong_names = anything.filter(lambda x: not isinstance(x, str)) | st.sampled_from(["", "RELU", "gelu", "relu "])
wrong_gains = anything.filter(lambda x: not (is_finite_real(x) and x >= 0))


@st.composite
def wrong_parameter_lists(draw: st.DrawFn) -> Any:
    """What an optimizer must refuse as its parameters: not a list, empty, or a list with a bad entry."""
    good = [autograd.Value(1.0), autograd.Value(-2.0)]
    kind = draw(st.sampled_from(["not a list", "empty", "not a Value", "duplicate", "non-leaf"]))
    if kind == "not a list":
        return draw(anything.filter(lambda x: not isinstance(x, (list, tuple)) or isinstance(x, (str, bytes))))
    if kind == "empty":
        return []
    position = draw(st.integers(0, len(good)))
    if kind == "not a Value":
        bad = draw(anything.filter(lambda x: not isinstance(x, autograd.Value)))
    elif kind == "duplicate":
        bad = good[draw(st.integers(0, len(good) - 1))]
    else:
        bad = good[0] * good[1]
    return good[:position] + [bad] + good[position:]


# JSON values of every kind, nested a little: what a hand-edited or corrupted file may hold anywhere.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def json_paths(value: Any, prefix: tuple = (), every: bool = True) -> list[tuple]:
    """Every place in a JSON value (a path of keys and indices), the value itself included as ().

    every=False keeps only the first three and the last entry of each list, so that a long list (a random
    generator's 625 state words) does not crowd out the rest of a document.
    """
    paths = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            paths += json_paths(v, prefix + (k,), every)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if every or i < 3 or i == len(value) - 1:
                paths += json_paths(v, prefix + (i,), every)
    return paths


DROP = object()  # "remove this entry" for replaced()


def replaced(value: Any, path: tuple, new: Any) -> Any:
    """A deep copy of a JSON value with the entry at `path` replaced by `new` (or removed when new is DROP)."""
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if new is DROP:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return copy


@st.composite
def corrupted_model_files(draw: st.DrawFn, document: dict) -> bytes:
    """A model file one corruption away from `document`: an entry replaced or removed, the text cut short or
    spliced with junk, nested too deeply, or not even text."""
    text = json.dumps(document)
    kind = draw(st.sampled_from(["replace", "replace", "replace", "remove", "cut", "splice", "nest", "bytes"]))
    if kind in ("replace", "remove"):
        path = draw(st.sampled_from(json_paths(document, every=False)))
        if kind == "remove" and path:
            return json.dumps(replaced(document, path, DROP)).encode()
        return json.dumps(replaced(document, path, draw(json_values))).encode()
    if kind == "cut":
        return text[: draw(st.integers(0, len(text) - 1))].encode()
    if kind == "splice":
        at = draw(st.integers(0, len(text)))
        return (text[:at] + draw(st.text(max_size=5)) + text[at:]).encode()
    if kind == "nest":
        depth = draw(st.integers(10, 5000))
        path = draw(st.sampled_from([p for p in json_paths(document, every=False) if p]))
        marker = "\u0000MARK\u0000"
        nested = json.dumps(replaced(document, path, marker))
        return nested.replace(json.dumps(marker), "[" * depth + "]" * depth).encode()
    return draw(st.binary(max_size=64)) + draw(st.sampled_from([b"", b"\xff\xfe", b"\x80", b"\xc3"]))
