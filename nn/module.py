"""Module: the base of every network part, which finds its parameters and sub-modules by itself.

A module's parameters are the `Value`s among its attributes, and its sub-modules the `Module`s, found in
the order the attributes were first assigned, also inside lists and tuples. So a Neuron that sets
`self.w = [Value(...), ...]` then `self.b = Value(0.0)` has the parameters `w.0, w.1, ..., b`, and an MLP
holding `self.layers = [Layer, ...]` has `layers.0.neurons.3.w.1`, PyTorch's dotted names.
"""

from __future__ import annotations

import numbers
import os
import reprlib
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from autograd import Value
from nn import io


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` skipped: keys the model has but the dict lacked, and the reverse."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _number(name: str, x: Any) -> float:
    """A state_dict entry that is not a float, as one: an int, a NumPy number (as Value() takes), a Value's data."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"state_dict[{name!r}] must be a number, got {type(x).__name__}: {reprlib.repr(x)}")
    try:
        return float(x)
    except OverflowError:  # an int beyond the floats: 10**400
        raise ValueError(f"state_dict[{name!r}] is an integer too large for a float") from None


class Module:
    """Base class: subclasses set parameters and sub-modules as attributes and define `forward`."""

    training: bool = True
    # True when forward also takes a batch (a list of inputs) and returns one output per input, as Neuron,
    # Layer and MLP do; fit and predict then make one call per batch instead of one per sample.
    takes_batches: bool = False

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The module's computation: each subclass defines it (here, a NotImplementedError)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """module(x) is module.forward(x), as in PyTorch: call the module, not forward."""
        return self.forward(*args, **kwargs)

    # --- what a module contains -------------------------------------------------------------------------
    def _members(self, modules_only: bool = False) -> Iterator[tuple[str, int | None, Any]]:
        """(attribute, index in it or None, item) for each Value or Module (each Module, with modules_only) among
        the public attributes, lists opened, in order."""
        kinds = Module if modules_only else (Value, Module)
        for name, item in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(item, (list, tuple)):
                for i, element in enumerate(item):
                    if isinstance(element, kinds):
                        yield name, i, element
            elif isinstance(item, kinds):
                yield name, None, item

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their names, in order."""
        for name, i, item in self._members(modules_only=True):
            yield (name if i is None else f"{name}.{i}"), item

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module ('' as its name) and every module inside it, depth first, with dotted names."""
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(children))

    def modules(self) -> list[Module]:
        """This module and every module inside it, in the order of named_modules() (train() walks it each epoch)."""
        result, stack = [], [self]
        while stack:
            module = stack.pop()
            result.append(module)
            stack.extend(reversed([item for _, _, item in module._members(modules_only=True)]))
        return result

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name (`layers.0.neurons.3.w.1`), in registration order.

        A parameter reachable twice (a module shared by two attributes) is listed once, under its first
        name, as in PyTorch, so that an optimizer steps it once.
        """
        # One walk, as parameters() makes it (modules depth first, each one's members in order), naming as it
        # goes: going through named_modules() would read every module's members twice.
        result, seen = [], set()
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, module = stack.pop()
            children = []
            for name, i, item in module._members():
                full = f"{prefix}{name}" if i is None else f"{prefix}{name}.{i}"
                if isinstance(item, Module):
                    children.append((f"{full}.", item))
                elif item not in seen:
                    seen.add(item)
                    result.append((full, item))
            stack.extend(reversed(children))
        return result

    def parameters(self) -> list[Value]:
        """Every parameter (weights and biases), in the order of `named_parameters()`."""
        # The same walk as named_parameters (modules depth first, each one's members in order, a parameter
        # seen twice listed once), without making the names: zero_grad runs this every training step.
        result, seen = [], set()
        stack: list[Module] = [self]
        while stack:
            children = []
            for _, _, item in stack.pop()._members():
                if isinstance(item, Module):
                    children.append(item)
                elif item not in seen:
                    seen.add(item)
                    result.append(item)
            stack.extend(reversed(children))
        return result

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0, before the next backward pass adds into them."""
        for p in self.parameters():
            p.grad = 0.0

    # --- training and evaluation ------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Put this module and all inside it in training mode (dropout active); returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train() takes a bool, got {type(mode).__name__}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off), the same as train(False); returns self."""
        return self.train(False)

    # --- saving and restoring numbers -------------------------------------------------------------------
    def state_dict(self) -> dict[str, float]:
        """Every parameter's number by dotted name: what is needed to restore the model's weights."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, float], strict: bool = True) -> IncompatibleKeys:
        """Copy numbers from `state_dict` into the parameters. Checks everything first: on any error the
        model is left exactly as it was.

        strict=True: the keys must match exactly (RuntimeError naming the missing and unexpected keys).
        A value that is not a real number (int, float, or NumPy's; not a bool): TypeError naming its key.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict() takes a dict of name -> number, got {type(state_dict).__name__}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in params]
        if strict and (missing or unexpected):
            problems = []
            if missing:
                problems.append("missing key(s): " + ", ".join(missing))
            if unexpected:
                problems.append("unexpected key(s): " + ", ".join(map(repr, unexpected)))
            raise RuntimeError(f"error loading state_dict into {type(self).__name__}: " + "; ".join(problems))
        updates = []
        for name, p in params.items():
            if name in state_dict:
                x = state_dict[name]
                updates.append((p, x if type(x) is float else _number(name, x)))
        for p, x in updates:  # only now that every entry is known to be good
            p.data = x
        return IncompatibleKeys(missing, unexpected)

    # --- state beyond the parameters: what else a resumed run needs (Dropout's random generator) ---------
    def get_extra_state(self) -> Any:
        """This module's own state that is not a parameter, as plain JSON values, or None when it has none.

        PyTorch's name. Dropout returns its mask generator's state; most modules have none.
        """
        return None

    def set_extra_state(self, state: Any) -> None:
        """Restore what get_extra_state() returned; a module without extra state takes none (ValueError)."""
        raise ValueError(f"{type(self).__name__} has no extra state, got {type(state).__name__}")

    def extra_state_dict(self) -> dict[str, Any]:
        """{dotted module name: module.get_extra_state()} for each module with extra state, as plain JSON.

        With state_dict() (the parameters' numbers) it is everything needed to resume a run exactly: an MLP
        with dropout gives {"dropout": {"rng_state": ...}}. state_dict() itself stays numbers only.
        """
        result = {}
        for name, module in self.named_modules():
            state = module.get_extra_state()
            if state is not None:
                result[name] = state
        return result

    def load_extra_state_dict(self, extra_state: Mapping[str, Any]) -> None:
        """Restore extra_state_dict(): its keys must be exactly this model's modules with extra state.

        On any error (wrong keys: ValueError naming them; a bad state: the module's ValueError) nothing changes.
        """
        if not isinstance(extra_state, Mapping):
            raise TypeError(f"load_extra_state_dict() takes a dict of module name -> state, "
                            f"got {type(extra_state).__name__}")  # fmt: skip
        before = self.extra_state_dict()
        modules = dict(self.named_modules())
        if set(extra_state) != set(before):
            missing = [k for k in before if k not in extra_state]
            unexpected = [k for k in extra_state if k not in before]
            raise ValueError(f"extra state does not fit {type(self).__name__}: missing module(s) {missing}, "
                             f"unexpected {reprlib.repr(unexpected)}")  # fmt: skip
        try:
            for name, state in extra_state.items():
                modules[name].set_extra_state(state)
        except BaseException:
            for name, state in before.items():  # put back the ones already set
                modules[name].set_extra_state(state)
            raise

    # --- printing ---------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between this module's parentheses in repr(); subclasses describe themselves here."""
        return ""

    _show_children = True  # a module whose children are all alike (a Layer's neurons) sets this False

    def __repr__(self) -> str:
        children = list(self.named_children()) if self._show_children else []
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in children:
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        return "\n".join(lines) + "\n)"

    def num_parameters(self) -> int:
        """How many numbers the model learns."""
        return len(self.parameters())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write this model's architecture, weights and extra state to `path` (a str or Path) as JSON; read it
        back with nn.load."""
        io.save(self, path)
