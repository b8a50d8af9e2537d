"""Values and the operations that make them: the op API and the op table first, then the Value node.

An operation is a `Function`: its forward (the result, from the inputs' numbers) and its backward (each input's
share g · ∂out/∂input of the incoming gradient g: one step of the chain rule), side by side, written once in
plain arithmetic and autograd.floats. So one rule runs on floats (a backward pass), on Values (create_graph=True:
gradients with graphs, for any order) and on the compiler's symbols (autograd.compile writes it as source).
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from typing import Any, ClassVar

from autograd.engine import backpropagate, backpropagate_into_grad, reachable
from autograd.floats import cos, div, equal, exp, expm1, log, log1p, pow, sigmoid, sin, sqrt, tanh, where
from autograd.mode import _refusal, _switches, enable_grad

Number = int | float
_new = object.__new__  # a node made without __init__ (see _node)


class Function:
    """An operation on scalars, defined by its forward and its local derivatives (as torch.autograd.Function).

    Subclass it with two static methods, then call `YourOp.apply(...)` on Values and plain numbers:

        forward(*args) -> out              the result, from the arguments' numbers
        backward(g, out, *args) -> tuple   g · ∂out/∂arg for each argument, in order

    Plain numbers among the arguments are constants: both methods get them as floats, and backward's entry
    for them is ignored. Write both with + - * / ** and autograd.floats (exp, log, where...), not `math`, so
    that backward also runs on Values (higher order). `out` is the result: exp's rule is g · out.
    """

    name: ClassVar[str] = ""  # as graphs show it; the class name in lower case when left empty
    # Every ∂out/∂arg is finite where out is: an incoming 0 then hands 0 to all (not log, sqrt: 0 · inf = nan).
    skip_zero: ClassVar[bool] = False
    # Hands back exactly 0 whatever arrives when out == 0 (a relu that was off): backward goes no further down.
    stops_at_zero: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = cls.__name__.lower()

    forward: Callable[..., Any]  # (*args) -> out
    backward: Callable[..., Sequence[Any]]  # (g, out, *args) -> g · ∂out/∂arg for each arg

    @classmethod
    def apply(cls, *args: Value | Number) -> Value:
        """The node out = forward(args), which remembers its function and arguments for backward."""
        args, numbers = _arguments(cls.name, args)
        out = cls.forward(*numbers)
        if type(out) is not float:  # a user's forward may return an int, or something that is not a number
            out = _constant(out, f"{cls.__name__}.forward() result")
        return _node(cls, args, numbers, out)


def _arguments(name: str, args: tuple) -> tuple[tuple, list[float]]:
    """The arguments as a node keeps them (Values as they are, numbers as floats: constants), and their numbers."""
    try:  # reading the numbers is the check: of Values only (a layer's weights), without a test per entry
        if args and type(args[0]) is not float:
            return args, [a._data for a in args]
    except AttributeError:
        pass
    try:  # Values and floats (the inputs of a first layer: all floats)
        return args, [a if type(a) is float else a._data for a in args]
    except AttributeError:  # an int, a NumPy number, or something that is neither a Value nor a number
        for a in args:
            if not isinstance(a, Value) and not _is_number(a):
                raise TypeError(f"{name}() takes Values or numbers, got {type(a).__name__}: {a!r}") from None
        return _arguments(name, tuple(a if isinstance(a, Value) else float(a) for a in args))


def _node(fn: type[Function], args: tuple, numbers: Sequence[float], data: float) -> Value:
    """The node of data = fn.forward(*numbers), which keeps fn, args and numbers (a leaf under no_grad)."""
    out = _new(Value)  # not Value(data): data is a float already, and __init__'s checks cost as much as the rest
    out._data, out.grad, out.label = data, 0.0, ""
    grad_enabled, anomaly = _switches.get()  # this thread's switches, in one read
    out._fn, out._args, out._saved = fn, args, numbers  # (three stores: a tuple to unpack cost the demo step 2M)
    if not grad_enabled:  # a leaf, its number fixed: autograd.compile's program could not recompute it
        if refuse := _refusal.get():
            refuse("computed a Value under no_grad()")
        out._fn, out._args, out._saved = None, (), ()
    if anomaly and not math.isfinite(data):
        inputs = ", ".join(repr(a if type(a) is float else a._data) for a in args)
        raise FloatingPointError(f"detect_anomaly: {fn.name!r} returned {data} from inputs ({inputs})")
    return out


def _is_number(x: object) -> bool:
    """A plain real number usable as a constant: int, float (or NumPy's), but never bool."""
    return type(x) is float or type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool))


# ---- The op table: each op's forward, then g · ∂out/∂arg for each of its arguments (one chain-rule step) ----


def _op(class_name: str, doc: str, forward: Any, backward: Any, name: str = "", skip_zero: bool = False,
        stops_at_zero: bool = False) -> Any:  # fmt: skip
    """The Function subclass with these two rules (and flags, see Function): what each entry below makes."""
    rules = {"forward": staticmethod(forward), "backward": staticmethod(backward), "__doc__": doc}
    flags = {"name": name or class_name.lower(), "skip_zero": skip_zero, "stops_at_zero": stops_at_zero}
    return type(class_name, (Function,), {**rules, **flags})


# fmt: off
Add = _op("Add", "a + b;  ∂/∂a = 1, ∂/∂b = 1", name="+", skip_zero=True,
          forward=lambda a, b: a + b, backward=lambda g, out, a, b: (g, g))
Sub = _op("Sub", "a - b;  ∂/∂a = 1, ∂/∂b = -1", name="-", skip_zero=True,
          forward=lambda a, b: a - b, backward=lambda g, out, a, b: (g, -g))
Mul = _op("Mul", "a · b;  ∂/∂a = b, ∂/∂b = a", name="*", skip_zero=True,
          forward=lambda a, b: a * b, backward=lambda g, out, a, b: (g * b, g * a))
Div = _op("Div", "a / b;  ∂/∂a = 1/b, ∂/∂b = -a/b² = -out/b", name="/",
          forward=div, backward=lambda g, out, a, b: (div(g, b), -g * div(out, b)))
ScalarDiv = _op("ScalarDiv", "c / x for a plain number c, as c · (1/x) like PyTorch;  ∂/∂x = -c/x²", name="/",
          forward=lambda c, x: c * div(1.0, x),
          backward=lambda g, out, c, x: (0.0, -(g * c) * (div(1.0, x) * div(1.0, x))))
PowScalar = _op("PowScalar", "x ** c for a plain number c;  ∂/∂x = c·x^(c-1), exactly 0 when c = 0", name="**",
          forward=lambda x, c: pow_scalar(x, c),
          backward=lambda g, out, x, c: (0.0 if c == 0 else g * (c * pow_scalar(x, c - 1.0)), 0.0))
Pow = _op("Pow", "a ** b;  ∂/∂a = b·a^(b-1) (0 when b = 0),  ∂/∂b = out·ln a (0 when a = 0 and b >= 0), as PyTorch",
          name="**", forward=pow,
          backward=lambda g, out, a, b: (g * where(equal(b, 0.0), 0.0, b * pow(a, b - 1.0)),
                                         g * where(equal(a, 0.0), where(b >= 0.0, 0.0, out * log(a)), out * log(a))))
Neg = _op("Neg", "-x;  ∂/∂x = -1", skip_zero=True,
          forward=lambda x: -x, backward=lambda g, out, x: (-g,))
Abs = _op("Abs", "|x|;  ∂/∂x = sign(x): 1, -1, or 0 at 0 (and at nan) as in PyTorch", skip_zero=True,
          forward=lambda x: abs(x), backward=lambda g, out, x: (g * where(x > 0.0, 1.0, where(x < 0.0, -1.0, 0.0)),))
Exp = _op("Exp", "e^x;  ∂/∂x = e^x = out", skip_zero=True,
          forward=exp, backward=lambda g, out, x: (g * out,))
Log = _op("Log", "ln x;  ∂/∂x = 1/x. log(0) = -inf, log(negative) = nan",
          forward=log, backward=lambda g, out, x: (div(g, x),))
Log1p = _op("Log1p", "ln(1 + x), exact for tiny x;  ∂/∂x = 1/(1 + x)",
          forward=log1p, backward=lambda g, out, x: (div(g, x + 1.0),))
Sqrt = _op("Sqrt", "√x;  ∂/∂x = 1/(2√x)",
          forward=sqrt, backward=lambda g, out, x: (div(g, 2.0 * out),))
Sin = _op("Sin", "sin x;  ∂/∂x = cos x", skip_zero=True,
          forward=sin, backward=lambda g, out, x: (g * cos(x),))
Cos = _op("Cos", "cos x;  ∂/∂x = -sin x", skip_zero=True,
          forward=cos, backward=lambda g, out, x: (g * -sin(x),))
Tanh = _op("Tanh", "tanh x;  ∂/∂x = 1 - tanh² x", skip_zero=True,
          forward=tanh, backward=lambda g, out, x: (g * (1.0 - out * out),))
Sigmoid = _op("Sigmoid", "σ(x) = 1/(1 + e^-x), stable for large |x|;  ∂/∂x = σ(x)(1 - σ(x))", skip_zero=True,
          forward=sigmoid, backward=lambda g, out, x: (g * (1.0 - out) * out,))
Softplus = _op("Softplus", "ln(1 + e^x), x itself above 20 as in PyTorch;  ∂/∂x = σ(x)", skip_zero=True,
          forward=lambda x: where(x > 20.0, x, log1p(exp(x))),
          backward=lambda g, out, x: (where(x > 20.0, g, g * sigmoid(x)),))
ReLU = _op("ReLU", "max(0, x), relu(-0.0) = -0.0 and relu(nan) = nan as in PyTorch;  ∂/∂x = 0 where x <= 0, else 1",
           skip_zero=True, stops_at_zero=True,
           forward=lambda x: where(x < 0.0, 0.0, x), backward=lambda g, out, x: (where(x <= 0.0, 0.0, g),))
LeakyReLU = _op("LeakyReLU", "x if x > 0 else slope·x;  ∂/∂x = 1 if x > 0 else slope",
          name="leaky_relu", skip_zero=True,
          forward=lambda x, slope: where(x > 0.0, x, x * slope),
          backward=lambda g, out, x, slope: (where(x > 0.0, g, g * slope), 0.0))
ELU = _op("ELU", "x if x > 0 else α(e^x - 1);  ∂/∂x = 1 if x > 0 else α·e^x", skip_zero=True,
          forward=lambda x, alpha: where(x > 0.0, x, alpha * expm1(x)),
          backward=lambda g, out, x, alpha: (where(x <= 0.0, g * (alpha * exp(x)), g), 0.0))
# fmt: on


def pow_scalar(x: Any, c: float) -> Any:
    """x ** c with PyTorch's shortcuts for a plain-number exponent: c = 0.5 is sqrt, c = -0.5 is 1/sqrt."""
    return sqrt(x) if c == 0.5 else div(1.0, sqrt(x)) if c == -0.5 else pow(x, c)


# ---- The Value node -------------------------------------------------------------------------------------


def _operator(fn: type[Function], reflected: bool = False) -> Callable[[Value, Value | Number], Value]:
    """The Value operator that applies fn to (self, other), or to (other, self) when reflected (2 * x)."""
    return ((lambda self, other: _binary(fn, other, self)) if reflected  # decided once, not on every call
            else (lambda self, other: _binary(fn, self, other)))


def _method(fn: type[Function]) -> Callable[[Value], Value]:
    """The Value method `x.name()` (or `-x`, `abs(x)`) that applies the one-argument op fn to x, with fn's docstring."""

    def method(self: Value) -> Value:
        return _node(fn, (self,), (self._data,), fn.forward(self._data))

    method.__name__, method.__qualname__, method.__doc__ = fn.name, f"Value.{fn.name}", fn.__doc__
    return method


def _comparison(compare: Callable[[float, float], bool]) -> Callable[[Value, Value | Number], bool]:
    def method(self: Value, other: Value | Number) -> bool:
        if refuse := _refusal.get():  # autograd.compile is tracing: its program could not follow a branch here
            refuse("compared a Value")
        if not isinstance(other, Value) and not _is_number(other):
            raise TypeError(f"cannot compare Value with {type(other).__name__}")
        return compare(self._data, float(other))

    return method


class Value:
    """A scalar in a computation graph.

    `data` is the number, `grad` is d(output)/d(this value) after `backward()`, `op` the operation that made it
    ('' for a leaf: an input or a parameter), `parents` its inputs. Numbers mixed in (`x * 2`) are constants.
    """

    # Slots, not a __dict__: a node is small, and holds no reference back to itself (no closure), so a
    # graph is freed by reference counting alone the moment the last name for its output goes away.
    __slots__ = ("_data", "grad", "label", "_fn", "_args", "_saved")

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value() label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad: Any = 0.0
        self.label = label
        self._fn: type[Function] | None = None  # the op that made this node; None for a leaf
        self._args: tuple = ()  # its arguments: Values, and floats for constants
        self._saved: Sequence[float] = ()  # their numbers when it was made, which backward uses (as PyTorch does)

    @property
    def data(self) -> float:
        """The number this node holds (always a float)."""
        if refuse := _refusal.get():  # autograd.compile is tracing: a number read would be frozen into its program
            refuse("read a Value's .data")
        return self._data

    @data.setter
    def data(self, x: Number) -> None:
        self._data = x if type(x) is float else _constant(x, "Value data")

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in argument order (constants left out)."""
        return tuple(a for a in self._args if type(a) is not float)

    @property
    def op(self) -> str:
        """The operation that made this value, as graphs show it ('+', 'tanh', 'dot'...); '' for a leaf."""
        return self._fn.name if self._fn is not None else ""

    _prev, _op = parents, op  # micrograd's names for the same two things, so that its code runs unchanged

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self._data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        if refuse := _refusal.get():
            refuse("called float() on a Value")
        return self._data

    def __format__(self, spec: str) -> str:
        return format(self._data, spec) if spec else repr(self)

    # Comparisons look at the numbers and return plain bools (so `max(a, b)` and `sorted` work, and the gradient
    # flows to the winner); `==` and hashing stay identity-based: Values are nodes, kept in sets and dicts.
    __lt__, __le__ = _comparison(operator.lt), _comparison(operator.le)
    __gt__, __ge__ = _comparison(operator.gt), _comparison(operator.ge)

    # --- arithmetic: each operator applies its op from the table above ---
    __add__, __radd__ = _operator(Add), _operator(Add, reflected=True)
    __sub__, __rsub__ = _operator(Sub), _operator(Sub, reflected=True)
    __mul__, __rmul__ = _operator(Mul), _operator(Mul, reflected=True)
    __truediv__, __rtruediv__ = _operator(Div), _operator(ScalarDiv, reflected=True)
    __rpow__ = _operator(Pow, reflected=True)

    def __pow__(self, other: Value | Number) -> Value:
        return _binary(Pow if isinstance(other, Value) else PowScalar, self, other)

    __neg__, __abs__ = _method(Neg), _method(Abs)

    # --- functions: each applies its op from the table above, and its docstring is the op's ---
    exp, log, log1p, sqrt = _method(Exp), _method(Log), _method(Log1p), _method(Sqrt)
    sin, cos, tanh, sigmoid = _method(Sin), _method(Cos), _method(Tanh), _method(Sigmoid)
    relu, softplus = _method(ReLU), _method(Softplus)

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """x if x > 0 else slope·x;  d/dx = 1 if x > 0 else slope."""
        return _binary(LeakyReLU, self, _constant(negative_slope, "negative_slope"))

    def elu(self, alpha: float = 1.0) -> Value:
        """x if x > 0 else α(e^x - 1);  d/dx = 1 if x > 0 else α·e^x."""
        return _binary(ELU, self, _constant(alpha, "alpha"))

    # --- graph ---
    def backward(self, grad: Value | Number = 1.0, create_graph: bool = False) -> None:
        """Fill `.grad` of every value this one depends on with d(self)/d(value), by the chain rule.

        Leaves accumulate (+=) across calls, like PyTorch; interior nodes show the latest pass (but those behind
        a relu that was off are not visited). create_graph=True: the gradients are Values with graphs too.
        """
        seed = _seed(grad, "grad", create_graph)
        if not create_graph:
            return backpropagate_into_grad([self], [seed])
        with enable_grad():  # an interior node shows this pass; a leaf adds it to what it had (or replaces a 0)
            for node, g in backpropagate([self], [seed], create_graph).items():
                old = node.grad
                node.grad = g if node._fn is not None or (type(old) is float and old == 0.0) else old + g

    def detach(self) -> Value:
        """A new leaf with the same number and label, cut off from this value's graph."""
        return Value(self.data, self.label)


def _constant(x: object, name: str) -> float:
    if not _is_number(x):
        raise TypeError(f"{name} must be an int or a float, got {type(x).__name__}: {x!r}")
    return float(x)  # type: ignore[arg-type]


def _binary(fn: type[Function], a: Any, b: Any) -> Any:
    """fn(a, b), one side maybe a plain number, else NotImplemented: the operators' path (fn.apply's checks
    cost as much again as a mul)."""
    if not isinstance(a, Value):
        a = float(a) if _is_number(a) else None
    elif not isinstance(b, Value):
        b = float(b) if _is_number(b) else None
    if a is None or b is None:
        return NotImplemented
    numbers = (a if type(a) is float else a._data, b if type(b) is float else b._data)
    return _node(fn, (a, b), numbers, fn.forward(*numbers))


def _seed(grad: Any, name: str, create_graph: bool) -> Any:
    """The gradient a pass starts from: a Value as it is with create_graph, else a float."""
    if isinstance(grad, Value) or _is_number(grad):
        return grad if create_graph and isinstance(grad, Value) else float(grad)
    raise TypeError(f"{name} must be a Value or a number, got {type(grad).__name__}")


def _as_values(x: Value | Iterable[Value], name: str) -> list[Value]:
    try:
        items = [x] if isinstance(x, Value) else list(x)
    except TypeError:
        raise TypeError(f"{name} must be a Value or a list of Values, got {type(x).__name__}") from None
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(f"{name} must be Values, got {type(item).__name__}")
    return items


def grad(outputs: Value | Sequence[Value], inputs: Value | Sequence[Value],
         grad_outputs: Value | Number | Sequence[Value | Number] | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Value | None, ...]:  # fmt: skip
    """Σ_k grad_outputs[k] · d(outputs[k])/d(input) for each input, as Values; no `.grad` is touched.

    create_graph=True gives each a graph, to differentiate again. An input the outputs do not depend on is an
    error, or None with allow_unused=True (as in PyTorch)."""
    roots, xs = _as_values(outputs, "outputs"), _as_values(inputs, "inputs")
    given = [1.0] * len(roots) if grad_outputs is None else grad_outputs
    seeds = [_seed(s, "grad_outputs", create_graph) for s in (given if isinstance(given, Iterable) else [given])]
    if len(seeds) != len(roots):
        raise ValueError(f"grad_outputs has {len(seeds)} entries but there are {len(roots)} outputs")
    with enable_grad() if create_graph else nullcontext():
        grads = backpropagate(roots, seeds, create_graph)
    in_graph = None
    answer: list[Value | None] = []
    for i, x in enumerate(xs):
        g = grads.get(x)
        if g is None:
            in_graph = reachable(roots) if in_graph is None else in_graph
            if x in in_graph:  # reached only through a relu that was off: its gradient is exactly 0
                g = 0.0
            elif not allow_unused:
                raise ValueError(f"input {i} ({x!r}) is not part of the outputs' graph, so it has no gradient; "
                                 "pass allow_unused=True to get None for it")  # fmt: skip
        answer.append(Value(g) if type(g) is float else g)  # type: ignore[arg-type]
    return tuple(answer)
