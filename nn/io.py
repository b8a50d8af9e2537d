"""Saving and loading a model as JSON: its architecture and its weights, written so a crash never leaves half a file.

The file is plain JSON a person can read (never pickle, which runs code when loaded):

    {"format": "chaingrad", "version": 1,
     "architecture": {"class": "MLP", "config": {"nin": 2, "nouts": [16, 16, 1], ...}},
     "state_dict": {"layers.0.neurons.0.w.0": 0.123..., ...},
     "extra_state": {"dropout": {"rng_state": {...}}}}

Weights round-trip exactly: JSON stores each float as its shortest repr, which Python reads back to the same
float. Non-finite weights (nan, inf) are refused with a ValueError on saving: they mean training diverged,
and standard JSON has no way to write them. Loading refuses them too (Python's json would accept `NaN` or
`1e999`), so a loaded model always holds finite numbers. "extra_state" is there only when the model has
state beyond its weights (`Module.extra_state_dict()`: an MLP with dropout keeps its mask generator's state),
so a loaded model resumes training exactly where the saved one stopped.

Loading checks the file before it builds anything: a config whose sizes make far more parameters than the
file holds weights is refused at once, so a small file cannot ask for a model of a hundred million weights.
Anything wrong with a file is a ValueError naming it and the problem.

This module knows the file format, not the models: a model class joins by decorating itself with
`@register_architecture` (as nn.layers does for MLP), so nn.io imports no other part of nn but the collector
switch (nn/collector.py).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import reprlib
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TextIO, TypeVar

try:
    import fcntl  # POSIX advisory locks: a temporary file whose lock is free has lost its writer
except ImportError:  # Windows: no fcntl, so an abandoned temporary file stays until removed by hand
    fcntl = None  # type: ignore[assignment]

from nn.collector import cycle_collector_paused

FORMAT = "chaingrad"
VERSION = 1

_FIELDS = ("format", "version", "architecture", "state_dict")  # in every file
_OPTIONAL_FIELDS = ("extra_state",)  # only when the model has state beyond its weights

PathLike = str | os.PathLike


class Model(Protocol):
    """What nn.io needs of a model (an nn.Module; a saved one also has a `config` dict): its numbers, and
    setters for them."""

    def state_dict(self) -> dict[str, float]: ...
    def load_state_dict(self, state_dict: Mapping[str, float], strict: bool = True) -> Any: ...
    def extra_state_dict(self) -> dict[str, Any]: ...
    def load_extra_state_dict(self, extra_state: Mapping[str, Any]) -> None: ...
    def named_parameters(self) -> list[tuple[str, Any]]: ...


ModelClass = TypeVar("ModelClass", bound=type)

# Class name written in the file -> the class that rebuilds it from its config (filled by register_architecture).
ARCHITECTURES: dict[str, type] = {}


def register_architecture(cls: ModelClass) -> ModelClass:
    """Class decorator: nn.load may rebuild `cls` by name, as cls(**config).

    The class keeps `self.config` (its constructor's keyword arguments, plain JSON values) and has a static
    `num_parameters_for(config)`, its parameter count from the config alone, so loading can check a file's
    sizes against its weights before building anything.
    """
    if not callable(getattr(cls, "num_parameters_for", None)):
        raise TypeError(f"{cls.__name__} needs a static num_parameters_for(config) to be loadable by name")
    ARCHITECTURES[cls.__name__] = cls
    return cls


# ---------------------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------------------


def _document(model: Model) -> dict[str, Any]:
    """The JSON-ready description of model, after checking it can be saved and read back."""
    name = type(model).__name__
    config = getattr(model, "config", None)
    if ARCHITECTURES.get(name) is not type(model) or not isinstance(config, dict):
        raise TypeError(
            f"only MLP-like models with a config can be saved ({', '.join(ARCHITECTURES)}), got {name}; "
            "for other modules save model.state_dict() yourself"
        )
    state = model.state_dict()
    bad = [k for k, v in state.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"cannot save non-finite weights (did training diverge?): {', '.join(bad)}")
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {"class": name, "config": config},
        "state_dict": state,
    }
    extra_state = model.extra_state_dict()
    if extra_state:
        document["extra_state"] = extra_state
    return document


def save(model: Model, path: PathLike) -> None:
    """Write model (architecture + weights) to path as JSON, atomically: the old file stays until the new one is whole.

    The text goes to a temporary file in the same directory, is flushed to disk, then renamed over `path` in
    one step (os.replace). If anything fails on the way, the temporary file is removed and `path` is untouched.
    """
    document = _document(model)  # every check happens before any file is opened

    def write(f: TextIO) -> None:
        json.dump(document, f, indent=1, allow_nan=False)
        f.write("\n")

    write_atomically(path, write)


def write_atomically(path: PathLike, write: Callable[[TextIO], None]) -> None:
    """Call write(f) on a new temporary file beside `path`, flush it to disk, then rename it over `path`.

    A reader never sees half a file, and on any failure (even Ctrl-C) the temporary file is removed and
    whatever was at `path` before is untouched. A process killed outright (SIGKILL, power cut) cannot clean
    up: its temporary file stays, and the next write to the same path removes it. The writer holds a lock on
    its temporary file until the rename, which the system releases when a process dies, so only abandoned
    ones are removed, never one that another process is still writing.
    """
    path = os.fspath(path)
    directory, filename = os.path.split(os.path.abspath(path))
    _remove_abandoned_temporaries(directory, filename)
    fd, temp = _create_locked_temporary(directory, filename)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
            if fcntl is not None:
                os.replace(temp, path)  # still locked: no one can take it for abandoned before it is renamed
        if fcntl is None:
            os.replace(temp, path)  # Windows cannot rename a file that is still open
    except BaseException:
        try:
            os.remove(temp)
        except FileNotFoundError:
            pass
        raise


def _temporary_name(filename: str) -> str:
    return f".{filename}.{uuid.uuid4().hex[:8]}.tmp"


def _is_temporary_of(name: str, filename: str) -> bool:
    return re.fullmatch(rf"\.{re.escape(filename)}\.[0-9a-f]{{8}}\.tmp", name) is not None


def _create_locked_temporary(directory: str, filename: str) -> tuple[int, str]:
    """(descriptor, path) of a new temporary file beside filename, locked (where locks exist) for its writer."""
    while True:
        temp = os.path.join(directory, _temporary_name(filename))
        # os.open with mode 0o666 lets the user's umask decide the permissions, as for any newly created file.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        if fcntl is None:
            return fd, temp
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another save took it for abandoned in the instant before the lock: it removes it
            os.close(fd)
            continue
        except OSError:  # a file system without locks (some network ones): written unlocked, as without fcntl
            return fd, temp
        # Between creating and locking, another save may have taken the file for abandoned and removed it.
        try:
            if os.path.samestat(os.fstat(fd), os.stat(temp)):
                return fd, temp
        except FileNotFoundError:
            pass
        os.close(fd)  # removed: take a new name


def _remove_abandoned_temporaries(directory: str, filename: str) -> None:
    """Remove the temporary files of earlier writes to filename whose writer died (their lock is free)."""
    if fcntl is None:
        return
    try:
        names = os.listdir(directory)
    except OSError:
        return  # a missing directory: creating the new file reports it
    for name in names:
        if not _is_temporary_of(name, filename):
            continue
        temp = os.path.join(directory, name)
        try:
            fd = os.open(temp, os.O_RDONLY)
        except OSError:
            continue  # gone already, or not ours to read
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while its writer is alive
            if os.path.samestat(os.fstat(fd), os.stat(temp)):  # still that file under that name
                os.remove(temp)
        except OSError:
            pass  # in use, renamed or removed meanwhile, or not ours to remove: leave it
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------


def _refuse_constant(token: str) -> float:
    raise ValueError(f"non-finite number {token} in the file; saved models hold finite weights only")


def _read_document(path: str) -> dict[str, Any]:
    """The file's JSON object, or a ValueError saying why it is not one."""
    with open(path, "rb") as f:  # a missing file raises FileNotFoundError here
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text, so not a chaingrad model: byte {e.start} is "
                         f"{raw[e.start:e.start + 1]!r} ({e.reason})") from None  # fmt: skip
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON (corrupt or truncated?): {e}") from None
    except RecursionError:
        raise ValueError(f"{path}: the JSON is nested too deeply to be a chaingrad model") from None
    except ValueError as e:  # a non-finite constant, or an integer with too many digits
        raise ValueError(f"{path}: {e}") from None
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise ValueError(f"{path} does not hold a chaingrad model: expected a JSON object, got {kind}")
    return document


def _check_header(document: dict[str, Any], path: str) -> None:
    missing = [k for k in _FIELDS if k not in document]
    extra = [k for k in document if k not in _FIELDS + _OPTIONAL_FIELDS]
    if document.get("format") != FORMAT:
        found = document.get("format")
        raise ValueError(f"{path} is not a chaingrad model file (format {_short(found)}, expected {FORMAT!r})")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(f"{path}: unknown format version {_short(version)}; this chaingrad reads version {VERSION}")
    if missing or extra:
        raise ValueError(f"{path}: missing field(s) {missing}, unexpected field(s) {_short(extra)}; "
                         f"expected {list(_FIELDS)}")  # fmt: skip


def _weights(state: object, path: str) -> dict[str, float]:
    """The file's weights as floats, each checked to be a finite number (one pass: linear in their count)."""
    if not isinstance(state, dict):
        raise ValueError(f"{path}: 'state_dict' must be an object of name -> number, got {type(state).__name__}")
    weights = {}
    for k, v in state.items():
        number = math.nan
        if type(v) in (int, float):  # not a bool, a string, null, a list...
            try:
                number = float(v)
            except OverflowError:  # an integer beyond the floats: 10**400
                number = math.inf
        if not math.isfinite(number):
            shown = f"an integer of {len(str(v))} digits" if type(v) is int else _short(v)
            raise ValueError(f"{path}: weight {_short(k)} must be a finite number, got {shown}")
        weights[k] = number
    return weights


def _architecture(architecture: object, n_weights: int, path: str) -> tuple[type, dict[str, Any]]:
    """(the saved class, its config), checked to name a known class whose config could fit n_weights weights.

    Nothing is built here: the parameter count comes from the config's sizes alone. A count that does not match
    is refused at once when building the model would cost more than reading the file did (over twice as many
    parameters as weights, plus a thousand); a near miss is left to _load_weights, which names the weights.
    """
    if not isinstance(architecture, dict) or set(architecture) != {"class", "config"}:
        raise ValueError(f"{path}: 'architecture' must be an object with exactly 'class' and 'config'")
    name, config = architecture["class"], architecture["config"]
    if not isinstance(name, str) or name not in ARCHITECTURES:
        raise ValueError(f"{path}: unknown model class {_short(name)}; known: {', '.join(ARCHITECTURES)}")
    if not isinstance(config, dict):
        raise ValueError(f"{path}: the {name} config must be an object, got {type(config).__name__}")
    cls = ARCHITECTURES[name]
    try:
        inspect.signature(cls).bind(**config)  # unknown or missing arguments, before any size is read
        expected = cls.num_parameters_for(config)  # type: ignore[attr-defined]
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: bad {name} config {_short(config)}: {e}") from None
    if expected > 2 * n_weights + 1000:
        raise ValueError(f"{path}: the weights do not fit the architecture: its config {_short(config)} "
                         f"makes {expected} parameters, the file holds {n_weights} weights; "
                         f"the model is not built")  # fmt: skip
    return cls, config


_REPR = reprlib.Repr()  # a file may hold a list of a million sizes, nested a thousand deep, or a 1 MB name
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxstring, _REPR.maxlong = 3, 10, 6, 60, 40


def _short(value: object) -> str:
    """repr(value), cut short where it is long or deep (reprlib's rules), for an error message."""
    return _REPR.repr(value)


def _build(cls: type, config: dict[str, Any], path: str) -> Model:
    """A fresh model of the saved class and config (its weights still the initial ones)."""
    try:
        return cls(**config)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: bad {cls.__name__} config {_short(config)}: {e}") from None


def _load_weights(weights: dict[str, float], model: Model, path: str) -> None:
    """Copy the saved weights into the fresh model; their names must be exactly its parameters' names.

    One call of load_state_dict both applies the weights and reports what did not fit (one walk over the
    parameters, not two). On a mismatch the half-loaded model is thrown away with the error.
    """
    skipped = model.load_state_dict(weights, strict=False)
    missing, unexpected = skipped.missing_keys, skipped.unexpected_keys
    if missing or unexpected:
        raise ValueError(
            f"{path}: the weights do not fit the architecture: missing {len(missing)} {missing[:5]}, "
            f"unexpected {len(unexpected)} {_short(unexpected[:5])}"
        )


def load(path: PathLike) -> Any:
    """Read a model written by save(): a new model with the saved architecture and exactly the saved weights.

    A missing file raises FileNotFoundError; anything else wrong with it (not UTF-8 or not JSON, another format
    or version, unknown class, bad config, sizes that do not match the weights, missing or extra weights, a
    bad extra state) raises ValueError naming the file and the problem, before any model is built where the
    file alone shows it; the file is only read.
    """
    path = os.fspath(path)
    # The parsed file and the model are a few objects per weight, none in a reference cycle: nn/collector.py.
    with cycle_collector_paused():
        document = _read_document(path)
        _check_header(document, path)
        weights = _weights(document["state_dict"], path)
        cls, config = _architecture(document["architecture"], len(weights), path)
        model = _build(cls, config, path)
        _load_weights(weights, model, path)
        if "extra_state" in document:
            try:
                model.load_extra_state_dict(document["extra_state"])
            except (TypeError, ValueError) as e:
                raise ValueError(f"{path}: bad extra_state: {e}") from None
        del document, weights  # freed now, before the collector is back
    return model
