"""autograd.compile: the generated program computes what the eager engine computes, from the same op rules.

The reference for every test is the eager engine on the same graph (itself checked against torch elsewhere).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import EngineBackend, Recipe, recipes, replay, same_float

import autograd
import nn
from autograd import Function, Value
from autograd.floats import tanh
from nn.functional import l2_penalty

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def eager_value_and_grads(recipe: Recipe, values: list[float]) -> tuple[float, list[float]]:
    leaves = [Value(v) for v in values]
    out = replay(recipe, leaves, EngineBackend)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


@SETTINGS
@given(recipe=recipes(max_steps=10))
def test_a_random_graph_of_every_op_compiles_to_the_eager_value_and_gradients(recipe: Recipe) -> None:
    value, grads = eager_value_and_grads(recipe, list(recipe.leaves))
    assume(math.isfinite(value) and all(math.isfinite(g) for g in grads))
    leaves = [Value(v) for v in recipe.leaves]  # parameters of the compiled function: it has no inputs
    step = autograd.compile(lambda: replay(recipe, leaves, EngineBackend))
    got = step()
    assert same_float(got, value, 1e-12, 1e-300)
    for leaf, g in zip(leaves, grads):
        assert same_float(leaf.grad, g, 1e-12, 1e-300), step.code()


@SETTINGS
@given(recipe=recipes(max_steps=10), shift=st.floats(-0.5, 0.5))
def test_inputs_are_data_so_new_numbers_give_the_eager_results_without_tracing_again(recipe: Recipe,
                                                                                     shift: float) -> None:
    # The same program, traced at one point, run at another: kinks (relu, abs...) must follow the new numbers.
    step = autograd.compile(lambda xs: replay(recipe, xs, EngineBackend))
    first = list(recipe.leaves)
    moved = [v + shift for v in first]
    for point in (first, moved):
        value, _ = eager_value_and_grads(recipe, point)
        assume(math.isfinite(value))
        assert same_float(step.forward(point), value, 1e-12, 1e-300)
    assert len(step._programs) == 1  # one shape, one trace


def demo(n: int = 20, seed: int = 0) -> tuple[nn.MLP, list, list]:
    X, labels = nn.make_moons(n, noise=0.1, seed=seed)
    return nn.MLP(2, [8, 8, 1], seed=seed), X, [2.0 * t - 1.0 for t in labels]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_the_per_sample_form_with_a_penalty_equals_eager_backward_over_the_batch(reduction: str) -> None:
    model, X, y = demo()
    params = model.parameters()
    step = autograd.compile(lambda x, t: (1.0 - t * model(x)).relu(), per_sample=True, reduction=reduction,
                            penalty=lambda: 1e-4 * l2_penalty(params), parameters=model.named_parameters())  # fmt: skip
    loss = step(X, y)
    compiled = [p.grad for p in params]
    model.zero_grad()
    per_sample = [(1.0 - t * model([Value(a) for a in x])).relu() for x, t in zip(X, y)]
    reduce = autograd.mean if reduction == "mean" else autograd.sum
    eager = reduce(per_sample) + 1e-4 * l2_penalty(params)
    eager.backward()
    assert same_float(loss, eager.data, 1e-12)
    for g, p in zip(compiled, params, strict=True):
        assert same_float(g, p.grad, 1e-12, 1e-15)
    penalty_code = step.code(kind="penalty")  # the program each call runs once after the loop, printed too
    assert "0.0001 * dot0" in penalty_code and " in batch:" not in penalty_code  # no loop over the samples


def test_code_takes_only_its_three_kinds_so_no_string_of_the_caller_becomes_code() -> None:
    step = autograd.compile(lambda x: x * 2.0)
    with pytest.raises(ValueError, match="kind must be 'grad', 'forward' or 'penalty'"):
        step.code(1.0, kind="grad(): pass\nimport os\ndef x")
    with pytest.raises(ValueError, match="has no penalty"):
        step.code(kind="penalty")
    assert step.code(1.0, kind="forward").startswith("def forward(")


def test_gradients_add_into_grad_as_backward_does_and_parameters_are_read_at_each_call() -> None:
    w = Value(2.0)
    step = autograd.compile(lambda x: w * x * x)
    assert step(3.0) == 18.0 and w.grad == 9.0
    assert step(3.0) == 18.0 and w.grad == 18.0  # accumulates, like two backward() calls
    w.data = 5.0
    assert step(1.0) == 5.0 and w.grad == 19.0  # the program reads the parameter's number when it runs


def test_a_new_input_width_or_batch_shape_traces_again() -> None:
    w = Value(0.5)
    step = autograd.compile(lambda xs: autograd.sum([w * x for x in xs]), per_sample=True)
    assert step([[1.0, 2.0]], ) == 1.5
    assert step([[1.0, 2.0, 3.0]]) == 3.0
    assert len(step._programs) == 2
    whole = autograd.compile(lambda xs: autograd.sum([w * x for x in xs]))
    assert whole([1.0, 2.0]) == 1.5 and whole([1.0, 2.0, 4.0]) == 3.5 and len(whole._programs) == 2


def test_a_cross_entropy_target_as_a_one_hot_input_is_data_not_baked_in() -> None:
    model = nn.MLP(2, [4, 3], seed=1)
    step = autograd.compile(lambda x, onehot: autograd.logsumexp(model(x)) - autograd.dot(onehot, model(x)),
                            per_sample=True)  # fmt: skip
    X = [[0.3, -0.2], [1.0, 0.5], [-0.7, 0.1]]
    targets = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    loss = step(X, targets)
    eager = nn.functional.cross_entropy([model([Value(a) for a in x]) for x in X], [0, 2, 1])
    assert same_float(loss, eager.data, 1e-12)


def test_the_forward_form_gives_each_samples_outputs_and_no_gradients() -> None:
    model = nn.MLP(2, [4, 3], seed=2)
    predict = autograd.compile(lambda x: model(x), per_sample=True)
    X = [[0.3, -0.2], [1.0, 0.5]]
    outputs = predict.forward(X)
    for x, out in zip(X, outputs):
        assert out == pytest.approx([v.data for v in model(x)], rel=1e-12)
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize("body, what", [
    (lambda v: v * 2.0 if v > 0 else v * 3.0, "compared a Value"),
    (lambda v: max(v, v * 2.0), "compared a Value"),
    (lambda v: v * float(v), "called float\\(\\) on a Value"),
    (lambda v: v * v.data, "read a Value's .data"),
])  # fmt: skip
def test_a_branch_on_a_number_is_refused_naming_the_line_instead_of_being_frozen(body, what: str) -> None:  # noqa: ANN001
    step = autograd.compile(lambda x: body(x * 1.0))
    with pytest.raises(autograd.TracingError, match=f"{what} while it was traced .*test_compile.py, line"):
        step(1.5)
    assert isinstance(body(Value(1.5)), Value)  # eagerly the same code runs


class Cube(Function):
    forward = staticmethod(lambda x: x * x * x)
    backward = staticmethod(lambda g, out, x: (g * 3.0 * x * x,))


class GELU(Function):
    """The tanh approximation of GELU, its derivative by hand."""

    forward = staticmethod(lambda x: 0.5 * x * (1.0 + tanh(K * (x + 0.044715 * x * x * x))))

    @staticmethod
    def backward(g, out, x):  # noqa: ANN001, ANN205
        t = tanh(K * (x + 0.044715 * x * x * x))
        return (g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * K * (1.0 + 0.134145 * x * x)),)


K = math.sqrt(2.0 / math.pi)


class MathExp(Function):
    """Written with math.exp, which cannot run on the compiler's symbols: the program calls it instead."""

    forward = staticmethod(lambda x: math.exp(x))
    backward = staticmethod(lambda g, out, x: (g * out,))


@pytest.mark.parametrize("op", [Cube, GELU, MathExp], ids=lambda op: op.__name__)
def test_a_custom_op_compiles_from_its_own_definition(op: type[Function]) -> None:
    w = Value(0.7)
    step = autograd.compile(lambda x: op.apply(w * x) * x)
    for x in (0.4, -1.3):
        loss = step(x)
        compiled_grad, w.grad = w.grad, 0.0
        eager = op.apply(w * x) * x
        eager.backward()
        assert same_float(loss, eager.data, 1e-12) and same_float(compiled_grad, w.grad, 1e-12)
        w.grad = 0.0


def test_labels_and_parameter_names_become_identifiers_never_code() -> None:
    w = Value(1.5, label="w; __import__('os').system('echo hacked') #")
    step = autograd.compile(lambda x: w * x, parameters=[("layers.0'); import os; ('", w)])
    assert step(2.0) == 3.0
    code = step.code(2.0)
    assert "__import__" not in code and "'" not in code and "system" not in code and "import os" not in code
    compile(code, "<test>", "exec")


def test_an_ops_own_name_with_a_newline_in_it_cannot_start_a_line_of_the_program() -> None:
    class Doubled(Function):
        name = "double\n    raise SystemExit('ran the name')\n#"  # it would sit in a comment, at the right indent

        @staticmethod
        def forward(x: float) -> float:
            return 2.0 * x

        @staticmethod
        def backward(g: float, out: float, x: float) -> tuple[float]:
            return (2.0 * g,)

    w = Value(0.25)
    step = autograd.compile(lambda x: Doubled.apply(w * x))
    assert step(3.0) == 1.5 and w.grad == 6.0
    code = step.code(3.0)
    assert "raise" not in code.replace("double_raise_SystemExit", "") and "'" not in code and "\n#" not in code


def test_the_printed_program_names_parameters_by_module_and_comments_each_neuron() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    step = autograd.compile(lambda x: model(x), parameters=model.named_parameters())
    code = step.code([0.5, -0.5])
    assert "l0_n0_w0, l0_n0_w1, l0_n0_b, l0_n1_w0" in code
    assert "# layers.0.neurons.0: dot" in code and "# layers.1.neurons.0: dot" in code
    assert "g_l1_n0_b += g_dot2" in code


def test_compile_refuses_bad_arguments_with_clear_errors() -> None:
    with pytest.raises(TypeError, match="compile\\(\\) takes a function"):
        autograd.compile(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum'"):
        autograd.compile(lambda x: x, reduction="max")
    step = autograd.compile(lambda x: 3.0)
    with pytest.raises(TypeError, match="must return a Value"):
        step(1.0)
    with pytest.raises(TypeError, match="takes numbers and lists of numbers, got str"):
        autograd.compile(lambda x: x * 2.0)("a")


def test_a_per_sample_batch_whose_samples_differ_in_shape_is_refused_naming_the_sample() -> None:
    w = Value(0.5)
    step = autograd.compile(lambda xs, t: autograd.sum([w * x for x in xs]) - t, per_sample=True)
    with pytest.raises(ValueError, match="sample 1 has 3 numbers but sample 0 has 2"):
        step([[1.0, 2.0], [1.0, 2.0, 3.0]], [0.0, 0.0])
    with pytest.raises(ValueError, match="sample 1 is a number but sample 0 is a list"):
        step([[1.0, 2.0], 3.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="sample 2 is a list but sample 0 is a number"):
        step([[1.0, 2.0]] * 3, [0.0, 1.0, [2.0]])
    with pytest.raises(TypeError, match="NoneType"):  # not a number at all: float() says what it got
        step([[1.0, 2.0]] * 2, [0.0, None])


def test_every_sample_of_a_per_sample_batch_is_checked_as_sample_0_is_not_only_the_first() -> None:
    # float() would take "2.0", True and a Value without a word: each would be a wrong number, silently.
    w = Value(0.5)
    step = autograd.compile(lambda xs, t: autograd.sum([w * x for x in xs]) - t, per_sample=True)
    with pytest.raises(TypeError, match="sample 1: a compiled function takes numbers and lists of numbers, got str"):
        step([[1.0, 2.0], [1.0, 2.0]], [0.0, "2.0"])
    with pytest.raises(TypeError, match="sample 2: .* got bool"):
        step([[1.0, 2.0], [1.0, 2.0], [True, 2.0]], [0.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="sample 1: .* got Value"):
        step([[1.0, 2.0], [Value(1.0), 2.0]], [0.0, 0.0])
    with pytest.raises(TypeError, match="sample 1: .* got str"):  # a str is not a list of numbers either
        step([[1.0, 2.0], "ab"], [0.0, 0.0])
    assert w.grad == 0.0  # nothing was run
    nested = autograd.compile(lambda xs: xs[0][0] * w + xs[1][0], per_sample=True)
    with pytest.raises(ValueError, match="sample 1 nests its lists unlike sample 0"):
        nested([[[1.0, 2.0], [3.0]], [[1.0], [2.0, 3.0]]])  # three numbers each, in other places


def test_a_numpy_array_is_refused_with_a_clear_error_and_how_to_pass_it() -> None:
    w = Value(0.5)
    whole = autograd.compile(lambda xs: autograd.sum([w * x for x in xs]))
    per_sample = autograd.compile(lambda xs: autograd.sum([w * x for x in xs]), per_sample=True)
    message = "takes numbers and lists of numbers, got ndarray; convert it with .tolist()"
    with pytest.raises(TypeError, match=message):
        whole(np.array([1.0, 2.0]))  # was NumPy's own "only 0-dimensional arrays can be converted"
    with pytest.raises(TypeError, match="takes a list of samples per argument, got ndarray; convert it with"):
        per_sample(np.array([[1.0, 2.0]]))
    with pytest.raises(TypeError, match="sample 1: .*" + message):
        per_sample([[1.0, 2.0], np.array([1.0, 2.0])])
    assert whole(np.array([1.0, 2.0]).tolist()) == 1.5 and w.grad == 1.0 + 2.0


def test_numpy_numbers_in_later_samples_are_numbers_as_in_sample_0() -> None:
    w = Value(0.5)
    step = autograd.compile(lambda xs, t: (w * xs[0] + xs[1] - t) ** 2, per_sample=True)
    rows, targets = [[1.0, 2.0], [3.0, -1.0]], [0.5, 2.0]
    expected = step(rows, targets)
    expected_grad, w.grad = w.grad, 0.0
    mixed = [rows[0], [np.float64(3.0), np.int64(-1)]]
    assert step(mixed, [0.5, np.float32(2.0)]) == expected
    assert w.grad == expected_grad


def test_a_program_is_much_smaller_work_than_the_graph_it_replaces_but_the_same_numbers() -> None:
    # The demo network at a small size: compiled and eager steps agree over several SGD updates.
    rng = random.Random(0)
    model, X, y = demo(12, seed=3)
    twin = nn.MLP(2, [8, 8, 1], seed=3)
    params, twin_params = model.parameters(), twin.parameters()
    step = autograd.compile(lambda x, t: (1.0 - t * model(x)).relu(), per_sample=True)
    for _ in range(3):
        model.zero_grad()
        twin.zero_grad()
        loss = step(X, y)
        eager = autograd.mean([(1.0 - t * twin(x)).relu() for x, t in zip(X, y)])
        eager.backward()
        assert same_float(loss, eager.data, 1e-12)
        lr = rng.uniform(0.05, 0.2)
        for p, q in zip(params, twin_params):
            assert same_float(p.grad, q.grad, 1e-12, 1e-15)
            p.data -= lr * p.grad
            q.data -= lr * q.grad


def test_has_aux_returns_each_samples_outputs_from_the_same_pass_as_the_loss() -> None:
    model = nn.MLP(2, [4, 3], seed=5)
    step = autograd.compile(lambda x, t: ((model(x)[0] - t) ** 2, model(x)), per_sample=True, has_aux=True)
    X, T = [[0.3, -0.2], [1.0, 0.5]], [0.5, -1.0]
    loss, outputs = step(X, T)
    eager = autograd.mean([(model([Value(a) for a in x])[0] - t) ** 2 for x, t in zip(X, T)])
    assert same_float(loss, eager.data, 1e-12)
    for x, out in zip(X, outputs):
        assert out == pytest.approx([v.data for v in model(x)], rel=1e-12)
    with pytest.raises(TypeError, match="pair \\(loss, aux\\)"):
        autograd.compile(lambda x: model(x)[0], has_aux=True)([0.1, 0.2])


def test_a_label_that_is_a_python_keyword_or_an_ops_function_name_still_compiles() -> None:
    for label in ("for", "None", "lambda", "LogSumExp_forward", "div", "x0"):
        w = Value(1.5, label=label)
        step = autograd.compile(lambda x, w=w: autograd.logsumexp([w * x, x]))
        eager = autograd.logsumexp([w * 2.0, Value(2.0)])
        assert same_float(step(2.0), eager.data, 1e-12), step.code(2.0)
