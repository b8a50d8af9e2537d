"""autograd.compile: trace a function once, then run it as generated straight-line Python, forward and backward.

The eager engine builds a graph of Value objects on every call and walks it back. When the graph has the same
shape every time (a network's loss on one sample), that work can be done once: trace the function into a
graph, then write a Python program that does the same arithmetic on plain floats, one statement per
operation: the forward pass, then the chain rule backwards, line by line. Each statement comes from the op's
own Function, whose forward and backward run here on symbols that print themselves as code, so the compiler
has no table of derivatives of its own. `print(compiled.code)` shows the program.

    >>> step = autograd.compile(lambda x, y: (model(x) - y) ** 2, per_sample=True)
    >>> loss = step(X, Y)            # the mean over the batch; every parameter's .grad gets d loss/d parameter
"""

from __future__ import annotations

import itertools
import math
import re
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from autograd import floats
from autograd.engine import topological_order
from autograd.mode import _mode, enable_grad
from autograd.value import Function, Value

ATOM, POWER, UNARY, PRODUCT, SUM, COMPARISON, CONDITION = 7, 6, 5, 4, 3, 2, 1  # Python's binding strengths


class Sym:
    """A number not known yet: arithmetic on it returns the source code of that arithmetic, as a new Sym."""

    __slots__ = ("code", "binding")

    def __init__(self, code: str, binding: int = ATOM) -> None:
        self.code, self.binding = code, binding

    def __repr__(self) -> str:
        return f"Sym({self.code!r})"

    def __bool__(self) -> bool:  # an `if` on a symbol: the op is called as it is instead (see _statement)
        raise TypeError("a symbol has no truth value while the program is written")

    def __float__(self) -> float:
        raise TypeError("a symbol has no number while the program is written")

    def __add__(self, other: Any) -> Sym:
        return _binary(self, "+", other, SUM)

    def __radd__(self, other: Any) -> Sym:
        return _binary(other, "+", self, SUM)

    def __sub__(self, other: Any) -> Sym:
        return _binary(self, "-", other, SUM)

    def __rsub__(self, other: Any) -> Sym:
        return _binary(other, "-", self, SUM)

    def __mul__(self, other: Any) -> Sym:
        return _binary(self, "*", other, PRODUCT)

    def __rmul__(self, other: Any) -> Sym:
        return _binary(other, "*", self, PRODUCT)

    def __truediv__(self, other: Any) -> Sym:
        return _call("div", self, other)  # Python's / raises at 0; div gives inf and nan, as PyTorch

    def __rtruediv__(self, other: Any) -> Sym:
        return _call("div", other, self)

    def __pow__(self, other: Any) -> Sym:
        return _call("pow", self, other)

    def __rpow__(self, other: Any) -> Sym:
        return _call("pow", other, self)

    def __neg__(self) -> Sym:
        return Sym("-" + _operand(self, UNARY), UNARY)

    def __abs__(self) -> Sym:
        return _call("abs", self)

    def __lt__(self, other: Any) -> Sym:
        return _binary(self, "<", other, COMPARISON)

    def __le__(self, other: Any) -> Sym:
        return _binary(self, "<=", other, COMPARISON)

    def __gt__(self, other: Any) -> Sym:
        return _binary(self, ">", other, COMPARISON)

    def __ge__(self, other: Any) -> Sym:
        return _binary(self, ">=", other, COMPARISON)

    def equal(self, other: Any) -> Sym:
        return _binary(self, "==", other, COMPARISON)

    def where(self, a: Any, b: Any) -> Sym:
        """a if self else b, the condition written out."""
        code = f"{_operand(a, CONDITION + 1)} if {_operand(self, CONDITION + 1)} else {_operand(b, CONDITION)}"
        return Sym(code, CONDITION)

    def __getattr__(self, name: str) -> Callable[[], Sym]:
        if name in _FUNCTIONS:  # x.exp(), x.log()...: what autograd.floats calls on anything not a float
            return lambda: _call(name, self)
        raise AttributeError(name)


_FUNCTIONS = ("exp", "expm1", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid")


def _operand(x: Any, binding: int) -> str:
    """x's code, in parentheses when it binds more loosely than `binding` asks."""
    if isinstance(x, Sym):
        return x.code if x.binding >= binding else f"({x.code})"
    if type(x) is bool:
        return repr(x)
    x = float(x)
    code = repr(x)  # inf and nan are names in the program's namespace
    return code if x >= 0 or binding <= UNARY else f"({code})"


def _binary(a: Any, op: str, b: Any, binding: int) -> Sym:
    # The right side binds one step tighter: a - (b - c) keeps its parentheses, and so does a + (b + c),
    # because floating-point addition is not associative: the program must add in the traced order.
    return Sym(f"{_operand(a, binding)} {op} {_operand(b, binding + 1)}", binding)


def _call(name: str, *args: Any) -> Sym:
    return Sym(f"{name}({', '.join(_operand(a, CONDITION) for a in args)})")


# --------------------------------------------------------------------------------------------------------
# Tracing: run the function once on Values, and refuse what the program could not follow
# --------------------------------------------------------------------------------------------------------


class TracingError(TypeError):
    """The traced function looked at a number (a comparison, float(), .data): the program cannot follow it."""


def _refuse(what: str) -> None:
    frames = [f for f in traceback.extract_stack() if "/autograd/" not in f.filename.replace("\\", "/")]
    where = f"{frames[-1].filename}, line {frames[-1].lineno}: {frames[-1].line}" if frames else "?"
    raise TracingError(
        f"autograd.compile: the function {what} while it was traced ({where}). The compiled program repeats "
        "the traced operations, so it cannot take a branch that depends on a number; write it with ops "
        "(relu, abs, where-like Functions) or run it eagerly"
    )


def _shape(x: Any) -> Any:
    """The nesting of x: None for a number, a tuple of the entries' shapes for a list."""
    if isinstance(x, (list, tuple)):
        return tuple(_shape(e) for e in x)
    if isinstance(x, bool) or not isinstance(x, (int, float)) and not hasattr(x, "__float__"):
        raise TypeError(f"compiled functions take numbers and lists of numbers, got {type(x).__name__}")
    return None


def _leaves(shape: Any, name: str, out: list[Value]) -> Any:
    """Input Values in the given shape, labelled x[0][2]..., appended to `out` in order."""
    if shape is None:
        v = Value(0.0, name)
        out.append(v)
        return v
    return [_leaves(s, f"{name}[{i}]", out) for i, s in enumerate(shape)]


def _flatten(x: Any, out: list[float]) -> list[float]:
    if isinstance(x, (list, tuple)):
        for e in x:
            _flatten(e, out)
    else:
        out.append(float(x))
    return out


def _trace(fn: Callable[..., Any], shapes: tuple, names: Sequence[str]) -> tuple[list[Value], Any]:
    inputs: list[Value] = []
    args = [_leaves(s, n, inputs) for s, n in zip(shapes, names)]
    previous = _mode.tracing
    _mode.tracing = True
    try:
        with enable_grad():
            out = fn(*args)
    finally:
        _mode.tracing = previous
    return inputs, out


# --------------------------------------------------------------------------------------------------------
# Writing the program
# --------------------------------------------------------------------------------------------------------


def identifier(text: str, fallback: str) -> str:
    """text made into a Python identifier (a user's label never becomes code: only letters, digits and _)."""
    name = re.sub(r"\W", "_", text, flags=re.ASCII).strip("_")
    name = re.sub(r"_+", "_", name)
    if not name or name[0].isdigit():
        name = f"{fallback}_{name}" if name else fallback
    return name


class _Writer:
    """The statements of one traced graph: forward, then backward, with a name for every number."""

    def __init__(self, roots: Sequence[Value], inputs: Sequence[Value], names: dict[Value, str]) -> None:
        self.order = topological_order(roots, cut=False)
        interior = set(self.order)
        self.inputs = list(inputs)
        self.params = list(dict.fromkeys(a for n in self.order for a in n._args
                                         if type(a) is not float and a not in interior
                                         and a not in set(inputs)))  # fmt: skip
        self.params += [r for r in roots if r._fn is None and r not in self.params and r not in set(inputs)]
        taken: set[str] = {"div", "pow", "abs", "inf", "nan", "isfinite", "params", "batch", "seed", "total"}
        taken |= set(_FUNCTIONS)
        self.name: dict[Value, str] = {}
        counter = itertools.count()
        for i, v in enumerate(self.inputs):
            self.name[v] = self._fresh(f"x{i}", taken)
        for p in self.params:
            self.name[p] = self._fresh(identifier(names.get(p) or p.label, "p"), taken)
        for node in self.order:
            base = identifier(node.label, "") if node.label else identifier(node.op, "") or "v"
            base = {"": "v"}.get(base, base)
            self.name[node] = self._fresh(f"{_OP_NAMES.get(node.op, base)}{next(counter)}", taken)
        self.grad_name = {v: self._fresh(f"g_{n}", taken) for v, n in self.name.items()}
        self.calls: dict[str, Any] = {}  # functions the program calls by name: ops that cannot be written out
        self.module_of = {p: names[p].rsplit(".", 2)[0] for p in self.params if "." in names.get(p, "")}

    @staticmethod
    def _fresh(base: str, taken: set[str]) -> str:
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        return name

    def _sym(self, a: Any) -> Any:
        return a if type(a) is float else Sym(self.name[a])

    def _comment(self, node: Value) -> str:
        owners = dict.fromkeys(self.module_of[a] for a in node._args if a in self.module_of)
        where = f"{', '.join(owners)}: " if owners else ""
        return f"  # {where}{node.op}"

    def forward(self) -> list[str]:
        lines = []
        for node in self.order:
            fn, args = node._fn, [self._sym(a) for a in node._args]
            try:
                code = _operand(fn.forward(*args), CONDITION)
            except (TypeError, ValueError, AttributeError):  # it needs numbers (max, math...): call it as it is
                code = f"{self._function(fn, 'forward')}({', '.join(_operand(a, CONDITION) for a in args)})"
            lines.append(f"{self.name[node]} = {code}{self._comment(node)}")
        return lines

    def _function(self, fn: type[Function], which: str) -> str:
        name = identifier(f"{fn.__name__}_{which}", "op")
        self.calls[name] = getattr(fn, which)
        return name

    def backward(self, root: Value, seed: str) -> list[str]:
        """The chain rule from root down: each node's gradient, then what it hands each of its arguments."""
        g = self.grad_name
        lines = [f"{' = '.join(g[n] for n in self.order if n is not root)} = 0.0"] if len(self.order) > 1 else []
        lines.append(f"{g[root]} = {seed}")
        for node in reversed(self.order):
            fn, args = node._fn, node._args
            syms = [self._sym(a) for a in args]
            try:
                contributions = list(fn.backward(Sym(g[node]), Sym(self.name[node]), *syms))
                codes = [None if type(a) is float else _operand(c, CONDITION) for a, c in zip(args, contributions)]
                prelude: list[str] = []
            except (TypeError, ValueError, AttributeError):
                call = f"{self._function(fn, 'backward')}({g[node]}, {self.name[node]}, "
                prelude = [f"b = {call}{', '.join(_operand(s, CONDITION) for s in syms)})"]
                codes = [None if type(a) is float else f"b[{i}]" for i, a in enumerate(args)]
            body = prelude + [f"{g[a]} += {c}" for a, c in zip(args, codes) if c is not None]
            if not body:
                continue
            if fn.skip_zero:  # as the engine: a 0 gradient through finite derivatives hands 0 to everything
                lines.append(f"if {g[node]} != 0.0 or not isfinite({self.name[node]}):{self._comment(node)}")
                lines += ["    " + line for line in body]
            else:
                lines += [f"{body[0]}{self._comment(node)}", *body[1:]]
        return lines


_OP_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div_", "**": "pow_"}


def _namespace(calls: dict[str, Any]) -> dict[str, Any]:
    functions = {name: getattr(floats, name) for name in _FUNCTIONS}
    return {"div": floats.div, "pow": floats.pow, "abs": abs, "inf": math.inf, "nan": math.nan,
            "isfinite": math.isfinite, **functions, **calls}  # fmt: skip


class Program:
    """One traced shape, written out: `code` is its source, `run` the compiled function."""

    def __init__(self, code: str, run: Callable[..., Any], params: list[Value], n_inputs: int) -> None:
        self.code, self.run, self.params, self.n_inputs = code, run, params, n_inputs


def _build(kind: str, writer: _Writer, root: Any, per_sample: bool) -> Program:
    """kind 'grad': returns (total of root, gradients of the parameters); 'forward': the outputs."""
    p, x = writer.params, writer.inputs
    lines = [f"def {kind}(params, batch, seed):"]
    if p:
        lines.append(f"    {', '.join(writer.name[v] for v in p)}, = params")
    if kind == "grad" and p:
        lines.append(f"    {' = '.join(writer.grad_name[v] for v in p)} = 0.0")
    lines.append("    total = 0.0" if kind == "grad" else "    outputs = []")
    unpack = f"{', '.join(writer.name[v] for v in x)}," if x else "_"
    indent = "        " if per_sample else "    "
    lines.append(f"    for {unpack} in batch:" if per_sample else f"    {unpack} = batch")
    body = writer.forward()
    roots = root if isinstance(root, list) else [root]
    result = ", ".join(writer.name[r] if r in writer.name else repr(r.data) for r in roots)
    if kind == "grad":
        body.append(f"total += {writer.name[root]}")
        body += writer.backward(root, "seed")
    else:
        body.append(f"outputs.append(({result},))")
    lines += [indent + line for line in body]
    if kind == "grad":
        lines.append(f"    return total, ({''.join(writer.grad_name[v] + ', ' for v in p)})")
    else:
        lines.append("    return outputs")
    code = "\n".join(lines) + "\n"
    namespace = _namespace(writer.calls)
    exec(compile(code, f"<autograd.compile {kind}>", "exec"), namespace)  # noqa: S102 - our own code
    return Program(code, namespace[kind], p, len(x))
