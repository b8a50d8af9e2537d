"""autograd.compile: trace a function once, then run it as generated straight-line Python, forward and backward.

The eager engine builds a graph of Value objects on every call and walks it back. When the graph has the same
shape every time (a network's loss on one sample), that work can be done once: trace the function into a
graph, then write a Python program that does the same arithmetic on plain floats, one statement per
operation: the forward pass, then the chain rule backwards, line by line. Each statement comes from the op's
own Function, whose forward and backward run here on symbols that print themselves as code, so the compiler
has no table of derivatives of its own. `print(step.code)` shows the program.

    >>> step = autograd.compile(lambda x, y: (model(x) - y) ** 2, per_sample=True,
    ...                         parameters=model.named_parameters())
    >>> loss = step(X, Y)   # mean over the samples; every parameter's .grad gets d loss / d parameter
"""

from __future__ import annotations

import builtins
import functools
import keyword
import math
import operator
import re
import traceback
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any, NoReturn

from autograd import floats
from autograd.engine import topological_order
from autograd.functional import Dot
from autograd.mode import _refusal, enable_grad
from autograd.value import Function, ReLU, Value


class TracingError(TypeError):
    """A function being compiled looked at a number (a comparison, float(), .data): the compiled program,
    which repeats the traced operations, could not follow the branch that number chose."""


def _refuse(what: str) -> NoReturn:
    """Raise TracingError naming the user's line: what `_trace` has Values call while it traces."""
    frames = [f for f in traceback.extract_stack() if "/autograd/" not in f.filename.replace("\\", "/")]
    where = f" ({frames[-1].filename}, line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    raise TracingError(
        f"autograd.compile: the function {what} while it was traced{where}. The compiled program repeats the "
        "traced operations, so it cannot follow a branch chosen by a number: write it with ops (relu, abs, "
        "max as a Function) or run it eagerly"
    )


# How tightly each kind of expression binds, as in Python's grammar: a looser operand gets parentheses.
ATOM, UNARY, PRODUCT, SUM, COMPARISON, CONDITION = 6, 5, 4, 3, 2, 1
_FUNCTIONS = ("exp", "expm1", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid")


class Sym:
    """A number not known yet: arithmetic on it returns the source code of that arithmetic, as a new Sym."""

    __slots__ = ("code", "binding")

    def __init__(self, code: str, binding: int = ATOM) -> None:
        self.code, self.binding = code, binding

    def __repr__(self) -> str:
        return f"Sym({self.code!r})"

    def __bool__(self) -> bool:  # an `if` on a symbol: the writer calls the op's own function instead
        raise TypeError("a symbol has no truth value while the program is written")

    def __float__(self) -> float:
        raise TypeError("a symbol has no number while the program is written")

    def __eq__(self, other: object) -> bool:  # `x == 0.0` in an op's rule: the writer calls its function instead
        raise TypeError("a symbol cannot be compared with == while the program is written (floats.equal can)")

    def __ne__(self, other: object) -> bool:
        raise TypeError("a symbol cannot be compared with != while the program is written")

    __hash__ = object.__hash__

    def __add__(self, other: Any) -> Sym:
        return _infix(self, "+", other, SUM)

    def __radd__(self, other: Any) -> Sym:
        return _infix(other, "+", self, SUM)

    def __sub__(self, other: Any) -> Sym:
        return _infix(self, "-", other, SUM)

    def __rsub__(self, other: Any) -> Sym:
        return _infix(other, "-", self, SUM)

    def __mul__(self, other: Any) -> Sym:  # x · 1.0 is x, bit for bit (but (a < b) · 1.0 is a number, not a bool)
        return self if _is_one(other) and self.binding != COMPARISON else _infix(self, "*", other, PRODUCT)

    def __rmul__(self, other: Any) -> Sym:
        return self if _is_one(other) and self.binding != COMPARISON else _infix(other, "*", self, PRODUCT)

    def __truediv__(self, other: Any) -> Sym:
        return _call("div", self, other)  # Python's / raises at 0; div gives inf and nan, as PyTorch

    def __rtruediv__(self, other: Any) -> Sym:
        return _call("div", other, self)

    def __pow__(self, other: Any) -> Sym:  # x ** 1.0 is x, bit for bit (C99's pow), as in x²'s derivative 2x¹
        # floats.pow: inf where Python's ** raises
        return self if _is_one(other) and self.binding != COMPARISON else _call("pow", self, other)

    def __rpow__(self, other: Any) -> Sym:
        return _call("pow", other, self)

    def __neg__(self) -> Sym:
        return Sym("-" + _operand(self, UNARY), UNARY)

    def __abs__(self) -> Sym:
        return _call("abs", self)

    def __lt__(self, other: Any) -> Sym:
        return _infix(self, "<", other, COMPARISON)

    def __le__(self, other: Any) -> Sym:
        return _infix(self, "<=", other, COMPARISON)

    def __gt__(self, other: Any) -> Sym:
        return _infix(self, ">", other, COMPARISON)

    def __ge__(self, other: Any) -> Sym:
        return _infix(self, ">=", other, COMPARISON)

    def equal(self, other: Any) -> Sym:
        """self == other, written out (floats.equal calls this)."""
        return _infix(self, "==", other, COMPARISON)

    def where(self, a: Any, b: Any) -> Sym:
        """a if self else b, written out (floats.where calls this on a symbolic condition)."""
        return Sym(f"{_operand(a, SUM)} if {_operand(self, COMPARISON)} else {_operand(b, CONDITION)}", CONDITION)

    def __getattr__(self, name: str) -> Callable[[], Sym]:
        if name in _FUNCTIONS:  # x.exp(), x.log()...: what autograd.floats calls on anything not a float
            own = _FUNCTIONS[_FUNCTIONS.index(name)]  # the table's text: a str subclass could format as anything
            return lambda: _call(own, self)
        raise AttributeError(name)


def _is_one(x: Any) -> bool:
    return type(x) is float and x == 1.0


def _operand(x: Any, binding: int) -> str:
    """x's code, in parentheses when it binds more loosely than `binding` needs."""
    if isinstance(x, Sym):
        return x.code if x.binding >= binding else f"({x.code})"
    code = repr(float(x))  # a constant; inf and nan are names in the program's namespace
    return code if not code.startswith("-") or binding <= UNARY else f"({code})"


def _infix(a: Any, op: str, b: Any, binding: int) -> Sym:
    # The right side must bind one step tighter: a - (b - c) keeps its parentheses, and so does a + (b + c),
    # since floating-point addition is not associative and the program must add in the traced order.
    return Sym(f"{_operand(a, binding)} {op} {_operand(b, binding + 1)}", binding)


def _call(name: str, *args: Any) -> Sym:
    return Sym(f"{name}({', '.join(_operand(a, CONDITION) for a in args)})")


def identifier(text: str, fallback: str) -> str:
    """text made into a Python identifier: only ASCII letters, digits and _, so a user's label never becomes code."""
    text = text if isinstance(text, str) else ""  # a label set to a non-str after the Value was made
    name = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", text)).strip("_")
    name = name if name and not name[0].isdigit() else f"{fallback}_{name}".rstrip("_")
    return name + "_" if keyword.iskeyword(name) else name  # a label "for" or "None" must not become syntax


# --------------------------------------------------------------------------------------------------------
# Tracing, and writing the program
# --------------------------------------------------------------------------------------------------------


def _shape(x: Any) -> Any:
    """The nesting of x: None for a number, a tuple of the entries' shapes for a list or tuple."""
    if isinstance(x, (list, tuple)):
        return tuple(_shape(e) for e in x)
    if type(x) is float or type(x) is int:  # the usual entries, without the tests below
        return None
    if isinstance(x, bool) or not hasattr(x, "__float__") or isinstance(x, (Value, Iterable)):  # (a NumPy array)
        raise TypeError(f"a compiled function takes numbers and lists of numbers, got {_kind(x)}")
    return None


def _kind(x: Any) -> str:
    """x's type, as an error names it; for a NumPy array, with the way to pass its numbers."""
    return type(x).__name__ + ("; convert it with .tolist()" if callable(getattr(x, "tolist", None)) else "")


Places = list[tuple[Value, tuple[int, ...]]]  # the inputs of a trace, each with its place: (argument, index...)


def _inputs(shape: Any, place: tuple[int, ...], out: Places) -> Any:
    """Input Values in the given shape, appended to `out` in order with their place: (0, 2) is the first
    argument's entry 2, labelled arg0[2]. The program names them by place (a traced function may relabel them)."""
    if shape is None:
        out.append((Value(0.0, f"arg{place[0]}" + "".join(f"[{i}]" for i in place[1:])), place))
        return out[-1][0]
    return [_inputs(s, (*place, i), out) for i, s in enumerate(shape)]


def _flat(x: Sequence[Any], out: list[float]) -> list[float]:
    """The numbers of x, nested lists opened, in order: the inputs as the program unpacks them."""
    start = len(out)
    try:
        out.extend(map(float, x))  # a flat row of numbers, the usual sample: one pass in C
        return out
    except TypeError:  # a list inside: open it
        del out[start:]
    for e in x:
        if isinstance(e, (list, tuple)):
            _flat(e, out)
        else:
            out.append(float(e))
    return out


def _size(shape: Any) -> int:
    """How many numbers a sample of this shape holds."""
    return 1 if shape is None else builtins.sum(_size(s) for s in shape)


def _column(arg: Sequence[Any], shape: Any) -> list[Any]:
    """One argument's samples as the program's loop unpacks them: a float each, or a tuple of floats each.

    Every sample is held to what `_shape` asks of sample 0 (numbers, not str, bool or Value) and to its shape.
    The entries' types are gathered in one pass in C; only an unusual one sends the column through
    `_check_samples`, sample by sample (which is also the way for lists nested inside each sample)."""
    flat = shape is None or all(s is None for s in shape)  # a number, or a row of numbers: the usual samples
    try:
        lists = shape is None or set(map(type, arg)) <= {list, tuple}  # each sample a list (not a str, a range...)
        entries = arg if shape is None else chain.from_iterable(arg)
        usual = flat and lists and set(map(type, entries)) <= {float, int}
    except TypeError:  # a number where sample 0 is a list
        usual = False
    if not usual:
        _check_samples(arg, shape)
    if shape is None:
        return list(map(float, arg))
    rows = [tuple(map(float, row)) if flat else tuple(_flat(row, [])) for row in arg]
    n = _size(shape)
    for i, row in enumerate(rows):
        if len(row) != n:
            raise ValueError(f"sample {i} has {len(row)} numbers but sample 0 has {n}: a per-sample "
                             "compiled function takes samples of one shape")  # fmt: skip
    return rows


def _check_samples(arg: Sequence[Any], shape: Any) -> None:
    """A TypeError or ValueError naming the first sample that holds something other than numbers, or is not
    shaped as sample 0 (the program would read its numbers in the wrong places)."""
    for i, sample in enumerate(arg):
        try:
            got = _shape(sample)
        except TypeError as error:
            raise TypeError(f"sample {i}: {error}") from None
        if (got is None) != (shape is None):
            kinds = ("a list", "a number") if shape is None else ("a number", "a list")
            raise ValueError(f"sample {i} is {kinds[0]} but sample 0 is {kinds[1]}: a per-sample compiled "
                             "function takes samples of one shape")  # fmt: skip
        if got != shape:
            n, n0 = _size(got), _size(shape)
            how = f"has {n} numbers but sample 0 has {n0}" if n != n0 else "nests its lists unlike sample 0"
            raise ValueError(f"sample {i} {how}: a per-sample compiled function takes samples of one shape")


def _target(names: list[str], shapes: Sequence[Any]) -> str:
    """The loop's target for one sample: a name for a number argument, a parenthesized group for a list."""
    parts, k = [], 0
    for shape in shapes:
        n = _size(shape)
        group, k = names[k:k + n], k + n
        parts.append(group[0] if shape is None else f"({_tuple(group)})" if group else "[]")
    return _tuple(parts)


def _trace(fn: Callable[..., Any], shapes: Sequence[Any]) -> tuple[Places, Any]:
    """Run fn once on input Values of these shapes, refusing any look at a number (see _refuse): (the inputs
    with their places, fn's result)."""
    inputs: Places = []
    args = [_inputs(s, (i,), inputs) for i, s in enumerate(shapes)]
    token = _refusal.set(_refuse)
    try:
        with enable_grad():
            out = fn(*args)
    finally:
        _refusal.reset(token)
    return inputs, out


def _values(out: Any, what: str) -> list[Value]:
    """out as a list of Values (one Value, or a list of them); TypeError naming `what` otherwise."""
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    if not outs or not all(isinstance(o, Value) for o in outs):
        raise TypeError(f"a compiled function must return {what}, got {type(out).__name__}")
    return outs


# A dot of at least this many pairs is one `sum(map(mul, row, xs))` over tuples, not term by term: straight-line
# terms cost a third as much each (no call per pair), but MLP(784, [128, 10]) would be 100,000 of them. Measured,
# a digits-sized step (MLP(64, [32, 10]), 32 samples): 9.65 ms with the 65-wide rows as tuples, 5.31 ms as terms.
WIDE = 128


class _Vector:
    """One side of a wide dot, as a tuple in the program: its entries, its name, and how its gradient is kept.

    grad is "none" (no entry needs a gradient: inputs and constants), "vector" (every entry that needs one is
    used by dots over this same tuple and nothing else: one list of gradients, remade by each dot) or "scalar"
    (each entry's gradient is its own variable, one line per entry). A vector of parameters only, with a vector
    gradient, reaches the program as one tuple (`packed`): a layer's rows never become 100,000 names. Any other
    vector of parameters and constants only is `static`: built once, before the loop over the samples.
    """

    __slots__ = ("entries", "name", "g_name", "grad", "packed", "static", "users")

    def __init__(self, entries: tuple) -> None:
        self.entries, self.name, self.g_name, self.grad, self.users = entries, "", "", "none", 0
        self.packed = self.static = False


class _Writer:
    """The statements of one traced graph: a name for every number, the forward pass, the backward pass."""

    def __init__(self, roots: list[Value], places: Places, names: dict[Value, str]) -> None:
        inputs = [v for v, _ in places]
        self.order = topological_order(roots, cut=False)
        interior, given = set(self.order), set(inputs)
        leaves = [a for node in self.order for a in node._args if type(a) is not float and a not in interior]
        leaves += [r for r in roots if r._fn is None]
        rank = {v: i for i, v in enumerate(names)}  # the caller's order (named_parameters'), then the graph's
        self.params = sorted((p for p in dict.fromkeys(leaves) if p not in given), key=lambda p: rank.get(p, len(rank)))
        self.inputs, self.given = inputs, given
        self.taken = {"div", "pow", "abs", "inf", "nan", "isfinite", "params", "batch", "seed", "total", "outputs",
                      "sample", "parts", "sum", "map", "all", "zip", "s", "v", "mul", "list", *_FUNCTIONS}  # fmt: skip
        self.name: dict[Value, str] = {}
        for v, (argument, *index) in places:  # arg0[3] is x3, arg1[0] is y0...: one letter per argument
            letter = "xyzuvw"[argument] if argument < 6 else f"a{argument}_"
            self.name[v] = self._fresh(letter + "_".join(map(str, index)))
        self.module: dict[Value, str] = {}
        self.vectors, self.sides = self._wide_dots(given)
        self.layers, self.in_layer = self._layers()
        self.finite = self._fresh("finite") if self.layers else ""
        for i, p in enumerate(self.params):
            full = names.get(p, "")
            self.module[p] = _module_of(full)
            if p not in self.packed_in:
                self.name[p] = self._fresh(identifier(_short(full) or p.label, f"p{i}") if full or p.label else f"p{i}")
        counts: dict[str, int] = {}
        for node in self.order:
            op = _op_text(node)
            kind = identifier(node.label, "v") if node.label else _KINDS.get(op, identifier(op, "v"))
            counts[kind] = counts.get(kind, -1) + 1
            self.name[node] = self._fresh(f"{kind}{counts[kind]}")
        self.grad = {v: self._fresh(f"g_{n}") for v, n in self.name.items() if v not in given}
        for vector in self.vectors.values():
            vector.name = self._fresh(self._vector_name(vector))
            vector.g_name = self._fresh(f"g_{vector.name}")
        self.calls: dict[str, Any] = {}  # the ops' own functions, where a rule needs numbers to run
        self.pending: dict[Value, list[Any]] = {}  # a pulled relu's shares so far (see _pulled)
        self._call_names: dict[tuple[type[Function], str], str] = {}

    def _wide_dots(self, given: set[Value]) -> tuple[dict[tuple, _Vector], dict[Value, tuple[_Vector, _Vector]]]:
        """The tuples the wide dots read, each once however many dots read it, and each wide dot's two sides."""
        vectors: dict[tuple, _Vector] = {}
        sides: dict[Value, tuple[_Vector, _Vector]] = {}
        for node in self.order:
            if node._fn is Dot and len(node._args) >= 2 * WIDE:
                n = len(node._args) // 2
                pair = [vectors.setdefault(half, _Vector(half)) for half in (node._args[:n], node._args[n:])]
                sides[node] = (pair[0], pair[1])
        uses: dict[Value, int] = {}
        for node in self.order:
            for a in node._args:
                if type(a) is not float:
                    uses[a] = uses.get(a, 0) + 1
        reads: dict[Value, int] = {}  # how often the wide dots read each entry through its vector
        for a, b in sides.values():
            for vector in (a, b):
                for e in vector.entries:
                    if type(e) is not float:
                        reads[e] = reads.get(e, 0) + 1
        holders: dict[Value, int] = {}  # how many vectors hold each entry (the same nodes in another order: two)
        for vector in vectors.values():
            for e in set(vector.entries):
                if type(e) is not float:
                    holders[e] = holders.get(e, 0) + 1
        params = set(self.params)
        for vector in vectors.values():
            graded = [e for e in vector.entries if type(e) is not float and e not in given]
            every_param = all(type(e) is not float and e in params for e in vector.entries)
            if graded:
                # a list of gradients: the entries are read by these dots alone, through this vector only, once
                # each, and are all interior nodes (one list per sample) or all parameters (one for the batch)
                alone = len(set(vector.entries)) == len(vector.entries) and all(
                    uses[e] == reads[e] and holders[e] == 1 for e in graded)
                kind = every_param or all(e._fn is not None for e in graded)
                vector.grad = "vector" if alone and kind else "scalar"
            vector.packed = vector.grad == "vector" and every_param
            vector.static = not vector.packed and all(
                type(e) is float or (e._fn is None and e not in given) for e in vector.entries)
        self.packed_in = {p: v for v in vectors.values() if v.packed for p in v.entries}  # parameter -> its vector
        return vectors, sides

    def _layers(self) -> tuple[dict[Value, list[Value]], set[Value]]:
        """Narrow dots that read one same tuple of inputs, some of them made by a relu, each with parameters (or
        finite constants) on its other side: a layer's neurons, which _layer_forward writes input by input.
        ({the first of each layer in order: its dots}, every dot of them)."""
        params = set(self.params)
        layers: dict[tuple, list[Value]] = {}
        for node in self.order:
            if node._fn is Dot and node not in self.sides:
                n = len(node._args) // 2
                weights, xs = node._args[:n], node._args[n:]
                if (any(_made_by_relu(x) for x in xs)
                        and all(w in params if type(w) is not float else math.isfinite(w) for w in weights)):
                    layers.setdefault(xs, []).append(node)
        groups = {dots[0]: dots for dots in layers.values() if len(dots) > 1}
        return groups, {d for dots in groups.values() for d in dots}

    def _layer_forward(self, dots: list[Value]) -> list[str]:
        """A layer's dots, input by input: each sum starts at 0 and adds w · x for its inputs x in order, as the
        engine's sum() does, but the block of an input a relu made 0 is skipped. That is exact: s + 0 · w is s
        for a finite w (`finite` checks every weight once per call), and s is never -0.0 (it starts at +0.0).
        With about half the relus off, this halves the work of a hidden layer."""
        n, names = len(dots[0]._args) // 2, [self.name[d] for d in dots]
        owners = [*self._owners(dots[0])[:1], *self._owners(dots[-1])[-1:]]
        where = f"{' ... '.join(owners)}: " if owners else ""
        lines = [f"# {where}{len(dots)} dots of the same inputs, input by input", f"{' = '.join(names)} = 0.0"]
        syms = [self._syms(d) for d in dots]
        for i, x in enumerate(dots[0]._args[n:]):
            adds = [f"{name} += {_operand(s[i] * s[n + i], CONDITION)}" for name, s in zip(names, syms)]
            if _made_by_relu(x):
                note = f"skipped when {self.name[x]} is 0: 0 · w adds nothing"
                lines += [f"if {self.name[x]} or not {self.finite}:  # {note}", *["    " + line for line in adds]]
            else:
                lines += adds
        return lines

    def _vector_name(self, vector: _Vector) -> str:
        first = vector.entries[0]
        if vector.packed:  # a neuron's weights and bias: l0_n3_row for layers.0.neurons.3
            if len({self.module.get(e) for e in vector.entries}) > 1:  # several modules' (an L2 penalty's dot)
                return "all_params"
            return identifier(_short(self.module[first]) + "_row", "row") if self.module.get(first) else "row"
        return "xs" if all(type(e) is float or e in self.given for e in vector.entries) else "hs"

    def reference(self, v: Value) -> str:
        """v as the program reads it: its name, or its place in the packed tuple that holds it."""
        if v in self.name:
            return self.name[v]
        vector = self.packed_in[v]
        return f"{vector.name}[{vector.entries.index(v)}]"

    def layout(self) -> list[Any]:
        """The parameters as the program takes them: each a number, or one tuple for a packed vector."""
        out: list[Any] = []
        for p in self.params:
            vector = self.packed_in.get(p)
            if vector is None:
                out.append(p)
            elif vector.entries[0] is p:
                out.append(vector.entries)
        return out

    def _fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.add(name)
        return name

    def _code(self, a: Any) -> str:
        return _operand(a if type(a) is float else Sym(self.name[a]), CONDITION)

    def _syms(self, node: Value) -> list[Any]:
        return [a if type(a) is float else Sym(self.name[a]) for a in node._args]

    def _owners(self, node: Value) -> list[str]:
        """The modules whose parameters node reads (layers.0.neurons.3...), in order."""
        parents = [e for v in self.sides[node] for e in v.entries] if node in self.sides else node.parents
        return [m for m in dict.fromkeys(self.module.get(a, "") for a in parents) if m]

    def _comment(self, node: Value) -> str:
        owners = self._owners(node)
        if len(owners) > 3:  # a penalty over the whole model: its first and last module, not a line of 30
            owners = [f"{owners[0]} ... {owners[-1]} ({len(owners)} modules)"]
        op = _op_text(node)  # an op's name is its author's text: see _op_text
        return f"  # {', '.join(owners)}: {op}" if owners else f"  # {op}"

    def _function(self, fn: type[Function], which: str) -> str:
        """The program's name for fn's forward or backward, called as it is (a name no number has)."""
        if (fn, which) not in self._call_names:
            name = self._fresh(identifier(f"{fn.__name__}_{which}", "op"))
            self._call_names[fn, which] = name
            self.calls[name] = getattr(fn, which)
        return self._call_names[fn, which]

    def before_loop(self, grads: bool) -> list[str]:
        """The tuples of parameters the wide dots read (the packed ones arrive as tuples), and their gradients."""
        lines = []
        if self.layers:  # (the weights of the layers written input by input: see _layer_forward)
            weights = [w for dots in self.layers.values() for d in dots for w in d._args[:len(d._args) // 2]]
            names = _tuple([self.reference(w) for w in dict.fromkeys(weights) if type(w) is not float])
            lines.append(f"{self.finite} = all(map(isfinite, ({names})))  # no weight is inf or nan: 0 · w is 0")
        for v in self.vectors.values():
            if v.static:
                lines.append(f"{v.name} = ({_tuple([self._code(e) for e in v.entries])})")
            if v.packed and grads:
                lines.append(f"{v.g_name} = [0.0] * {len(v.entries)}")
        return lines

    def forward(self) -> list[str]:
        lines, built = [], set()
        for node in self.order:
            if node in self.in_layer:
                lines += self._layer_forward(self.layers[node]) if node in self.layers else []
                continue
            if node in self.sides:
                for v in self.sides[node]:
                    if not v.packed and not v.static and v not in built:  # one sample's tuple, built once
                        built.add(v)
                        lines.append(f"{v.name} = ({_tuple([self._code(e) for e in v.entries])})")
                a, b = self.sides[node]
                lines.append(f"{self.name[node]} = sum(map(mul, {a.name}, {b.name})){self._comment(node)}")
                continue
            args = self._syms(node)
            try:
                code = _operand(node._fn.forward(*args), CONDITION)
            except (TypeError, ValueError, AttributeError):  # it needs numbers (max...): call it as it is
                code = f"{self._function(node._fn, 'forward')}({', '.join(_operand(a, CONDITION) for a in args)})"
            lines.append(f"{self.name[node]} = {code}{self._comment(node)}")
        return lines

    def backward(self, root: Value, seed: str) -> list[str]:
        """The chain rule from root down: each node's gradient, then what it hands each of its arguments.

        A node's gradient variable starts as the first share it gets and adds the later ones. A block skipped
        because its gradient is 0 (as the engine skips it) sets the variables it would have started to 0.0.
        A relu's gradient is pulled instead (see _pulled): one sum of its readers' shares, in its own line. Below
        a relu's input that the rest of the pass goes through, one test can skip it all (see _cut).
        """
        under = topological_order([root], cut=False)
        defined = {self.grad[p] for p in self.params if p in self.grad}  # the batch's sums, set before the loop
        self.pending = {node: [] for node in self._pulled(under)}
        lines = []
        for v in self.vectors.values():
            v.users = sum(1 for node in under if node in self.sides and v in self.sides[node])
            if v.grad == "vector" and not v.packed and v.users:
                lines.append(f"{v.g_name} = [0.0] * {len(v.entries)}")  # the engine's interior gradients start at 0
        if root in self.pending:
            self.pending[root].append(Sym(seed))
        elif root not in self.given:  # (an input as the loss: no parameter depends on it, nothing to hand on)
            lines.append(self._share(self.grad[root], seed, defined, []))
        cut = self._cut(under)
        k = cut[0] if cut else -1  # under[:k + 1]: the nodes below the test of _cut
        for node in reversed(under[k + 1:]):
            lines += self._block(node, defined)
        below = [line for node in reversed(under[:k + 1]) for line in self._block(node, defined)]
        return lines + ([cut[1], *["    " + line for line in below]] if cut and below else below)

    def _block(self, node: Value, defined: set[str]) -> list[str]:
        """The lines of one node's step of the chain rule, under a test of its gradient where that pays."""
        fn: Any = node._fn  # an interior node's: never None
        started: list[str] = []
        wide = node in self.sides
        body, costly = (self._wide_backward if wide else self._node_backward)(node, defined, started)
        if not body:
            return []
        if fn.skip_zero and (costly or len(body) >= 3) and node not in self.pending:  # worth a test: skip it
            lines = [f"if {self.grad[node]} or not isfinite({self.name[node]}):{self._comment(node)}"]  # if 0 came in
            lines += ["    " + line for line in body]
            lines += ["else:", f"    {' = '.join(started)} = 0.0"] if started else []
        else:  # (a 0 then hands on 0 · a finite derivative: 0, as skipping would)
            lines = [body[0] + self._comment(node) + self._pulled_note(node), *body[1:]]
        return lines + (self._unpack(node, defined) if wide else [])

    def _cut(self, under: list[Value]) -> tuple[int, str] | None:
        """(where, the test) to skip the rest of the backward pass at once, as the engine stops at an off relu.

        Take a relu's input d (the hinge loss's margin, say) that the rest of the pass reaches only through d:
        every node below it is read by nodes below it, or by d. If g_d is 0 (the relu was off), every op below
        skips a 0 (skip_zero) and every number below is finite, the nodes below could hand down nothing but
        zeros: one test skips them all, as each block's own test skips one. An inf or nan there runs them all,
        as before. (A relu's number is left out of the test: it hands back 0 for a 0, whatever its number.)
        """
        index = {node: i for i, node in enumerate(under)}
        fns: list[Any] = [node._fn for node in under]  # interior nodes': never None
        first_other = next((i for i, fn in enumerate(fns) if not fn.skip_zero), len(under))  # the first that runs on 0
        relu_inputs = {a for node in under if node._fn is ReLU for a in node._args}
        lowest = len(under)  # the lowest index any node above under[k] reads
        for k in reversed(range(1, len(under))):
            d = under[k]
            if k < first_other and lowest >= k and d in relu_inputs and d not in self.pending:
                numbers = _tuple([self.name[n] for n in under[:k + 1] if n._fn is not ReLU])
                note = f"skipped when 0 came to {self.name[d]} and every number below is finite: zeros all the way"
                return k, f"if {self.grad[d]} or not all(map(isfinite, ({numbers}))):  # {note}"
            lowest = min([lowest, *(index[a] for a in d._args if a in index)])
        return None

    def _pulled(self, under: list[Value]) -> set[Value]:
        """The relus whose gradient is pulled from their readers rather than pushed into a variable by each.

        Pushed, every reader of relu0 adds its share into g_relu0, and then `0.0 if dot0 <= 0.0 else g_relu0`
        throws the sum away when the relu was off. Pulled, the relu's own line is `g_dot0 = 0.0 if dot0 <= 0.0
        else (share + share + ...)`: the same shares added in the same order, only when it was on, and none
        stored. A reader that skips its block (0 came in, finite output: skip_zero) would have handed 0 times a
        finite derivative, so its share in the sum is a 0 that changes nothing but a zero's sign. Each share
        must still hold at the relu's line: not a wide dot's (a list of gradients, added to in place) nor one
        from a rule called on numbers (parts[i], overwritten by the next such call).
        """
        readers: dict[Value, list[Value]] = {node: [] for node in under if node._fn is ReLU}
        for node in under:
            for a in dict.fromkeys(a for a in node._args if type(a) is not float):
                if a in readers:
                    readers[a].append(node)
        every_reader = dict.fromkeys(r for rs in readers.values() for r in rs)  # each once: a dot reads 16 relus
        symbolic = {r: r not in self.sides and self._rule(r, Sym(self.grad[r])) is not None for r in every_reader}
        return {relu for relu, rs in readers.items() if all(symbolic[r] for r in rs)}

    def _pulled_note(self, node: Value) -> str:
        shares = len(self.pending.get(node, []))
        return f": the shares of {self.name[node]}'s {shares} readers, added only if it was on" if shares > 1 else ""

    def _incoming(self, node: Value) -> Any:
        """node's gradient as its rule reads it: its variable, or for a pulled relu the sum of its readers' shares."""
        if node not in self.pending:
            return Sym(self.grad[node])
        shares = self.pending[node]
        total = functools.reduce(operator.add, shares) if shares else 0.0  # left to right: the engine's order
        return Sym(f"({total.code})") if isinstance(total, Sym) and total.binding <= SUM else total  # easier to read

    def _rule(self, node: Value, g: Any) -> list[Any] | None:
        """g · ∂node/∂arg for each argument, written out by the op's own rule; None if the rule needs numbers."""
        fn: Any = node._fn  # an interior node's: never None
        try:
            return list(fn.backward(g, Sym(self.name[node]), *self._syms(node)))
        except (TypeError, ValueError, AttributeError):
            return None

    def _share(self, target: str, code: str, defined: set[str], started: list[str]) -> str:
        """`target += code`, or `target = code` for its first share (noted in `started`)."""
        if target in defined:
            return f"{target} += {code}"
        defined.add(target)
        started.append(target)
        return f"{target} = {code}"

    def _node_backward(self, node: Value, defined: set[str], started: list[str]) -> tuple[list[str], bool]:
        fn: Any = node._fn  # an interior node's: never None
        args, g = node._args, self._incoming(node)
        shares = self._rule(node, g)
        body: list[str] = []
        if shares is None:  # the rule needs numbers: call it on them
            numbers = ", ".join(_operand(s, CONDITION) for s in self._syms(node))
            body = [f"parts = {self._function(fn, 'backward')}({_operand(g, CONDITION)}, {self.name[node]}, {numbers})"]
            shares = [Sym(f"parts[{i}]") for i in range(len(args))]
        lines = []
        for a, share in zip(args, shares):
            if type(a) is float or a not in self.grad:
                continue
            if a in self.pending:  # a relu's, added up at its own line
                self.pending[a].append(share)
            else:
                lines.append(self._share(self.grad[a], _operand(share, CONDITION), defined, started))
        return (body + lines if lines else []), bool(body)

    def _wide_backward(self, node: Value, defined: set[str], started: list[str]) -> tuple[list[str], bool]:
        """A wide dot hands g · (the other side) to each side: as one list for a vector, else line by line."""
        g, body = self.grad[node], []
        a, b = self.sides[node]
        for side, other in ((a, b), (b, a)):
            if side.grad == "vector":
                # each entry's gradient plus its share, as one list: cheaper than list(map(add, ..., map(mul, ...)))
                body.append(f"{side.g_name} = [s + {g} * v for s, v in zip({side.g_name}, {other.name})]")
            elif side.grad == "scalar":
                for i, (e, o) in enumerate(zip(side.entries, other.entries)):
                    if type(e) is not float and e in self.grad:  # o by name, or by place in a packed row
                        o = o if type(o) is float else Sym(self.name[o] if o in self.name else f"{other.name}[{i}]")
                        share = Sym(g) * o
                        body.append(self._share(self.grad[e], _operand(share, CONDITION), defined, started))
        return body, True

    def _unpack(self, node: Value, defined: set[str]) -> list[str]:
        """After the last dot that reads a vector of interior nodes: its list of gradients, one name per entry."""
        lines = []
        for v in dict.fromkeys(self.sides[node]):
            v.users -= 1
            if v.grad == "vector" and not v.packed and v.users == 0:
                targets = [self.grad[e] if type(e) is not float and e in self.grad else "_" for e in v.entries]
                defined.update(t for t in targets if t != "_")
                lines.append(f"{', '.join(targets)} = {v.g_name}")
        return lines


def _made_by_relu(x: Any) -> bool:
    """x is the output of an op that stops at zero (a relu): often exactly 0."""
    return type(x) is not float and x._fn is not None and x._fn.stops_at_zero


_KINDS = {"+": "add", "-": "sub", "*": "mul", "/": "quot", "**": "pow"}  # op symbols as names of numbers


def _op_text(node: Value) -> str:
    """node's op name as a program may show it: "+" or "leaky_relu" as it is, anything else as an identifier.
    The name is its author's text (Function.name): no newline in it may end a comment and start a line of code,
    and the text written is the one matched, never the object (a str subclass formats as it likes)."""
    raw = node.op if isinstance(node.op, str) else ""
    matched = re.fullmatch(r"[A-Za-z0-9_+\-*/.]+", raw)
    return matched.group(0) if matched else identifier(raw, "op")


def _tuple(names: Sequence[str]) -> str:
    return f"{names[0]}," if len(names) == 1 else ", ".join(names)


def _short(name: str) -> str:
    """A dotted name made short: layers.0.neurons.3.w.1 -> l0_n3_w1 (a word before a number keeps its initial)."""
    parts = name.split(".")
    out: list[str] = []
    for i, part in enumerate(parts):
        if part.isdigit() and out:
            out[-1] += part
        else:
            out.append(part[:1] if i + 1 < len(parts) and parts[i + 1].isdigit() else part)
    return "_".join(out)


def _module_of(name: str) -> str:
    """The module part of a dotted parameter name: layers.0.neurons.3 for layers.0.neurons.3.w.1 and .b."""
    parts = re.sub(r"[^A-Za-z0-9_.]", "_", name).split(".")  # comments too hold nothing but identifiers
    if parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


class Program:
    """One traced shape, written out: `code` is its source and `run(params, batch, seed)` the function."""

    def __init__(self, code: str, run: Callable[..., Any], params: list[Any], single: bool) -> None:
        # single: the function returned one Value (its outputs, or its aux), not a list of them
        self.code, self.run, self.params, self.single = code, run, params, single


def _program(kind: str, writer: _Writer, outputs: list[Value], shapes: Sequence[Any] | None, n_aux: int = 0,
             single: bool = True) -> Program:  # fmt: skip
    """kind "grad": run() returns (Σ outputs[0] over the samples, the parameters' gradients[, the other outputs of
    each sample when n_aux]); "forward": every output of each sample. shapes: one sample's arguments' shapes
    for a loop over the samples (per_sample), None for one call on the whole of its arguments. single: the
    function returned one Value, not a list (how Compiled shapes the outputs it hands back)."""
    name, layout, vectors = writer.name, writer.layout(), writer.vectors  # a tuple in the layout: a packed vector
    lines = [f"def {kind}(params, batch, seed):"]
    if layout:
        lines.append(f"    {_tuple([vectors[p].name if type(p) is tuple else name[p] for p in layout])} = params")
    scalars = [writer.grad[p] for p in layout if type(p) is not tuple]
    if kind == "grad" and scalars:
        lines.append(f"    {' = '.join(scalars)} = 0.0")
    lines += ["    " + line for line in writer.before_loop(grads=kind == "grad")]
    lines += (["    total = 0.0"] if kind == "grad" else []) + (["    outputs = []"] if kind != "grad" or n_aux else [])
    names = [name[v] for v in writer.inputs]
    if shapes is not None:
        lines.append(f"    for {_target(names, shapes)} in batch:")
    else:
        lines.append(f"    {_tuple(names) if names else '_'} = batch")
    body = writer.forward()
    results = [writer.reference(o) for o in outputs]
    if kind == "grad":
        body += [f"total += {results[0]}"] + ([f"outputs.append(({', '.join(results[1:])},))"] if n_aux else [])
        body += writer.backward(outputs[0], "seed")
    else:
        body.append(f"outputs.append(({', '.join(results)},))")
    lines += [("        " if shapes is not None else "    ") + line for line in body]
    grads = _tuple([vectors[p].g_name if type(p) is tuple else writer.grad[p] for p in layout]) if layout else ""
    returned = f"total, ({grads})" + (", outputs" if n_aux else "") if kind == "grad" else "outputs"
    lines.append(f"    return {returned}")
    code = "\n".join(lines) + "\n"
    namespace = {"div": floats.div, "pow": floats.pow, "abs": abs, "inf": math.inf, "nan": math.nan,
                 "isfinite": math.isfinite, "mul": operator.mul,
                 **{f: getattr(floats, f) for f in _FUNCTIONS}, **writer.calls}  # fmt: skip
    exec(builtins.compile(code, f"<autograd.compile: {kind}>", "exec"), namespace)  # our own code: no user text in it
    return Program(code, namespace[kind], layout, single)


def _numbers(layout: list[Any]) -> list[Any]:
    """The parameters' numbers in the program's layout: a float for each one, a tuple for each packed vector."""
    return [p._data if type(p) is not tuple else tuple([q._data for q in p]) for p in layout]


def _add_grads(layout: list[Any], grads: Sequence[Any]) -> None:
    """Add the program's gradients into the parameters' .grad, as backward() would."""
    for p, g in zip(layout, grads):
        if type(p) is not tuple:
            p.grad += g
        else:
            for q, gq in zip(p, g):
                q.grad += gq


# --------------------------------------------------------------------------------------------------------
# The public face
# --------------------------------------------------------------------------------------------------------


class Compiled:
    """A function traced once per input shape and run as generated Python (see autograd.compile)."""

    def __init__(self, fn: Callable[..., Any], per_sample: bool, reduction: str,
                 penalty: Callable[[], Value] | None, names: dict[Value, str], has_aux: bool) -> None:  # fmt: skip
        self.fn, self.per_sample, self.reduction, self.penalty, self.names = fn, per_sample, reduction, penalty, names
        self.has_aux = has_aux
        self._programs: dict[tuple, Program] = {}
        self._penalty_program: Program | None = None

    def _get(self, kind: str, shapes: tuple) -> Program:
        key = (kind, shapes)
        if key not in self._programs:  # a new shape (or batch size, for a whole-batch function): trace again
            places, out = _trace(self.fn, shapes)
            if self.has_aux:  # (loss, aux), as jax.value_and_grad(has_aux=True): aux is one Value or a list
                if not isinstance(out, tuple) or len(out) != 2:
                    raise TypeError("with has_aux=True a compiled function must return a pair (loss, aux)")
                loss, aux = _values(out[0], "a Value (the loss)"), _values(out[1], "Values as aux")
                outputs = loss + aux if kind == "grad" else aux
            else:
                loss = outputs = _values(out, "a Value (a loss)" if kind == "grad" else "a Value or a list of Values")
            if kind == "grad" and len(loss) != 1:
                raise TypeError("a compiled function with gradients must return one Value (a loss)")
            n_aux = len(outputs) - 1 if kind == "grad" else 0
            writer = _Writer(outputs, places, self.names)
            single = isinstance(out[1] if self.has_aux else out, Value)
            self._programs[key] = _program(kind, writer, outputs, shapes if self.per_sample else None, n_aux, single)
        return self._programs[key]

    def _batch(self, args: tuple) -> tuple[tuple, list]:
        if not self.per_sample:
            return tuple(_shape(a) for a in args), _flat(args, [])
        for a in args:
            if not isinstance(a, (list, tuple)):
                raise TypeError(f"a per-sample compiled function takes a list of samples per argument, got {_kind(a)}")
        if not args or any(len(a) != len(args[0]) for a in args):
            raise ValueError("a per-sample compiled function takes one list of samples per argument, all of one length")
        if not len(args[0]):
            raise ValueError("the batch is empty: there is no sample to compute")
        shapes = tuple(_shape(a[0]) for a in args)
        return shapes, list(zip(*[_column(a, shape) for a, shape in zip(args, shapes)]))

    def __call__(self, *args: Any) -> Any:
        """The loss (the reduction of the per-sample values, plus the penalty); adds its gradient into every
        parameter's .grad, as loss.backward() would. With has_aux: (the loss, the aux values of each sample)."""
        shapes, batch = self._batch(args)
        program = self._get("grad", shapes)
        n = len(batch) if self.per_sample else 1
        scale = 1.0 / n if self.per_sample and self.reduction == "mean" else 1.0
        total, grads, *aux = program.run(_numbers(program.params), batch, scale)
        _add_grads(program.params, grads)
        loss = total * scale
        if self.penalty is not None:
            loss += self._penalty()
        return (loss, self._shaped(program, aux[0])) if self.has_aux else loss

    def _shaped(self, program: Program, rows: list[tuple]) -> Any:
        """One float per sample for one output, else a list per sample; just the first row for a whole batch."""
        values = [row[0] if program.single else list(row) for row in rows]
        return values if self.per_sample else values[0]

    def _penalty_of_parameters(self) -> Program:
        """The penalty's program (traced at the first call): its value and gradients, once per call, no loop."""
        if self._penalty_program is None:
            _, out = _trace(self.penalty, ())  # type: ignore[arg-type]
            if not isinstance(out, Value):
                raise TypeError(f"penalty() must return a Value (of the parameters), got {type(out).__name__}")
            self._penalty_program = _program("grad", _Writer([out], [], self.names), [out], None)
        return self._penalty_program

    def _penalty(self) -> float:
        program = self._penalty_of_parameters()
        total, grads = program.run(_numbers(program.params), [], 1.0)
        _add_grads(program.params, grads)
        return total

    def forward(self, *args: Any) -> Any:
        """The function's value(s), with no gradients: a float, a list of floats, or one of those per sample."""
        shapes, batch = self._batch(args)
        program = self._get("forward", shapes)
        return self._shaped(program, program.run(_numbers(program.params), batch, 1.0))

    def code(self, *args: Any, kind: str = "grad") -> str:
        """The generated program for these arguments' shapes: kind "grad" (forward and backward), "forward", or
        "penalty" (the penalty's own program, which each call runs once after the loop; no arguments needed)."""
        if kind == "penalty":
            if self.penalty is None:
                raise ValueError("this compiled function has no penalty: compile(..., penalty=...) gives one")
            return self._penalty_of_parameters().code
        own = {"grad": "grad", "forward": "forward"}.get(kind) if isinstance(kind, str) else None
        if own is None:  # (the literal, not `kind`: a str subclass equal to "grad" could format as anything)
            raise ValueError(f"kind must be 'grad', 'forward' or 'penalty', got {kind!r}")
        return self._get(own, self._batch(args)[0]).code


def compile(fn: Callable[..., Any], *, per_sample: bool = False, reduction: str = "mean",  # noqa: A001
            penalty: Callable[[], Value] | None = None, parameters: Iterable[tuple[str, Value]] | None = None,
            has_aux: bool = False) -> Compiled:  # fmt: skip
    """fn traced once per input shape, then run as straight-line Python: forward, then backward by the chain rule.

    fn takes numbers or (nested) lists of numbers and returns a Value. Calling the result returns fn's value
    and adds d fn/d parameter into every parameter's `.grad` (a parameter: a leaf Value fn reads that is not
    an input). per_sample=True: the arguments are lists over samples and fn is one sample's loss; the loop
    over the samples runs inside the generated code, and the losses are reduced ("mean" or "sum") and
    `penalty()` (a Value of the parameters only, e.g. an L2 term) is added, as one loss.backward() would.
    parameters: (name, Value) pairs, such as model.named_parameters(), to name the variables of the program.
    has_aux=True (jax.value_and_grad's name): fn returns (loss, aux), aux a Value or a list of them (a model's
    outputs), and a call returns (loss, aux's numbers for each sample) from the same pass.
    A function that looks at a number while it is traced (a comparison, float(), .data), computes under
    no_grad() or calls backward()/grad() is refused with autograd.TracingError: the program could not follow
    the branch. The program keeps the parameter Values the trace met: their .data may change between calls,
    but a parameter replaced by a new Value needs a new compile().
    """
    if not callable(fn):
        raise TypeError(f"compile() takes a function, got {type(fn).__name__}")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if penalty is not None and not callable(penalty):
        raise TypeError(f"penalty must be a function of no arguments returning a Value, got {type(penalty).__name__}")
    return Compiled(fn, bool(per_sample), reduction, penalty, _names(parameters), bool(has_aux))


def _names(parameters: Iterable[tuple[str, Value]] | None) -> dict[Value, str]:
    """{Value: name} from compile()'s parameters=, checked: (name, Value) pairs, as model.named_parameters()."""
    try:
        pairs: list[tuple[Any, ...]] = [] if parameters is None else [tuple(pair) for pair in parameters]
    except TypeError:  # not iterable, or pairs that are not (a list of Values, say)
        pairs = [()]
    if not all(len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], Value) for p in pairs):
        raise TypeError("parameters must be (name, Value) pairs, such as model.named_parameters(), got "
                        f"{type(parameters).__name__}")  # fmt: skip
    return {value: str(name) for name, value in pairs}

