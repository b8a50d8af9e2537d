"""nn.save / nn.load: exact JSON round trips, a documented file format, atomic writes, clear errors on bad files."""

import importlib.util
import json
import math
import os
import signal
import struct
import subprocess
import sys
import time

import pytest

import nn
from nn import io as nn_io

CONFIGS = [
    {"nin": 2, "nouts": [16, 16, 1]},
    {"nin": 3, "nouts": [4, 4, 2], "activation": "tanh", "output_activation": "sigmoid", "residual": True},
    {"nin": 2, "nouts": [5, 3], "activation": "leaky_relu", "dropout": 0.25, "init": "xavier", "seed": 3},
    {"nin": 1, "nouts": [1], "activation": "elu", "init": "uniform"},
    {"nin": 2, "nouts": [16, 1, 1]},
]
INPUTS = [[0.5, -1.25, 2.0][:n] for n in (1, 2, 3)]


def bits(x: float) -> bytes:
    """The exact bit pattern of a float: equal bits means the same number, down to the sign of zero."""
    return struct.pack("<d", x)


def outputs(model: nn.MLP) -> list[float]:
    model.eval()
    out = model(INPUTS[model.nin - 1])
    return [v.data for v in (out if isinstance(out, list) else [out])]


def snapshot(directory) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


@pytest.mark.parametrize("config", CONFIGS)
def test_a_loaded_model_has_the_same_architecture_weights_and_outputs(tmp_path, config):
    model = nn.MLP(**config)
    path = tmp_path / "model.json"
    nn.save(model, path)
    loaded = nn.load(path)
    assert type(loaded) is nn.MLP
    assert loaded.config == model.config
    assert list(loaded.state_dict()) == list(model.state_dict())
    assert [bits(v) for v in loaded.state_dict().values()] == [bits(v) for v in model.state_dict().values()]
    assert outputs(loaded) == outputs(model)


def test_awkward_floats_round_trip_bit_for_bit(tmp_path):
    awkward = [0.1, 1 / 3, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1e-300, 2.0**52 + 1,
               math.pi, -math.e, 1e16, 123456789.123456789]  # fmt: skip
    model = nn.MLP(len(awkward) - 1, [1])
    model.load_state_dict(dict(zip(model.state_dict(), awkward)))
    model.save(tmp_path / "m.json")
    loaded = nn.load(tmp_path / "m.json")
    assert [bits(v) for v in loaded.state_dict().values()] == [bits(v) for v in awkward]


def test_the_file_is_json_with_format_version_architecture_and_named_weights(tmp_path):
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    path = tmp_path / "m.json"
    model.save(str(path))  # a str works as well as a Path
    document = json.loads(path.read_text(encoding="utf-8"))
    assert set(document) == {"format", "version", "architecture", "state_dict"}
    assert document["format"] == "chaingrad"
    assert document["version"] == 1
    assert document["architecture"] == {"class": "MLP", "config": model.config}
    assert list(document["state_dict"]) == [name for name, _ in model.named_parameters()]
    assert document["state_dict"] == {name: p.data for name, p in model.named_parameters()}


def test_model_save_is_nn_save(tmp_path):
    model = nn.MLP(2, [2, 1], seed=1)
    model.save(tmp_path / "a.json")
    nn.save(model, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_saving_replaces_an_existing_file(tmp_path):
    path = tmp_path / "m.json"
    nn.MLP(2, [1], seed=1).save(path)
    second = nn.MLP(3, [2], seed=2)
    second.save(path)
    assert nn.load(path).state_dict() == second.state_dict()
    assert snapshot(tmp_path).keys() == {"m.json"}


def test_a_new_file_gets_the_usual_permissions_of_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        nn.MLP(2, [1]).save(tmp_path / "m.json")
    finally:
        os.umask(old)
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_weights_are_refused_and_nothing_is_written(tmp_path, bad):
    path = tmp_path / "m.json"
    nn.MLP(2, [1], seed=1).save(path)
    before = snapshot(tmp_path)
    model = nn.MLP(2, [2], seed=1)
    model.layers[0].neurons[1].w[0].data = bad
    with pytest.raises(ValueError, match=r"non-finite.*layers\.0\.neurons\.1\.w\.0"):
        model.save(path)
    assert snapshot(tmp_path) == before


class Tiny(nn.Module):
    def __init__(self):
        self.layer = nn.Layer(2, 1)

    def forward(self, x):
        return self.layer(x)


class NamedMLP(nn.MLP):
    pass


@pytest.mark.parametrize("model", [nn.Neuron(2), nn.Layer(2, 3), nn.Dropout(0.5), Tiny(), NamedMLP(2, [1])],
                         ids=["Neuron", "Layer", "Dropout", "custom Module", "MLP subclass"])  # fmt: skip
def test_only_mlp_like_models_with_a_config_can_be_saved(tmp_path, model):
    with pytest.raises(TypeError, match="only MLP-like models with a config"):
        nn.save(model, tmp_path / "m.json")
    assert snapshot(tmp_path) == {}


# --- a crash in the middle of saving --------------------------------------------------------------------------


def half_written_then_crash(document, f, **kwargs):
    text = json.dumps(document)
    f.write(text[: len(text) // 2])
    f.flush()
    raise OSError("disk full")


def test_a_crash_while_writing_leaves_the_old_file_intact_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    old = nn.MLP(2, [3, 1], seed=1)
    old.save(path)
    before = snapshot(tmp_path)
    monkeypatch.setattr(nn_io.json, "dump", half_written_then_crash)
    with pytest.raises(OSError, match="disk full"):
        nn.MLP(2, [3, 1], seed=2).save(path)
    assert snapshot(tmp_path) == before
    monkeypatch.undo()
    assert nn.load(path).state_dict() == old.state_dict()


def test_a_crash_before_the_rename_leaves_the_old_file_intact_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    nn.MLP(2, [3, 1], seed=1).save(path)
    before = snapshot(tmp_path)

    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(nn_io.os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        nn.MLP(2, [3, 1], seed=2).save(path)
    assert snapshot(tmp_path) == before


def test_an_interrupt_while_writing_a_new_file_leaves_nothing_behind(tmp_path, monkeypatch):
    def interrupt(document, f, **kwargs):
        f.write("{")
        raise KeyboardInterrupt

    monkeypatch.setattr(nn_io.json, "dump", interrupt)
    with pytest.raises(KeyboardInterrupt):
        nn.MLP(2, [1]).save(tmp_path / "m.json")
    assert snapshot(tmp_path) == {}


def test_saving_into_a_missing_directory_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.MLP(2, [1]).save(tmp_path / "no" / "m.json")


# --- bad files ---------------------------------------------------------------------------------------------------


def good_document() -> dict:
    model = nn.MLP(2, [2, 1], seed=4)
    return {"format": "chaingrad", "version": 1, "architecture": {"class": "MLP", "config": model.config},
            "state_dict": model.state_dict()}  # fmt: skip


def test_loading_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.json")


def edit(change):
    document = good_document()
    change(document)
    return json.dumps(document)


def set_weight(name, value):
    return lambda d: d["state_dict"].__setitem__(name, value)


BAD_FILES = {
    "empty": ("", "not valid JSON"),
    "not json": ("hello", "not valid JSON"),
    "truncated": (json.dumps(good_document())[:-40], "not valid JSON"),
    "a list": ("[1, 2]", "expected a JSON object, got list"),
    "another format": (edit(lambda d: d.__setitem__("format", "keras")), "not a chaingrad model file.*'keras'"),
    "no format": (edit(lambda d: d.pop("format")), "not a chaingrad model file"),
    "future version": (edit(lambda d: d.__setitem__("version", 2)), "unknown format version 2"),
    "version as text": (edit(lambda d: d.__setitem__("version", "1")), "unknown format version '1'"),
    "version as bool": (edit(lambda d: d.__setitem__("version", True)), "unknown format version True"),
    "no weights": (edit(lambda d: d.pop("state_dict")), r"missing field\(s\) \['state_dict'\]"),
    "extra field": (edit(lambda d: d.__setitem__("notes", "hi")), r"unexpected field\(s\) \['notes'\]"),
    "unknown class": (edit(lambda d: d["architecture"].__setitem__("class", "CNN")), "unknown model class 'CNN'"),
    "architecture not an object": (edit(lambda d: d.__setitem__("architecture", "MLP")), "'architecture' must be"),
    "config not an object": (edit(lambda d: d["architecture"].__setitem__("config", [2, 1])), "config must be an"),
    "bad config value": (edit(lambda d: d["architecture"]["config"].__setitem__("nin", 0)), "bad MLP config"),
    "bad activation": (edit(lambda d: d["architecture"]["config"].__setitem__("activation", "gelu")), "gelu"),
    "unknown config key": (edit(lambda d: d["architecture"]["config"].__setitem__("width", 3)), "bad MLP config"),
    "missing weight": (edit(lambda d: d["state_dict"].pop("layers.1.neurons.0.b")),
                       r"missing 1 \['layers\.1\.neurons\.0\.b'\]"),
    "extra weight": (edit(set_weight("layers.2.neurons.0.b", 0.5)), r"unexpected 1 \['layers\.2\.neurons\.0\.b'\]"),
    "weights of another shape": (edit(lambda d: d["architecture"]["config"].__setitem__("nouts", [3, 1])),
                                 "do not fit the architecture"),
    "weight as text": (edit(set_weight("layers.0.neurons.0.w.0", "0.5")), r"'layers\.0\.neurons\.0\.w\.0'.*finite"),
    "weight as bool": (edit(set_weight("layers.0.neurons.0.w.0", True)), "must be a finite number, got True"),
    "weight null": (edit(set_weight("layers.0.neurons.0.w.0", None)), "must be a finite number, got None"),
    "weights not an object": (edit(lambda d: d.__setitem__("state_dict", [1.0, 2.0])), "'state_dict' must be"),
    "NaN token": (edit(set_weight("layers.0.neurons.0.w.0", 12345.5)).replace("12345.5", "NaN"),
                  "non-finite number NaN"),
    "overflowing number": (edit(set_weight("layers.0.neurons.0.w.0", 12345.5)).replace("12345.5", "1e999"),
                           "must be a finite number, got inf"),
}  # fmt: skip


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_is_a_value_error_that_says_why_and_the_file_is_untouched(tmp_path, name):
    text, message = BAD_FILES[name]
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        nn.load(path)
    assert snapshot(tmp_path) == {"m.json": text.encode("utf-8")}


def test_the_good_document_used_above_does_load(tmp_path):
    """The bad files are each one edit away from this one, so each error comes from that edit alone."""
    document = good_document()
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert nn.load(path).state_dict() == document["state_dict"]


def test_integer_weights_in_a_hand_written_file_load_as_floats(tmp_path):
    document = good_document()
    document["state_dict"] = {k: 1 for k in document["state_dict"]}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    values = list(nn.load(path).state_dict().values())
    assert values == [1.0] * len(values) and all(type(v) is float for v in values)


# --- files that would have crashed or exhausted the loader ----------------------------------------------------


def test_a_config_far_bigger_than_its_weights_is_refused_before_any_model_is_built(tmp_path, monkeypatch):
    # The 251-byte file asked for nin=100000000: the model was built (40 s, 3 GB) before any check.
    text = ('{"format": "chaingrad", "version": 1, "architecture": {"class": "MLP", "config": '
            '{"nin": 100000000, "nouts": [1]}}, "state_dict": {"layers.0.neurons.0.w.0": 0.5, '
            '"layers.0.neurons.0.b": 0.0}}')  # fmt: skip
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    built = []
    monkeypatch.setattr(nn.Neuron, "__init__", lambda self, *a, **k: built.append(a))
    with pytest.raises(ValueError, match=r"does not fit|do not fit") as info:
        nn.load(path)
    assert "makes 100000001 parameters, the file holds 2 weights" in str(info.value)
    assert str(path) in str(info.value)
    assert built == []


def deep_nesting() -> bytes:
    return ('{"format": "chaingrad", "version": 1, "architecture": ' + "[" * 100_000 + "]" * 100_000
            + ', "state_dict": {}}').encode()  # fmt: skip


MALFORMED = {
    "1000-deep nesting": (deep_nesting, "nested too deeply"),
    "nesting in the config": (lambda: edit(lambda d: d["architecture"]["config"].__setitem__(
        "nouts", json.loads("[" * 500 + "]" * 500))).encode(), "bad MLP config"),
    "class as a list": (lambda: edit(lambda d: d["architecture"].__setitem__("class", ["MLP"])).encode(),
                        r"unknown model class \['MLP'\]"),
    "a weight of 10**400": (lambda: edit(set_weight("layers.0.neurons.0.w.0", 10**400)).encode(),
                            r"weight 'layers\.0\.neurons\.0\.w\.0' must be a finite number, got an integer of 401"),
    "nin of 10**400": (lambda: edit(lambda d: d["architecture"]["config"].__setitem__("nin", 10**400)).encode(),
                       "do not fit the architecture"),
    "a size of 10**5000 digits": (lambda: edit(set_weight("layers.0.neurons.0.w.0", 12345.5)).replace(
        "12345.5", "1" * 5000).encode(), "digits"),
    "not UTF-8": (lambda: b'{"format": "chaingrad", "version": 1, "\xff\xfe": 0}', r"not UTF-8 text.*byte 39 .*xff"),
    "UTF-16": (lambda: json.dumps(good_document()).encode("utf-16"), "not UTF-8 text"),
    "dropout as null": (lambda: edit(lambda d: d["architecture"]["config"].__setitem__("dropout", None)).encode(),
                        "dropout must be a number between 0 and 1, got None"),
    "nouts of lists": (lambda: edit(lambda d: d["architecture"]["config"].__setitem__("nouts", [[2], [1]])).encode(),
                       r"nouts\[0\] must be an int"),
    "missing nin": (lambda: edit(lambda d: d["architecture"]["config"].pop("nin")).encode(), "nin"),
    "extra state of a model without dropout": (lambda: edit(lambda d: d.__setitem__(
        "extra_state", {"dropout": {"rng_state": {}}})).encode(), r"bad extra_state.*unexpected \['dropout'\]"),
}  # fmt: skip


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_file_is_a_plain_value_error_naming_the_file_and_the_problem(tmp_path, name):
    make, message = MALFORMED[name]
    content = make()
    path = tmp_path / "m.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        nn.load(path)
    assert type(info.value) is ValueError  # not a UnicodeDecodeError, which is a ValueError without the path
    assert str(path) in str(info.value)
    assert len(str(info.value)) < 1000  # a short message, even for a huge config
    assert snapshot(tmp_path) == {"m.json": content}


def test_loading_a_model_of_100k_parameters_is_linear_not_quadratic(tmp_path):
    # Each weight's name was looked up in a set rebuilt from all the names: 100k parameters took minutes. Now
    # it is well under a second; the bound here is loose, for a busy machine, and in CPU time of this process.
    model = nn.MLP(100, [400, 150, 1], seed=0)
    assert model.num_parameters() == 100_701
    path = tmp_path / "m.json"
    model.save(path)
    start = time.process_time()
    loaded = nn.load(path)
    seconds = time.process_time() - start
    assert loaded.state_dict() == model.state_dict()
    assert seconds < 5.0, f"nn.load of 100k parameters took {seconds:.2f} s of CPU"


# --- a process killed while saving ------------------------------------------------------------------------------

# A child process that starts saving a model to argv[1], writes half the file, says so, and waits to be killed.
STUCK_SAVER = """
import json, sys, time
import nn
from nn import io as nn_io

def half_then_wait(document, f, **kwargs):
    text = json.dumps(document, **kwargs)
    f.write(text[: len(text) // 2])
    f.flush()
    print("half written", flush=True)
    time.sleep(120)

nn_io.json.dump = half_then_wait
nn.MLP(2, [3, 1], seed=5).save(sys.argv[1])
"""

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_stuck_saver(path) -> subprocess.Popen:
    """A saver process that is in the middle of writing `path`'s temporary file when this returns."""
    env = {**os.environ, "PYTHONPATH": REPO}
    child = subprocess.Popen([sys.executable, "-c", STUCK_SAVER, str(path)], stdout=subprocess.PIPE, text=True,
                             cwd=REPO, env=env)  # fmt: skip
    assert child.stdout.readline() == "half written\n"
    return child


def temporaries(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL") or importlib.util.find_spec("fcntl") is None, reason="POSIX only")
def test_a_save_cleans_up_after_savers_killed_by_sigkill_and_the_file_is_whole(tmp_path):
    path = tmp_path / "m.json"
    for _ in range(3):
        child = start_stuck_saver(path)  # each one's save first removes what the one before it left
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
        assert len(temporaries(tmp_path)) == 1  # what the issue saw pile up: no `finally` runs after SIGKILL
    model = nn.MLP(2, [3, 1], seed=6)
    model.save(path)
    assert snapshot(tmp_path).keys() == {"m.json"}
    assert nn.load(path).state_dict() == model.state_dict()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL") or importlib.util.find_spec("fcntl") is None, reason="POSIX only")
def test_a_save_leaves_the_temporary_file_of_a_saver_still_at_work_alone(tmp_path):
    path = tmp_path / "m.json"
    child = start_stuck_saver(path)
    try:
        at_work = temporaries(tmp_path)
        assert len(at_work) == 1
        nn.MLP(2, [1], seed=7).save(path)
        nn.MLP(2, [1], seed=7).save(tmp_path / "other.json")  # another file's save never looks at it either
        assert temporaries(tmp_path) == at_work
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    nn.MLP(2, [1], seed=8).save(path)  # its writer is dead now
    assert temporaries(tmp_path) == []
