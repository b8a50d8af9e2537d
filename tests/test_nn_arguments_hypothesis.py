"""nn's public functions, given a wrong argument or a corrupted file, raise TypeError or ValueError and change
nothing: never AttributeError, IndexError, ZeroDivisionError, RecursionError, OverflowError or UnicodeDecodeError.

Each test replaces one argument of a good call. Where the strategy draws only values the argument must refuse
(tests/strategies.py's wrong_*), the call has to raise; where it draws anything at all, the call may also
succeed, but any error must be one of the two a user can read.
"""

from __future__ import annotations

import inspect
import json
import pathlib
import tempfile
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    FORBIDDEN_ERRORS,
    anything,
    corrupted_model_files,
    json_paths,
    json_values,
    replaced,
    wrong_finite_numbers,
    wrong_flags,
    wrong_gains,
    wrong_learning_rates,
    wrong_names,
    wrong_parameter_lists,
    wrong_probabilities,
    wrong_rngs,
    wrong_seeds,
    wrong_sizes,
)

import nn
from autograd import Value
from nn import DataLoader, optim

SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])  # fmt: skip
OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


def readable(error: BaseException) -> None:
    """A TypeError or ValueError of the kind a user can read: not a UnicodeDecodeError, and a short message."""
    assert not isinstance(error, FORBIDDEN_ERRORS), repr(error)
    assert 0 < len(str(error)) < 1000, str(error)


def refused(call: Callable[[], Any]) -> BaseException:
    """The error call() raises, which must be a TypeError or ValueError of a readable kind."""
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    readable(info.value)
    return info.value


def taken_or_refused(call: Callable[[], Any]) -> bool:
    """True if call() succeeded; False if it raised a TypeError or ValueError of a readable kind."""
    try:
        call()
    except (TypeError, ValueError) as e:
        readable(e)
        return False
    return True


def test_the_helpers_tell_a_readable_error_from_a_crash():
    assert not taken_or_refused(lambda: int("x"))
    with pytest.raises(AssertionError):
        taken_or_refused(lambda: b"\xff".decode())  # a UnicodeDecodeError is a ValueError, but not a readable one
    with pytest.raises(ZeroDivisionError):
        taken_or_refused(lambda: 1 / 0)
    with pytest.raises(pytest.fail.Exception):
        refused(lambda: None)


# --- optimizers -------------------------------------------------------------------------------------------------


@SETTINGS
@given(name=st.sampled_from(OPTIMIZERS), params=wrong_parameter_lists())
def test_an_optimizer_refuses_wrong_parameters(name, params):
    refused(lambda: getattr(optim, name)(params))


@SETTINGS
@given(name=st.sampled_from(OPTIMIZERS), data=st.data())
def test_an_optimizer_takes_or_refuses_anything_as_a_hyper_parameter_and_refuses_a_bad_lr(name, data):
    cls = getattr(optim, name)
    hyper = [p for p in inspect.signature(cls).parameters if p != "params"]
    argument = data.draw(st.sampled_from(hyper))
    taken_or_refused(lambda: cls([Value(1.0)], **{argument: data.draw(anything)}))
    refused(lambda: cls([Value(1.0)], lr=data.draw(wrong_learning_rates)))


@SETTINGS
@given(name=st.sampled_from(OPTIMIZERS), grad=anything)
def test_a_step_takes_a_number_as_grad_and_refuses_anything_else_before_moving_a_parameter(name, grad):
    params = [Value(1.0), Value(2.0)]
    optimizer = getattr(optim, name)(params, lr=0.1)
    params[1].grad = grad
    if not taken_or_refused(optimizer.step):
        assert [p.data for p in params] == [1.0, 2.0]


@SETTINGS
@given(name=st.sampled_from(OPTIMIZERS), data=st.data())
def test_an_optimizer_load_state_dict_takes_or_refuses_a_corrupted_snapshot_and_then_changes_nothing(name, data):
    params = [Value(1.0), Value(-0.5)]
    optimizer = getattr(optim, name)(params, lr=0.1)
    for p in params:
        p.grad = 0.3
    optimizer.step()
    snapshot = optimizer.state_dict()
    path = data.draw(st.sampled_from(json_paths(json.loads(json.dumps(snapshot)))))
    corrupt = replaced(snapshot, path, data.draw(json_values | anything))
    if not taken_or_refused(lambda: optimizer.load_state_dict(corrupt)):
        assert optimizer.state_dict() == snapshot


# --- init -------------------------------------------------------------------------------------------------------

WEIGHTS = 4


def weights() -> list[Value]:
    return [Value(0.5) for _ in range(WEIGHTS)]


INIT_CALLS = {
    "kaiming fan_in": (wrong_sizes, lambda w, x: nn.init.kaiming_uniform(w, x)),
    "kaiming nonlinearity": (wrong_names, lambda w, x: nn.init.kaiming_uniform(w, 3, nonlinearity=x)),
    "kaiming rng": (wrong_rngs, lambda w, x: nn.init.kaiming_uniform(w, 3, rng=x)),
    "xavier fan_in": (wrong_sizes, lambda w, x: nn.init.xavier_uniform(w, x, 2)),
    "xavier fan_out": (wrong_sizes, lambda w, x: nn.init.xavier_uniform(w, 2, x)),
    "xavier gain": (wrong_gains, lambda w, x: nn.init.xavier_uniform(w, 2, 2, gain=x)),
    "uniform a": (wrong_finite_numbers, lambda w, x: nn.init.uniform(w, x, 1.0)),
    "uniform b": (wrong_finite_numbers, lambda w, x: nn.init.uniform(w, -1.0, x)),
    "uniform a > b": (st.floats(0.001, 5.0), lambda w, x: nn.init.uniform(w, x, -x)),
    "uniform values": (anything.filter(lambda x: not (isinstance(x, list) and x == [])),
                       lambda w, x: nn.init.uniform(x)),
}  # fmt: skip


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(INIT_CALLS)))
def test_an_init_function_refuses_a_wrong_argument_and_writes_no_weight(data, name):
    strategy, call = INIT_CALLS[name]
    w, x = weights(), data.draw(strategy)
    refused(lambda: call(w, x))
    assert [v.data for v in w] == [0.5] * WEIGHTS


# --- modules: constructors, forward, state ------------------------------------------------------------------


def _wrong_nouts() -> st.SearchStrategy:
    valid = lambda x: (isinstance(x, (list, tuple)) and len(x) > 0  # noqa: E731
                       and all(not isinstance(n, bool) and isinstance(n, int) and n >= 1 for n in x))  # fmt: skip
    return anything.filter(lambda x: not valid(x)) | st.lists(wrong_sizes, min_size=1, max_size=2).map(
        lambda bad: [2, *bad]
    )


CONSTRUCTORS = {
    "Neuron nin": (wrong_sizes, lambda x: nn.Neuron(x)),
    "Neuron activation": (wrong_names, lambda x: nn.Neuron(2, activation=x)),
    "Neuron init": (wrong_names, lambda x: nn.Neuron(2, init=x)),
    "Neuron fan_out": (wrong_sizes, lambda x: nn.Neuron(2, init="xavier", fan_out=x)),
    "Neuron rng": (wrong_rngs, lambda x: nn.Neuron(2, rng=x)),
    "Neuron seed": (wrong_seeds, lambda x: nn.Neuron(2, seed=x)),
    "Layer nin": (wrong_sizes, lambda x: nn.Layer(x, 2)),
    "Layer nout": (wrong_sizes, lambda x: nn.Layer(2, x)),
    "Layer activation": (wrong_names, lambda x: nn.Layer(2, 2, activation=x)),
    "Layer init": (wrong_names, lambda x: nn.Layer(2, 2, init=x)),
    "Layer rng": (wrong_rngs, lambda x: nn.Layer(2, 2, rng=x)),
    "Layer seed": (wrong_seeds, lambda x: nn.Layer(2, 2, seed=x)),
    "MLP nin": (wrong_sizes, lambda x: nn.MLP(x, [2])),
    "MLP nouts": (_wrong_nouts(), lambda x: nn.MLP(2, x)),
    "MLP activation": (wrong_names, lambda x: nn.MLP(2, [2, 1], activation=x)),
    "MLP output_activation": (wrong_names, lambda x: nn.MLP(2, [2, 1], output_activation=x)),
    "MLP dropout": (wrong_probabilities, lambda x: nn.MLP(2, [2, 1], dropout=x)),
    "MLP residual": (wrong_flags, lambda x: nn.MLP(2, [2, 1], residual=x)),
    "MLP init": (wrong_names, lambda x: nn.MLP(2, [2, 1], init=x)),
    "MLP seed": (wrong_seeds, lambda x: nn.MLP(2, [2, 1], seed=x)),
    "Dropout p": (wrong_probabilities, lambda x: nn.Dropout(x)),
    "Dropout seed": (wrong_seeds, lambda x: nn.Dropout(0.5, seed=x)),
}


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(CONSTRUCTORS)))
def test_a_module_constructor_refuses_a_wrong_argument(data, name):
    strategy, make = CONSTRUCTORS[name]
    refused(lambda: make(data.draw(strategy)))


@SETTINGS
@given(x=anything | st.lists(anything, max_size=3) | st.lists(st.lists(anything, max_size=3), max_size=2))
def test_modules_take_or_refuse_anything_as_an_input(x):
    for module in (nn.Neuron(2, seed=0), nn.Layer(2, 3, seed=0), nn.MLP(2, [3, 1], dropout=0.5, seed=0),
                   nn.Dropout(0.5, seed=0)):  # fmt: skip
        taken_or_refused(lambda module=module: module(x))


@SETTINGS
@given(value=anything, mapping=anything.filter(lambda x: not isinstance(x, dict)))
def test_load_state_dict_takes_a_number_refuses_anything_else_and_then_changes_nothing(value, mapping):
    # Wrong keys are a RuntimeError naming them, as in torch (tests/test_modules.py); values and types are
    # what a user gets wrong here.
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    state = {**before, "layers.1.neurons.0.w.0": value}
    if not taken_or_refused(lambda: model.load_state_dict(state)):
        assert model.state_dict() == before
    before = model.state_dict()
    refused(lambda: model.load_state_dict(mapping))
    assert model.state_dict() == before


@SETTINGS
@given(data=st.data())
def test_load_extra_state_dict_takes_or_refuses_a_corrupted_state_and_then_changes_nothing(data):
    model = nn.MLP(2, [2, 1], dropout=0.5, seed=0)
    good = model.extra_state_dict()
    path = data.draw(st.sampled_from(json_paths(good, every=False)))
    corrupt = replaced(good, path, data.draw(json_values | anything))
    if not taken_or_refused(lambda: model.load_extra_state_dict(corrupt)):
        assert model.extra_state_dict() == good


# --- DataLoader -------------------------------------------------------------------------------------------------

X, Y = [[0.0], [1.0], [2.0]], [0, 1, 0]

LOADER_CALLS = {
    "batch_size": (wrong_sizes, lambda x: DataLoader(X, Y, batch_size=x)),
    "shuffle": (wrong_flags, lambda x: DataLoader(X, Y, shuffle=x)),
    "drop_last": (wrong_flags, lambda x: DataLoader(X, Y, drop_last=x)),
    "seed": (wrong_seeds, lambda x: DataLoader(X, Y, seed=x)),
    "X": (anything.filter(lambda x: not (isinstance(x, (list, tuple)) and len(x) == 3)), lambda x: DataLoader(x, Y)),
    "load_state_dict": (json_values | anything, lambda x: DataLoader(X, Y).load_state_dict(x)),
}


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(LOADER_CALLS)))
def test_a_dataloader_refuses_a_wrong_argument_or_state(data, name):
    strategy, call = LOADER_CALLS[name]
    refused(lambda: call(data.draw(strategy)))


# --- nn.load ----------------------------------------------------------------------------------------------------


def document_of(model: nn.MLP) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        path = pathlib.Path(directory) / "m.json"
        model.save(path)
        return json.loads(path.read_text())


PLAIN = document_of(nn.MLP(2, [2, 1], seed=3))
WITH_DROPOUT = document_of(nn.MLP(2, [3, 2], dropout=0.25, seed=4))


@settings(SETTINGS, max_examples=200)
@given(data=st.data(), document=st.sampled_from([PLAIN, WITH_DROPOUT]))
def test_nn_load_of_a_corrupted_file_is_a_model_or_a_value_error_naming_the_file(data, document):
    content = data.draw(corrupted_model_files(document))
    with tempfile.TemporaryDirectory() as directory:
        path = pathlib.Path(directory) / "m.json"
        path.write_bytes(content)
        try:
            model = nn.load(path)
        except ValueError as e:
            readable(e)
            assert str(path) in str(e)
        else:
            assert isinstance(model, nn.MLP)
        assert path.read_bytes() == content
        assert sorted(p.name for p in pathlib.Path(directory).iterdir()) == ["m.json"]


def test_the_corrupted_files_start_from_files_that_load():
    for document in (PLAIN, WITH_DROPOUT):
        with tempfile.TemporaryDirectory() as directory:
            path = pathlib.Path(directory) / "m.json"
            path.write_text(json.dumps(document))
            assert nn.load(path).state_dict() == document["state_dict"]
