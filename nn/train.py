"""fit: the training loop (forward, loss, zero_grad, backward, step) over epochs of mini-batches, and accuracy.

    >>> from nn import MLP, make_moons, fit, accuracy
    >>> X, y = make_moons(100, noise=0.1, seed=0)
    >>> model = MLP(2, [16, 16, 1], seed=0)
    >>> history = fit(model, X, y, loss="hinge", epochs=50, progress=False)
    >>> accuracy(model, X, y) > 0.9
    True

One step is the five lines every PyTorch tutorial repeats: run the model on a mini-batch, measure the loss,
clear the old gradients, backpropagate, let the optimizer move the weights. `fit` repeats it for every
mini-batch of every epoch, steps the learning-rate schedule once per epoch, and keeps a `History`.
"""

from __future__ import annotations

import importlib.util
import numbers
import os
import reprlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import autograd
from autograd import Value
from nn import functional as F
from nn import optim
from nn.checks import check_bool, check_int, describe, from_array, generator, is_real
from nn.collector import cycle_collector_paused
from nn.data import DataLoader
from nn.module import Module

if importlib.util.find_spec("ipywidgets") is not None:
    from tqdm.auto import tqdm  # a widget bar in Jupyter, a text bar elsewhere
else:
    from tqdm import tqdm  # without ipywidgets Jupyter cannot draw the widget: a text bar everywhere

Output = Value | Sequence[Value]  # what a model returns for one sample: one Value, or one per class
LossFn = Callable[[list[Any], list[Any]], Value]


# ---------------------------------------------------------------------------------------------------------
# Named losses: each takes the model's outputs over a mini-batch and the targets, and returns one Value.
# ---------------------------------------------------------------------------------------------------------


def _single(output: Any) -> Any:
    """The one output of a single-output model, whether it came back as a Value or as a list of one."""
    if isinstance(output, Value):
        return output
    if len(output) != 1:
        raise ValueError(f"this loss needs a model with one output, got {len(output)} outputs per sample")
    return output[0]


def _cross_entropy(outputs: list[Any], targets: list[Any]) -> Value:
    rows = [[o] if isinstance(o, Value) else o for o in outputs]
    return F.cross_entropy(rows, targets)


def _bce_with_logits(outputs: list[Any], targets: list[Any]) -> Value:
    return F.binary_cross_entropy_with_logits([_single(o) for o in outputs], [float(t) for t in targets])


def _side(t: Any) -> float:
    """The margin side of a hinge target: +1 for the label 1; -1 for 0 (0/1 labels) or -1 (micrograd's ±1)."""
    return 1.0 if t == 1 else -1.0


def _hinge(outputs: list[Any], targets: list[Any]) -> Value:
    # mean of relu(1 - side·s): class 1 wants a score s >= 1, class 0 (or -1) a score s <= -1.
    return F.hinge_loss([_single(o) for o in outputs], [_side(t) for t in targets])


def _mse(outputs: list[Any], targets: list[Any]) -> Value:
    # A model with several outputs regresses a vector per sample: compare them all, entry by entry.
    flat_out: list[Any] = []
    flat_target: list[float] = []
    for o, t in zip(outputs, targets):
        o = [o] if isinstance(o, Value) else list(o)
        t = list(t) if isinstance(t, Sequence) else [t]
        if len(o) != len(t):
            raise ValueError(f"loss='mse' needs one target entry per model output: a sample has {len(o)} "
                             f"output(s) but its target {reprlib.repr(t)} has {len(t)} entries")  # fmt: skip
        flat_out.extend(o)
        flat_target.extend(float(v) for v in t)
    return F.mse_loss(flat_out, flat_target)


# name -> (loss over a mini-batch, the targets it accepts or None for any, the output threshold for accuracy)
LOSSES: dict[str, tuple[LossFn, str | None, float]] = {
    "cross_entropy": (_cross_entropy, "class indices 0, 1, ..., n_classes - 1", 0.0),
    "bce_with_logits": (_bce_with_logits, "0 or 1", 0.0),  # logit > 0 <=> probability > 1/2
    "hinge": (_hinge, "0 or 1, or -1 and +1 (micrograd's labels)", 0.0),  # score > 0: class 1, the +1 side
    "mse": (_mse, None, 0.5),  # a regression onto 0/1 labels: closer to 1 than to 0 is class 1
}


def _check_targets(loss: str, y: Sequence[Any], name: str) -> None:
    """Fail early, before any training, when the labels do not fit the named loss."""
    for i, t in enumerate(y):  # NumPy's numbers pass as Python's (numbers.Real, numbers.Integral), bools never
        if loss == "mse":
            ok = is_real(t) or (isinstance(t, Sequence) and not isinstance(t, (str, bytes))
                                and all(is_real(v) for v in t))  # fmt: skip
        elif loss == "cross_entropy":
            ok = _is_label(t) and t >= 0
        else:
            ok = is_real(t) and t in ((-1, 0, 1) if loss == "hinge" else (0, 1))
        if not ok:
            allowed = LOSSES[loss][1] or "numbers (or lists of numbers)"
            raise ValueError(f"loss={loss!r} needs targets that are {allowed}; {name}[{i}] is {t!r}")
    if loss == "hinge":  # one convention per set of labels: a 0 and a -1 cannot both mean "the other class"
        zero = next((i for i, t in enumerate(y) if t == 0), None)
        minus = next((i for i, t in enumerate(y) if t == -1), None)
        if zero is not None and minus is not None:
            raise ValueError(f"loss='hinge' needs targets that are all 0 or 1, or all -1 or +1, not both: "
                             f"{name}[{zero}] is {y[zero]!r} and {name}[{minus}] is {y[minus]!r}")  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Predictions and accuracy
# ---------------------------------------------------------------------------------------------------------


def _class_of(output: Any, threshold: float, negative: int = 0) -> int:
    """argmax of the outputs (first maximum, like torch.argmax); one output: 1 when it is above threshold,
    else `negative` (0, or -1 for labels -1/+1)."""
    if isinstance(output, Value):
        output = output.data
    if isinstance(output, float):  # one output's number (nn.outputs)
        return 1 if output > threshold else negative
    scores = [getattr(o, "data", o) for o in output]
    if len(scores) == 1:
        return 1 if scores[0] > threshold else negative
    best = 0
    for k in range(1, len(scores)):
        if scores[k] > scores[best]:
            best = k
    return best


def _negative_label(y: Sequence[Any]) -> int:
    """-1 when the labels are micrograd's -1/+1 (all of them ±1, some -1), else 0: the name of "not class 1"."""
    return -1 if any(t == -1 for t in y) and all(t == -1 or t == 1 for t in y) else 0


def _modes(model: Module) -> list[tuple[Module, bool]]:
    """Every sub-module's train/eval flag, to put back exactly as it was (dropout may be off on its own)."""
    return [(m, m.training) for m in model.modules()]


def _restore(modes: list[tuple[Module, bool]]) -> None:
    for m, training in modes:
        m.training = training


def _check_model(model: Any) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nn.Module (e.g. nn.MLP), got {type(model).__name__}")


def _check_samples(X: Any, y: Any, names: tuple[str, str] = ("X", "y")) -> None:
    for name, value in zip(names, (X, y)):
        if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
            raise TypeError(f"{name} must be a list with one entry per sample, got {type(value).__name__}")
    if len(X) != len(y):
        raise ValueError(f"{names[0]} and {names[1]} must have the same length, "
                         f"got {len(X)} and {len(y)}")  # fmt: skip
    if len(X) == 0:
        raise ValueError(f"{names[0]} and {names[1]} are empty: there is nothing to learn from or to score")


def _outputs(model: Module, X: Sequence[Any]) -> list[Any]:
    """model(x) for every x: one call for all of them where the model takes batches (the same nodes, faster)."""
    if model.takes_batches and autograd.is_batch(X):
        return model(X)
    return [model(x) for x in X]


@contextmanager
def _evaluating(model: Module) -> Iterator[None]:
    """Eval mode (dropout off) inside the block; every sub-module's own mode put back after it."""
    modes = _modes(model)
    model.eval()
    try:
        yield
    finally:
        _restore(modes)


def _evaluate_outputs(model: Module, X: Sequence[Any]) -> list[Any]:
    """model(x) for every x, in eval mode (dropout off) and without building a graph; modes restored."""
    with _evaluating(model), autograd.no_grad():
        return _outputs(model, X)


COMPILE_FROM = 1024  # samples: from about here a compiled forward repays its tracing (benchmarks/wide_step.py)


def outputs(model: Module, X: Sequence[Any], compile: bool | None = None) -> list[Any]:
    """The numbers model(x) gives for each x in X: a float for a one-Value output, else a list of floats.

    Runs in eval mode (dropout off) without building a graph, and leaves the model's modes as they were.
    compile=True runs the forward pass as a program generated for this call (autograd.compile: traced once,
    then plain Python over the samples, several times faster); False runs the eager engine; None, the
    default, compiles when X has at least COMPILE_FROM samples and the model can be traced, else runs eagerly.
    """
    _check_model(model)
    X = from_array(X, "X")
    if not isinstance(X, Sequence) or isinstance(X, (str, bytes)):
        raise TypeError(f"X must be a list with one entry per sample, got {type(X).__name__}")
    if compile is not None:
        compile = check_bool("compile", compile)
    if compile or (compile is None and len(X) >= COMPILE_FROM):
        try:
            return _compiled_outputs(model, X)
        except (autograd.TracingError, TypeError, ValueError):
            if compile:  # asked for: say why it cannot be (eager would give the same numbers, slower)
                raise
    return [o.data if isinstance(o, Value) else [v.data for v in o] for o in _evaluate_outputs(model, X)]


def _compiled_outputs(model: Module, X: Sequence[Any]) -> list[Any]:
    if not len(X):
        return []
    with _evaluating(model):  # traced in eval mode: the program is the model's evaluation
        program = autograd.compile(lambda x: model(x), per_sample=True, parameters=model.named_parameters())
        return program.forward(list(X))  # a float per sample for one Value, a list for a list (of one, too)


def predict(model: Module, X: Sequence[Any], threshold: float = 0.0, negative: int = 0,
            compile: bool | None = None) -> list[int]:  # fmt: skip
    """class(x) = argmax_k model(x)_k, or for a one-output model 1 if model(x) > threshold else `negative`.

    negative: what a one-output model's other class is called, 0 (0/1 labels) or -1 (micrograd's -1/+1).
    Runs in eval mode with no graph built, and leaves the model's modes as they were; `compile` as in
    `outputs` (by default a compiled forward pass from COMPILE_FROM samples on).
    """
    if isinstance(negative, bool) or negative not in (0, -1):
        raise ValueError(f"negative must be 0 (labels 0/1) or -1 (labels -1/+1), got {describe(negative)}")
    return [_class_of(o, threshold, negative) for o in outputs(model, X, compile)]


def accuracy(model: Module, X: Sequence[Any], y: Sequence[int], threshold: float = 0.0,
             compile: bool | None = None) -> float:
    """(1/n) * #{i : predict(model, X)[i] == y[i]}: the fraction of samples whose class is right, in [0, 1].

    The predicted class is the argmax of the outputs, or for a one-output model 1 when the output is above
    `threshold` (0: a logit or a margin score; use 0.5 for a model trained with mse onto 0/1 labels) and the
    other class otherwise, named as y names it: -1 when y holds micrograd's labels -1/+1, else 0.
    """
    _check_model(model)
    X, y = from_array(X, "X"), from_array(y, "y")
    _check_samples(X, y)
    predictions = predict(model, X, threshold, _negative_label(y), compile)
    return sum(p == t for p, t in zip(predictions, y)) / len(y)


# ---------------------------------------------------------------------------------------------------------
# The history and the loop
# ---------------------------------------------------------------------------------------------------------


@dataclass
class History:
    """What `fit` measured, one entry per epoch.

    train_loss[e], train_accuracy[e]: averages over epoch e's mini-batches, measured on the forward passes
    that trained it (before each update, in train mode), like micrograd's demo and Keras report them.
    train_loss is the minimized objective: the loss plus the regularization term if any.
    val_loss[e], val_accuracy[e]: on the validation set after epoch e, in eval mode (no regularization).
    lr[e]: the learning rate used in epoch e. Accuracies stay empty when the targets are not class labels.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        """The number of epochs recorded."""
        return len(self.train_loss)

    def as_dict(self) -> dict[str, list[float]]:
        """{name: per-epoch list}, leaving out what was not measured (so pandas.DataFrame(...) works)."""
        return {name: list(values) for name, values in vars(self).items() if values}

    def plot(self, title: str = "") -> Any:
        """The loss per epoch (training, and validation if measured) and the accuracy per epoch (if measured).

        Returns a matplotlib Figure: a notebook shows it when it is the cell's value, `.savefig(path)` saves it.
        matplotlib is imported here, and only here: without it, an ImportError says how to install it.
        """
        from nn import plot

        return plot.history_figure(self, title=title)


def _resolve_loss(loss: Any) -> tuple[LossFn, str | None, float]:
    """(loss function, its name or None for the user's own, threshold for accuracy)."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(map(repr, LOSSES))}, "
                             f"or pass a function (outputs, targets) -> Value")  # fmt: skip
        fn, _, threshold = LOSSES[loss]
        return fn, loss, threshold
    if callable(loss):
        return loss, None, 0.0
    raise TypeError(f"loss must be a name ({', '.join(map(repr, LOSSES))}) or a function "
                    f"(outputs, targets) -> Value, got {type(loss).__name__}")  # fmt: skip


def _default_loss(model: Module, X: Sequence[Any]) -> str:
    """fit's loss when none is named: "bce_with_logits" for a model with one output, "cross_entropy" for more."""
    (first,) = _evaluate_outputs(model, [X[0]])
    return "bce_with_logits" if isinstance(first, Value) or len(first) == 1 else "cross_entropy"


def _is_label(t: Any) -> bool:
    return isinstance(t, numbers.Integral) and not isinstance(t, bool)


def _checked_loss(value: Any) -> Value:
    """What the loss function returned, if it is a Value that backward() can start from; else a TypeError."""
    if not isinstance(value, Value):
        raise TypeError(f"loss must return a Value (the mini-batch's loss, computed from the outputs it is "
                        f"given), got {describe(value)}")  # fmt: skip
    return value


def _checked_penalty(value: Any) -> Value | float:
    """What regularization(model) returned, if it is a Value or a plain number; else a TypeError."""
    if not (isinstance(value, Value) or is_real(value)):
        raise TypeError(f"regularization must return a Value (e.g. 1e-4 * l2_penalty(model.parameters())), "
                        f"got {describe(value)}")  # fmt: skip
    return value


def _mean_loss(loss_fn: LossFn, outputs: list[Any], targets: list[Any]) -> float:
    value = loss_fn(outputs, targets)
    return float(getattr(value, "data", value))


CompiledStep = tuple[autograd.Compiled, Callable[[Any], Any]]


def _compiled_step(model: Module, loss_name: str | None, regularization: Callable[[Module], Value] | None,
                   X: Sequence[Any]) -> CompiledStep:  # fmt: skip
    """(the compiled training step, which also gives each sample's outputs; how a target becomes its data).

    Each named loss is written per sample, its target as data: a ±1 margin side, a 0/1 label, a one-hot row.
    """
    if loss_name is None:
        raise ValueError("fit(compile=True) works with the named losses ('cross_entropy', 'bce_with_logits', "
                         "'hinge', 'mse'); for your own loss function use compile=False")  # fmt: skip
    if any(m.training and getattr(m, "p", 0.0) > 0.0 for m in model.modules() if type(m).__name__ == "Dropout"):
        raise ValueError("fit(compile=True) cannot compile a model with dropout: its random masks would be traced "
                         "once and then frozen; use compile=False")  # fmt: skip
    with autograd.no_grad():
        first = model(X[0])
    n_outputs = 1 if isinstance(first, Value) else len(first)

    def logits(x: Any) -> list[Value]:
        out = model(x)
        return [out] if isinstance(out, Value) else list(out)

    def per_sample(x: Any, t: Any) -> tuple[Value, list[Value]]:
        z = logits(x)
        return loss_of(z, t), z

    def loss_of(z: list[Value], t: Any) -> Value:
        if loss_name == "hinge":
            return (1.0 - t * _single(z)).relu()
        if loss_name == "bce_with_logits":  # max(s, 0) - s·t + ln(1 + e^-|s|), with no branch on s
            s = _single(z)
            return s.relu() - s * t + (-abs(s)).softplus()
        if loss_name == "cross_entropy":
            return autograd.logsumexp(z) - autograd.dot(t, z)
        return autograd.mean([(o - e) ** 2 for o, e in zip(z, t)])  # mse over this sample's outputs

    def target_data(t: Any) -> Any:
        if loss_name == "hinge":
            return _side(t)
        if loss_name == "cross_entropy":
            return [1.0 if k == t else 0.0 for k in range(n_outputs)]
        if loss_name == "mse":
            return [float(v) for v in t] if isinstance(t, Sequence) else [float(t)]
        return float(t)

    penalty = None if regularization is None else (lambda: Value(0.0) + _checked_penalty(regularization(model)))
    names = model.named_parameters()
    return autograd.compile(per_sample, per_sample=True, penalty=penalty, parameters=names, has_aux=True), target_data


def fit(
    model: Module,
    X: Sequence[Any],
    y: Sequence[Any],
    loss: str | LossFn | None = None,
    optimizer: optim.Optimizer | None = None,
    epochs: int = 10,
    batch_size: int | None = None,
    scheduler: optim.LRScheduler | None = None,
    validation: tuple[Sequence[Any], Sequence[Any]] | None = None,
    progress: bool = True,
    shuffle: bool = True,
    seed: int | None = None,
    regularization: Callable[[Module], Value] | None = None,
    compile: bool = False,  # noqa: A002 - the name torch.compile uses
    plot: bool | str | os.PathLike[str] = False,
) -> History:
    """Minimize L(θ) = loss(model_θ(X_b), y_b) [+ regularization(model)] by one optimizer step per mini-batch b.

    For each epoch: for each mini-batch (all samples when batch_size is None; reshuffled every epoch with a
    generator seeded by `seed` when shuffle): outputs = model(X_b) (one call per batch, or [model(x) for x in
    X_b] for a model without `takes_batches`), L = loss(outputs, y_b)
    (+ regularization(model)), optimizer.zero_grad(), L.backward(), optimizer.step(). Then scheduler.step()
    (once per epoch, after the optimizer, as in PyTorch) and, given validation=(X_val, y_val), the validation
    loss and accuracy in eval mode under no_grad().

    loss: a function (outputs, targets) -> Value over a mini-batch, or a name: "cross_entropy" (a list of
    logits per sample, y class indices), "bce_with_logits" (one output, y 0/1), "hinge" (one output, y 0/1
    taken as -1/+1, or micrograd's -1/+1 as they are), "mse". The default, None, picks by the model's number
    of outputs (read from one forward pass on X[0] in eval mode, without a graph): "bce_with_logits" for one
    output, "cross_entropy" for more. optimizer: default Adam(model.parameters(), lr=1e-2). The model trains in train
    mode; its modes are restored at the end. progress shows a tqdm bar with the running loss and accuracy.
    compile=True runs each step as a program generated by autograd.compile (traced once, the loop over the
    mini-batch inside it: several times faster), with the same History and parameters as eagerly, to rounding.

    plot=True draws the loss and accuracy curves as training goes (with matplotlib, the `demo` extra): in
    Jupyter one picture, redrawn every epoch, with 2-D inputs also the model's class over the plane (redrawn
    every tenth of the epochs); elsewhere a PNG saved at the end, `training.png` in the working directory, and
    fit prints where. plot="path.png" saves there (and draws live in Jupyter too). Plotting reads the model,
    never changes it: the weights come out the same as without.
    """
    # --- check everything before changing anything ---------------------------------------------------------
    _check_model(model)
    X, y = from_array(X, "X"), from_array(y, "y")  # NumPy arrays as lists (nn never imports NumPy)
    _check_samples(X, y)
    if loss is None:
        loss = _default_loss(model, X)
    loss_fn, loss_name, threshold = _resolve_loss(loss)
    epochs = check_int("epochs", epochs, 1)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1)
    progress = check_bool("progress", progress)
    shuffle = check_bool("shuffle", shuffle)
    generator(seed)  # checks the seed now, before anything changes (the DataLoader makes its own)
    if optimizer is None:
        optimizer = optim.Adam(model.parameters(), lr=1e-2)
    elif not isinstance(optimizer, optim.Optimizer):
        raise TypeError(f"optimizer must be an nn.optim optimizer (e.g. optim.SGD(model.parameters(), lr=0.1)), "
                        f"got {type(optimizer).__name__}")  # fmt: skip
    if scheduler is not None:
        if not isinstance(scheduler, optim.LRScheduler):
            raise TypeError(f"scheduler must be an nn.optim schedule (e.g. optim.StepLR), "
                            f"got {type(scheduler).__name__}")  # fmt: skip
        if scheduler.optimizer is not optimizer:
            raise ValueError("scheduler was built on a different optimizer than the one fit() uses")
    if regularization is not None and not callable(regularization):
        raise TypeError(f"regularization must be a function model -> Value (e.g. lambda m: 1e-4 * "
                        f"l2_penalty(m.parameters())), got {type(regularization).__name__}")  # fmt: skip
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError("validation must be a pair (X_val, y_val)")
        validation = (from_array(validation[0], "X_val"), from_array(validation[1], "y_val"))
        _check_samples(validation[0], validation[1], ("X_val", "y_val"))
    if loss_name is not None:
        _check_targets(loss_name, y, "y")
        if validation is not None:
            _check_targets(loss_name, validation[1], "y_val")
    compile = check_bool("compile", compile)
    compiled = None
    if compile:  # traced once per model, loss and regularization: a later fit() call reuses the program
        programs = model.__dict__.setdefault("_compiled_fit", {})
        key = (loss_name, regularization)
        if key not in programs:
            programs[key] = _compiled_step(model, loss_name, regularization, X)
        compiled = programs[key]
    # Accuracy only means something for class labels (not for regression targets).
    classify = all(_is_label(t) for t in y)
    val_classify = validation is not None and all(_is_label(t) for t in validation[1])
    negative = _negative_label(y)  # a one-output model's "not class 1": 0, or -1 for labels -1/+1
    val_negative = _negative_label(validation[1]) if validation is not None else 0
    live = _fit_plot(plot, X, y, classify, epochs)  # no matplotlib: an ImportError now, before any training

    # --- the loop ------------------------------------------------------------------------------------------
    n = len(X)
    size = n if batch_size is None else min(batch_size, n)
    # One batch of everything needs no shuffling: the order of the samples only changes rounding.
    loader = DataLoader(X, y, batch_size=size, shuffle=shuffle and size < n, seed=seed)
    history = History()
    modes = _modes(model)
    bar = tqdm(range(epochs), desc="fit", unit="epoch", disable=not progress, leave=True)
    try:
        for _ in bar:
            model.train()
            history.lr.append(optimizer.lr)
            total_loss, correct, seen = 0.0, 0, 0
            for X_batch, y_batch in loader:
                if compiled is not None:
                    step, target_data = compiled
                    optimizer.zero_grad()
                    batch_loss_value, outputs = step(list(X_batch), [target_data(t) for t in y_batch])
                    optimizer.step()
                    total_loss += batch_loss_value * len(y_batch)
                    if classify:  # the outputs that trained, before the update, as the eager loop counts them
                        correct += sum(_class_of(o, threshold, negative) == t for o, t in zip(outputs, y_batch))
                    seen += len(y_batch)
                    continue
                with cycle_collector_paused():  # a step's graph has no cycles to find: nn/collector.py
                    outputs = _outputs(model, X_batch)
                    batch_loss = _checked_loss(loss_fn(outputs, y_batch))
                    if regularization is not None:
                        batch_loss = batch_loss + _checked_penalty(regularization(model))
                    optimizer.zero_grad()
                    batch_loss.backward()
                    optimizer.step()
                    # Bookkeeping from numbers already computed: no extra forward pass.
                    total_loss += batch_loss.data * len(y_batch)
                    if classify:
                        correct += sum(_class_of(o, threshold, negative) == t for o, t in zip(outputs, y_batch))
                    del outputs, batch_loss  # the step's graph dies here, while the collector is still paused
                seen += len(y_batch)
            if scheduler is not None:
                scheduler.step()
            history.train_loss.append(total_loss / seen)
            postfix = {"loss": f"{total_loss / seen:.4g}"}
            if classify:
                history.train_accuracy.append(correct / seen)
                postfix["acc"] = f"{correct / seen:.3f}"
            if validation is not None:
                X_val, y_val = validation
                val_outputs = _evaluate_outputs(model, X_val)
                with autograd.no_grad():
                    history.val_loss.append(_mean_loss(loss_fn, val_outputs, list(y_val)))
                postfix["val_loss"] = f"{history.val_loss[-1]:.4g}"
                if val_classify:
                    hits = sum(_class_of(o, threshold, val_negative) == t for o, t in zip(val_outputs, y_val))
                    history.val_accuracy.append(hits / len(y_val))
                    postfix["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
            if progress:
                bar.set_postfix(postfix)
            if live is not None:
                live.update(history, model, threshold, last=len(history) == epochs)
    finally:
        bar.close()
        _restore(modes)
    if live is not None:
        live.finish(history)
    return history


class _FitPlot:
    """fit's pictures: nn.plot draws them; this hands it the history and, for 2-D inputs, the model's class on a
    grid around the data, computed in eval mode under no_grad like predict (so the training is not changed)."""

    GRID = 40  # the decision regions: the model's class on a GRID x GRID grid

    def __init__(self, live: Any, X: Sequence[Any], y: Sequence[Any], regions: bool, every: int) -> None:
        from nn import plot

        self.live, self.X, self.y, self.every = live, X, y, every
        self.boundary: Any = None
        self.xs, self.ys = plot.grid(X, self.GRID) if regions else ([], [])
        self.points = [[a, b] for b in self.ys for a in self.xs]

    def update(self, history: History, model: Module, threshold: float, last: bool) -> None:
        """Redraw after an epoch; the regions after the first epoch, every `every` epochs and after the last."""
        if self.points and (last or (len(history) - 1) % self.every == 0):
            classes = [_class_of(o, threshold) for o in _evaluate_outputs(model, self.points)]
            rows = [classes[r * len(self.xs) : (r + 1) * len(self.xs)] for r in range(len(self.ys))]
            self.boundary = (self.xs, self.ys, rows, self.X, self.y)
        self.live.update(history, self.boundary, last)

    def finish(self, history: History) -> None:
        self.live.finish(history, self.boundary)


def _fit_plot(plot: Any, X: Sequence[Any], y: Sequence[Any], classify: bool, epochs: int) -> _FitPlot | None:
    """fit's plot argument checked, and what draws it (None for plot=False)."""
    if plot is False:
        return None
    if not (plot is True or isinstance(plot, (str, os.PathLike))):
        raise TypeError(f"plot must be True, False or a file path (str or os.PathLike), got {describe(plot)}")
    from nn import plot as plotting

    live = plotting.LivePlot(None if plot is True else os.fspath(plot))
    if classify and _negative_label(y) == -1:
        y = [0 if t == -1 else t for t in y]  # the pictures number the classes 0, 1, ...
    regions = classify and all(isinstance(x, Sequence) and len(x) == 2 and all(is_real(v) for v in x) for x in X)
    return _FitPlot(live, X, y, regions, max(1, epochs // 10))
