"""Resuming a run: the model's file, the optimizer's and the DataLoader's state dicts, all JSON, continue it
bit for bit, dropout masks and shuffled orders included."""

from __future__ import annotations

import json
import random
import struct

import pytest

import nn
from nn import DataLoader, optim
from nn.functional import hinge_loss


def bits(values) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


def train(model: nn.MLP, optimizer: optim.Optimizer, loader: DataLoader, epochs: int) -> None:
    model.train()
    for _ in range(epochs):
        for X_batch, y_batch in loader:
            loss = hinge_loss(model(X_batch), [2.0 * t - 1.0 for t in y_batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


X, Y = nn.make_moons(48, noise=0.2, seed=1)


def fresh() -> tuple[nn.MLP, optim.Optimizer, DataLoader]:
    model = nn.MLP(2, [12, 12, 1], dropout=0.3, seed=2)
    return model, optim.Adam(model.parameters(), lr=0.02), DataLoader(X, Y, batch_size=8, shuffle=True, seed=3)


def uninterrupted() -> dict[str, float]:
    model, optimizer, loader = fresh()
    train(model, optimizer, loader, 4)
    return model.state_dict()


def test_a_run_saved_and_resumed_from_json_files_is_bit_identical_to_one_never_stopped(tmp_path):
    model, optimizer, loader = fresh()
    train(model, optimizer, loader, 2)
    model.save(tmp_path / "model.json")
    (tmp_path / "run.json").write_text(json.dumps({"optimizer": optimizer.state_dict(),
                                                   "loader": loader.state_dict()}))  # fmt: skip
    del model, optimizer, loader

    model = nn.load(tmp_path / "model.json")
    run = json.loads((tmp_path / "run.json").read_text())
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    optimizer.load_state_dict(run["optimizer"])
    loader = DataLoader(X, Y, batch_size=8, shuffle=True)  # no seed: the state says where the orders are
    loader.load_state_dict(run["loader"])
    train(model, optimizer, loader, 2)

    assert bits(model.state_dict().values()) == bits(uninterrupted().values())


@pytest.mark.parametrize("forget", ["dropout masks", "shuffled orders"])
def test_resuming_without_either_random_state_gives_another_run(tmp_path, forget):
    """The test above is not vacuous: both generators' states change the result."""
    model, optimizer, loader = fresh()
    train(model, optimizer, loader, 2)
    resumed = nn.MLP(**model.config)
    resumed.load_state_dict(model.state_dict())
    if forget == "shuffled orders":
        resumed.load_extra_state_dict(model.extra_state_dict())
        loader = DataLoader(X, Y, batch_size=8, shuffle=True, seed=3)
    resumed_optimizer = optim.Adam(resumed.parameters(), lr=0.02)
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    train(resumed, resumed_optimizer, loader, 2)
    assert resumed.state_dict() != uninterrupted()


def test_the_extra_state_is_the_dropout_generators_state_and_state_dict_stays_numbers_only():
    model = nn.MLP(2, [4, 1], dropout=0.5, seed=0)
    extra = model.extra_state_dict()
    assert list(extra) == ["dropout"]
    version, internal, gauss_next = model.dropout._rng.getstate()
    assert extra["dropout"] == {"rng_state": {"version": version, "internal": list(internal),
                                              "gauss_next": gauss_next}}  # fmt: skip
    assert json.loads(json.dumps(extra)) == extra
    assert all(type(v) is float for v in model.state_dict().values())
    assert nn.MLP(2, [4, 1], seed=0).extra_state_dict() == {}


def test_a_saved_model_with_dropout_draws_the_masks_the_original_draws_next(tmp_path):
    model = nn.MLP(3, [20, 1], dropout=0.5, seed=4)
    x = [0.5, -1.0, 2.0]
    model(x)  # move the mask generator on
    model.save(tmp_path / "m.json")
    assert "extra_state" in json.loads((tmp_path / "m.json").read_text())
    loaded = nn.load(tmp_path / "m.json")
    assert [loaded(x).data for _ in range(5)] == [model(x).data for _ in range(5)]


def corrupt(state: dict, word: object) -> dict:
    state = json.loads(json.dumps(state))
    state["dropout"]["rng_state"]["internal"][7] = word
    return state


@pytest.mark.parametrize("bad, message", [
    ({}, r"missing module\(s\) \['dropout'\]"),
    ({"dropout": {"rng_state": {}}, "layers.0": {}}, r"unexpected \['layers\.0'\]"),
    ({"dropout": {"seed": 3}}, "the one key 'rng_state'"),
    ({"dropout": {"rng_state": {"version": 2, "internal": [], "gauss_next": None}}}, "version 2"),
    ("word of 33 bits", r"internal\[7\] must be an int in \[0, 2\*\*32\)"),
    ("word as text", r"internal\[7\] must be an int"),
])  # fmt: skip
def test_a_bad_extra_state_is_a_value_error_saying_why_and_changes_nothing(bad, message):
    model = nn.MLP(2, [4, 1], dropout=0.5, seed=0)
    good = model.extra_state_dict()
    if bad == "word of 33 bits":
        bad = corrupt(good, 2**32)
    elif bad == "word as text":
        bad = corrupt(good, "7")
    with pytest.raises(ValueError, match=message):
        model.load_extra_state_dict(bad)
    assert model.extra_state_dict() == good
    with pytest.raises(TypeError, match="dict of module name"):
        model.load_extra_state_dict([("dropout", good["dropout"])])


def test_a_dataloader_state_taken_between_epochs_continues_the_same_orders():
    original = DataLoader(X, Y, batch_size=5, shuffle=True, seed=9)
    list(original)
    state = json.loads(json.dumps(original.state_dict()))
    copy = DataLoader(X, Y, batch_size=5, shuffle=True, seed=123)
    copy.load_state_dict(state)
    assert [list(copy) for _ in range(3)] == [list(original) for _ in range(3)]


def test_a_dataloader_state_leaves_the_global_random_state_alone_and_a_bad_one_changes_nothing():
    random.seed(5)
    before = random.getstate()
    loader = DataLoader(X, Y, batch_size=5, shuffle=True, seed=9)
    state = loader.state_dict()
    with pytest.raises(ValueError, match="'rng_state'"):
        loader.load_state_dict({"rng_state": state["rng_state"], "epoch": 3})
    with pytest.raises(ValueError, match="position"):
        loader.load_state_dict({"rng_state": {**state["rng_state"], "internal": [0] * 624 + [625]}})
    with pytest.raises(TypeError, match="dict"):
        loader.load_state_dict("rng")
    assert loader.state_dict() == state
    assert random.getstate() == before
