"""Saving and loading a model as JSON: its architecture and its weights, written so a crash never leaves half a file.

The file is plain JSON a person can read (never pickle, which runs code when loaded):

    {"format": "chaingrad", "version": 1,
     "architecture": {"class": "MLP", "config": {"nin": 2, "nouts": [16, 16, 1], ...}},
     "state_dict": {"layers.0.neurons.0.w.0": 0.123..., ...}}

Weights round-trip exactly: JSON stores each float as its shortest repr, which Python reads back to the same
float. Non-finite weights (nan, inf) are refused with a ValueError on saving: they mean training diverged,
and standard JSON has no way to write them. Loading refuses them too (Python's json would accept `NaN` or
`1e999`), so a loaded model always holds finite numbers.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Callable
from typing import Any, TextIO

from nn.layers import MLP
from nn.module import Module

FORMAT = "chaingrad"
VERSION = 1

# Class name written in the file -> the class that rebuilds it from its config.
ARCHITECTURES: dict[str, type[Module]] = {"MLP": MLP}

_FIELDS = ("format", "version", "architecture", "state_dict")

PathLike = str | os.PathLike


def _document(model: Module) -> dict[str, Any]:
    """The JSON-ready description of model, after checking it can be saved and read back."""
    name = type(model).__name__
    if ARCHITECTURES.get(name) is not type(model) or not isinstance(getattr(model, "config", None), dict):
        raise TypeError(
            f"only MLP-like models with a config can be saved ({', '.join(ARCHITECTURES)}), got {name}; "
            "for other modules save model.state_dict() yourself"
        )
    state = model.state_dict()
    bad = [k for k, v in state.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"cannot save non-finite weights (did training diverge?): {', '.join(bad)}")
    return {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {"class": name, "config": model.config},
        "state_dict": state,
    }


def save(model: Module, path: PathLike) -> None:
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
    whatever was at `path` before is untouched.
    """
    path = os.fspath(path)
    directory, filename = os.path.split(os.path.abspath(path))
    temp = os.path.join(directory, f".{filename}.{uuid.uuid4().hex[:8]}.tmp")
    # os.open with mode 0o666 lets the user's umask decide the permissions, as for any newly created file.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.remove(temp)
        except FileNotFoundError:
            pass
        raise


def _refuse_constant(token: str) -> float:
    raise ValueError(f"non-finite number {token} in the file; saved models hold finite weights only")


def _read_document(path: str) -> dict[str, Any]:
    """The file's JSON object, or a ValueError saying why it is not one."""
    with open(path, encoding="utf-8") as f:  # a missing file raises FileNotFoundError here
        text = f.read()
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON (corrupt or truncated?): {e}") from None
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise ValueError(f"{path} does not hold a chaingrad model: expected a JSON object, got {kind}")
    return document


def _check_header(document: dict[str, Any], path: str) -> None:
    missing = [k for k in _FIELDS if k not in document]
    extra = [k for k in document if k not in _FIELDS]
    if document.get("format") != FORMAT:
        found = document.get("format")
        raise ValueError(f"{path} is not a chaingrad model file (format {found!r}, expected {FORMAT!r})")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(f"{path}: unknown format version {version!r}; this chaingrad reads version {VERSION}")
    if missing or extra:
        raise ValueError(f"{path}: missing field(s) {missing}, unexpected field(s) {extra}; expected {list(_FIELDS)}")


def _build(architecture: object, path: str) -> Module:
    """A fresh model of the saved class and config (its weights still the initial ones)."""
    if not isinstance(architecture, dict) or set(architecture) != {"class", "config"}:
        raise ValueError(f"{path}: 'architecture' must be an object with exactly 'class' and 'config'")
    name, config = architecture["class"], architecture["config"]
    if name not in ARCHITECTURES:
        raise ValueError(f"{path}: unknown model class {name!r}; known: {', '.join(ARCHITECTURES)}")
    if not isinstance(config, dict):
        raise ValueError(f"{path}: the {name} config must be an object, got {type(config).__name__}")
    try:
        return ARCHITECTURES[name](**config)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: bad {name} config {config!r}: {e}") from None


def _check_weights(state: object, model: Module, path: str) -> dict[str, float]:
    """The saved weights, checked to be exactly the model's parameters, each a finite number."""
    if not isinstance(state, dict):
        raise ValueError(f"{path}: 'state_dict' must be an object of name -> number, got {type(state).__name__}")
    names = [name for name, _ in model.named_parameters()]
    missing = [k for k in names if k not in state]
    unexpected = [k for k in state if k not in set(names)]
    if missing or unexpected:
        raise ValueError(
            f"{path}: the weights do not fit the architecture: missing {len(missing)} {missing[:5]}, "
            f"unexpected {len(unexpected)} {unexpected[:5]}"
        )
    for k, v in state.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{path}: weight {k!r} must be a finite number, got {v!r}")
    return {k: float(v) for k, v in state.items()}


def load(path: PathLike) -> Module:
    """Read a model written by save(): a new model with the saved architecture and exactly the saved weights.

    A missing file raises FileNotFoundError; anything else wrong with it (not JSON, another format or version,
    unknown class, bad config, missing or extra weights) raises ValueError saying what, and the file is only read.
    """
    path = os.fspath(path)
    document = _read_document(path)
    _check_header(document, path)
    model = _build(document["architecture"], path)
    model.load_state_dict(_check_weights(document["state_dict"], model, path))
    return model
