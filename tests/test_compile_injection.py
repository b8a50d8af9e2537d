"""No text or object of the caller's becomes code in a compiled program, and no label changes what it computes.

Each case below reached the exec'd source before it was closed: a str subclass passes a check of its
contents (==, in, a regex) and then formats as anything in an f-string, so the compiler writes its own text.
The payloads raise, so that a program which ran one would fail the test.
"""

from __future__ import annotations

import pytest

import autograd
from autograd import Function, Value, floats

PAYLOAD = "x\n    raise SystemExit('the payload ran')\n    #"


class Sneaky(str):
    """Equal to an allowed word, formatted as a line of code."""

    def __format__(self, spec: str) -> str:
        return PAYLOAD


def test_an_op_name_that_formats_as_code_is_written_as_the_text_it_matched() -> None:
    class Double(Function):
        name = Sneaky("double")
        forward = staticmethod(lambda x: 2.0 * x)
        backward = staticmethod(lambda g, out, x: (2.0 * g,))

    w = Value(1.5)
    step = autograd.compile(lambda x: Double.apply(x * w), parameters=[("w", w)])
    assert step(2.0) == 6.0 and w.grad == 4.0
    assert "raise" not in step.code(2.0)


def test_a_kind_equal_to_grad_that_formats_as_code_is_not_written() -> None:
    step = autograd.compile(lambda x: x * 2.0)
    assert "raise" not in step.code(1.0, kind=Sneaky("grad"))
    with pytest.raises(ValueError, match="kind must be"):
        step.code(1.0, kind=3)  # type: ignore[arg-type]


def test_a_function_name_asked_of_a_symbol_is_written_from_the_compilers_own_table() -> None:
    class Unary(Function):
        @staticmethod
        def forward(x: float) -> float:
            return floats.exp(x) if type(x) is float else getattr(x, Sneaky("exp"))()

        @staticmethod
        def backward(g: float, out: float, x: float) -> tuple[float]:
            return (g * out,)

    w = Value(0.5)
    step = autograd.compile(lambda x: Unary.apply(x * w), parameters=[("w", w)])
    eager = Unary.apply(w * 1.0)
    assert step(1.0) == eager.data and "raise" not in step.code(1.0)


@pytest.mark.parametrize("label", ["petal_length", "arg7\n ", "arg0[\uff11]", "'); import os #"])
def test_inputs_are_named_by_their_place_whatever_the_traced_function_labels_them(label: str) -> None:
    w = Value(2.0)

    def f(x: list[Value]) -> Value:
        x[0].label = label  # a model may label its inputs (for draw_dot): the program must not read it
        return x[0] * w + x[1] * 0.5

    step = autograd.compile(f, parameters=[("w", w)])
    assert step.forward([3.0, 5.0]) == 3.0 * 2.0 + 5.0 * 0.5  # a full-width 1 once made x[0] and x[1] one name
    assert label not in step.code([3.0, 5.0])


def test_a_packed_parameter_returned_as_aux_is_read_at_each_call_not_frozen() -> None:
    ws = [Value(float(i)) for i in range(40)]  # a dot of 40 pairs: its weights arrive packed as one tuple
    step = autograd.compile(lambda x: (autograd.dot(ws, x), [ws[0]]), per_sample=True, has_aux=True,
                            parameters=[(f"w.{i}", w) for i, w in enumerate(ws)])  # fmt: skip
    assert step([[1.0] * 40]) == (780.0, [[0.0]])  # aux a list of one: a list for each sample
    ws[0].data = 123.0
    assert step([[1.0] * 40]) == (903.0, [[123.0]])


def test_a_penalty_that_is_not_a_value_is_refused_by_name() -> None:
    w = Value(1.0)
    step = autograd.compile(lambda x: x * w, penalty=lambda: 3.0, parameters=[("w", w)])  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match=r"penalty\(\) must return a Value"):
        step(1.0)


def test_a_label_set_to_something_not_a_str_is_left_out_of_the_names() -> None:
    w = Value(2.0)

    def f(x: Value) -> Value:
        y = x * w
        y.label = 5  # type: ignore[assignment]  # Value() checks its label; an assignment afterwards is not checked
        return y

    assert autograd.compile(f, parameters=[("w", w)])(3.0) == 6.0
