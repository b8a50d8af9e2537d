"""The demo: a short story of the library, from one neuron's gradients to a trained network and its pictures.

    $ python -m nn.demo                 # or the `chaingrad` console script, or `make demo`
    $ python -m nn.demo --dataset spiral --hidden 32,32 --epochs 200 --optimizer adam

It tells the story in five steps and writes its pictures and the model into --out (default `out/`):

1. one neuron, forward and backward: tanh(w·x + b) on one sample, `backward()`, drawn -> graph.svg, and the
   backward pass of its squared error on that sample, step by step -> backward.html (open it in a browser)
2. the data: a toy data set, split into a training and a test part
3. the model: an MLP, its layers and how many numbers it learns
4. training with `nn.fit` (a progress bar with the running loss), then train and test accuracy
5. the pictures and the model: decision_boundary.png, loss_curve.png, model.json

Every random choice comes from --seed, so the same command prints the same numbers. Pictures and plots sit at
the edge: nothing here feeds back into the math. matplotlib comes with the `notebooks` extra
(`pip install "chaingrad[notebooks]"`); Graphviz's `dot` program renders graph.svg.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
from collections.abc import Callable, Sequence
from typing import Any

import autograd
import nn
from autograd import Value
from autograd.draw import GraphvizNotFoundError
from nn.data import DATASETS

__all__ = ["OPTIMIZERS", "build_parser", "main", "run"]

# Each data set with the noise the demo uses when --noise is not given, and how to make n samples of it.
DEFAULT_NOISE = {"moons": 0.1, "circles": 0.08, "blobs": 1.0, "spiral": 0.2, "xor": 0.2}
_MAKERS: dict[str, Callable[[int, float, int], tuple[list[list[float]], list[int]]]] = {
    "moons": lambda n, noise, seed: nn.make_moons(n, noise=noise, seed=seed),
    "circles": lambda n, noise, seed: nn.make_circles(n, noise=noise, factor=0.5, seed=seed),
    "blobs": lambda n, noise, seed: nn.make_blobs(n, centers=3, cluster_std=noise, seed=seed),
    "spiral": lambda n, noise, seed: nn.make_spiral(n, n_classes=3, noise=noise, seed=seed),
    "xor": lambda n, noise, seed: nn.make_xor(n, noise=noise, seed=seed),
}

# Optimizer name -> (class, the learning rate the demo uses when --lr is not given, extra arguments).
OPTIMIZERS: dict[str, tuple[type[nn.optim.Optimizer], float, dict[str, Any]]] = {
    "sgd": (nn.optim.SGD, 0.1, {"momentum": 0.9}),
    "adam": (nn.optim.Adam, 0.01, {}),
    "rmsprop": (nn.optim.RMSprop, 0.01, {}),
    "adagrad": (nn.optim.Adagrad, 0.1, {}),
    "adamw": (nn.optim.AdamW, 0.01, {}),
}

GRID_STEPS = 100  # the decision boundary is the model's answer on a GRID_STEPS x GRID_STEPS grid
TEST_SIZE = 0.25  # the share of the samples held out for testing


# ---------------------------------------------------------------------------------------------------------
# The command line: every option checked by its `type=` function, so argparse names it in the error.
# ---------------------------------------------------------------------------------------------------------


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def _real(text: str, allowed: str, ok: Callable[[float], bool]) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {allowed}, got {text!r}") from None
    if not (math.isfinite(value) and ok(value)):
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {text}")
    return value


def _positive_real(text: str) -> float:
    return _real(text, "a number > 0", lambda v: v > 0)


def _non_negative_real(text: str) -> float:
    return _real(text, "a number >= 0", lambda v: v >= 0)


def _hidden_sizes(text: str) -> list[int]:
    """'16,16' -> [16, 16]: the widths of the hidden layers, each at least 1."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise argparse.ArgumentTypeError(f"expected comma-separated layer widths such as 16,16; got {text!r}")
    sizes = []
    for p in parts:
        try:
            size = int(p)
        except ValueError:
            raise argparse.ArgumentTypeError(f"layer widths must be whole numbers such as 16,16; "
                                             f"{p!r} in {text!r} is not one") from None  # fmt: skip
        if size < 1:
            raise argparse.ArgumentTypeError(f"every layer width must be >= 1, got {size} in {text!r}")
        sizes.append(size)
    return sizes


def build_parser() -> argparse.ArgumentParser:
    """The demo's command line: data set, model, optimizer, training length, seed and output folder."""
    parser = argparse.ArgumentParser(
        prog="chaingrad" if os.path.basename(sys.argv[0]) == "chaingrad" else "python -m nn.demo",
        description="chaingrad's demo: one neuron's gradients drawn, then an MLP trained on a toy data set, "
        "with its decision boundary, loss curve and saved model written to --out.",
    )
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", choices=list(DATASETS), default="moons",
                      help="the toy data set (default: %(default)s)")
    data.add_argument("--samples", type=_int_at_least(8), default=200,
                      help="number of points, train + test (default: %(default)s)")
    data.add_argument("--noise", type=_non_negative_real, default=None,
                      help="noise standard deviation; default per data set: "
                      + ", ".join(f"{k} {v}" for k, v in DEFAULT_NOISE.items()))
    model = parser.add_argument_group("model")
    model.add_argument("--hidden", type=_hidden_sizes, default="16,16", metavar="SIZES",
                       help="hidden layer widths, comma-separated, e.g. 32 or 8,8,8 (default: %(default)s)")
    model.add_argument("--activation", choices=list(nn.ACTIVATIONS), default="relu",
                       help="activation of the hidden layers (default: %(default)s)")
    training = parser.add_argument_group("training")
    training.add_argument("--epochs", type=_int_at_least(1), default=100,
                          help="passes over the training set (default: %(default)s)")
    training.add_argument("--batch-size", type=_int_at_least(1), default=32,
                          help="samples per optimizer step (default: %(default)s)")
    training.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam",
                          help="the optimizer; sgd is SGD with momentum 0.9 (default: %(default)s)")
    training.add_argument("--lr", type=_positive_real, default=None,
                          help="learning rate; default per optimizer: "
                          + ", ".join(f"{k} {v[1]}" for k, v in OPTIMIZERS.items()))
    training.add_argument("--seed", type=int, default=0,
                          help="seed of every random choice: data, split, weights, batches (default: %(default)s)")
    output = parser.add_argument_group("output")
    output.add_argument("--out", default="out",
                        help="folder for graph.svg, backward.html, the two PNGs and model.json, created if needed "
                        "(default: %(default)s)")
    output.add_argument("--no-progress", action="store_true", help="hide the training progress bar")
    return parser


# ---------------------------------------------------------------------------------------------------------
# Step 1: one neuron, forward and backward, drawn.
# ---------------------------------------------------------------------------------------------------------


def neuron_graph(x: Sequence[float], seed: int) -> tuple[nn.Neuron, list[Value], Value]:
    """out = tanh(w·x + b) for a fresh Neuron(2, "tanh"), then out.backward(): the leaves hold d out / d leaf."""
    neuron = nn.Neuron(len(x), "tanh", rng=random.Random(seed))
    inputs = [Value(float(v), label=f"x{i}") for i, v in enumerate(x)]
    out = neuron(inputs)
    out.label = "out"
    out.backward()
    return neuron, inputs, out


def _write_graph(out: Value, neuron: nn.Neuron, path: str) -> None:
    """Render the neuron's graph to SVG with Graphviz's dot (raises GraphvizNotFoundError if dot is missing)."""
    graph = autograd.draw_dot(out, model=neuron)
    graph.attr(label="tanh(w·x + b): data and grad (d out / d node) of every node, after out.backward()",
               labelloc="t", fontsize="13")  # fmt: skip
    with open(path, "wb") as f:
        f.write(graph.pipe(format="svg"))


def write_backward_animation(neuron: nn.Neuron, x: Sequence[float], label: int, path: str) -> tuple[Value, float]:
    """(loss, t): loss = (tanh(w·x + b) - t)² on one sample, t = +1 for class 1 and -1 otherwise (tanh's two
    ends); its backward pass replayed one node per frame into one self-contained HTML page at path."""
    target = 1.0 if label == 1 else -1.0
    inputs = [Value(float(v), label=f"x{i}") for i, v in enumerate(x)]
    loss = (neuron(inputs) - target) ** 2
    loss.label = "loss"
    autograd.animate_backward(loss, model=neuron).save(path)
    return loss, target


# ---------------------------------------------------------------------------------------------------------
# Step 5: pictures. matplotlib is imported here only, and drawn on its Agg canvas (no window, no pyplot).
# ---------------------------------------------------------------------------------------------------------


def _matplotlib() -> Any:
    """matplotlib's Figure class, or an ImportError that says how to install it."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError("the demo's plots need matplotlib, which is not installed: run "
                          "`pip install matplotlib` (or `pip install \"chaingrad[notebooks]\"`)") from err  # fmt: skip

    def new_figure(**kwargs: Any) -> Any:
        fig = Figure(**kwargs)
        FigureCanvasAgg(fig)  # an off-screen raster canvas: savefig writes PNGs anywhere, even without a display
        return fig

    return new_figure


def _grid(X: Sequence[Sequence[float]], steps: int) -> tuple[list[float], list[float]]:
    """Evenly spaced x and y coordinates covering the data with a margin of 10% on each side."""
    axes = []
    for k in range(2):
        low, high = min(p[k] for p in X), max(p[k] for p in X)
        margin = 0.1 * (high - low or 1.0)
        low, high = low - margin, high + margin
        axes.append([low + (high - low) * i / (steps - 1) for i in range(steps)])
    return axes[0], axes[1]


def _scores(model: nn.Module, points: list[list[float]], n_classes: int) -> list[float] | list[int]:
    """P(class 1) = sigmoid(logit) for a binary model, else the argmax class: the model's outputs on the grid
    by a compiled forward pass (nn.outputs: 10,000 points, generated Python instead of 10,000 graphs)."""
    rows = nn.outputs(model, points, compile=True)
    if n_classes == 2:
        return [1.0 / (1.0 + math.exp(-o)) if o > -700 else 0.0 for o in rows]
    return [max(range(n_classes), key=lambda k: o[k]) for o in rows]


def _plot_decision_boundary(result: dict[str, Any], path: str) -> None:
    """The model's class (or P(class 1)) over a grid around the data, with the train and test points on top."""
    new_figure = _matplotlib()
    model, n_classes = result["model"], result["n_classes"]
    X = result["X_train"] + result["X_test"]
    xs, ys = _grid(X, GRID_STEPS)
    scores = _scores(model, [[x, y] for y in ys for x in xs], n_classes)
    Z = [scores[row * len(xs):(row + 1) * len(xs)] for row in range(len(ys))]

    fig = new_figure(figsize=(7, 5.6), layout="constrained")
    ax = fig.add_subplot()
    colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]
    if n_classes == 2:
        shade = ax.contourf(xs, ys, Z, levels=[i / 10 for i in range(11)], cmap="RdBu_r", alpha=0.55)
        ax.contour(xs, ys, Z, levels=[0.5], colors="black", linewidths=1.5)
        fig.colorbar(shade, ax=ax, label="P(class 1) = sigmoid(model output)")
    else:
        from matplotlib.colors import ListedColormap

        # Class numbers are labels, not heights: contourf would draw a thin band of class 1 wherever class 0
        # meets class 2, so each grid cell is painted with its own class instead.
        ax.pcolormesh(xs, ys, Z, shading="nearest", vmin=-0.5, vmax=n_classes - 0.5, alpha=0.3,
                      cmap=ListedColormap([colors[k % len(colors)] for k in range(n_classes)]))  # fmt: skip
    for split, marker, size in (("train", "o", 28), ("test", "^", 46)):
        points, labels = result[f"X_{split}"], result[f"y_{split}"]
        for k in range(n_classes):
            chosen = [p for p, t in zip(points, labels) if t == k]
            if chosen:
                ax.scatter([p[0] for p in chosen], [p[1] for p in chosen], c=colors[k % len(colors)], marker=marker,
                           s=size, edgecolors="white" if split == "train" else "black", linewidths=0.7,
                           label=f"class {k} ({split})")  # fmt: skip
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("$x_1$ (first feature)")
    ax.set_ylabel("$x_2$ (second feature)")
    ax.set_title(f"{result['architecture']} on {result['dataset']}: decision boundary\n"
                 f"train accuracy {result['train_accuracy']:.1%}, test accuracy {result['test_accuracy']:.1%}")
    # One legend column per class, its training points above its test points.
    handles = dict(zip(*reversed(ax.get_legend_handles_labels())))
    labels = [f"class {k} ({split})" for k in range(n_classes) for split in ("train", "test")]
    labels = [label for label in labels if label in handles]
    fig.legend([handles[label] for label in labels], labels, loc="outside lower center", ncol=n_classes,
               fontsize=8, frameon=False)  # fmt: skip
    fig.savefig(path, dpi=110)


def _plot_loss_curve(result: dict[str, Any], path: str) -> None:
    """Training and validation loss against the epoch, from fit's History."""
    new_figure = _matplotlib()
    history = result["history"]
    epochs = list(range(1, len(history) + 1))
    fig = new_figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(epochs, history.train_loss, color="#2563eb", linewidth=1.8,
            label="training loss (mean over the epoch's mini-batches)")  # fmt: skip
    ax.plot(epochs, history.val_loss, color="#dc2626", linewidth=1.8, linestyle="--",
            label="validation loss (held-out test split, after the epoch)")  # fmt: skip
    ax.set_xlabel("epoch")
    ax.set_ylabel(result["loss_name"])
    ax.set_xlim(1, max(2, len(epochs)))
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"{result['architecture']} on {result['dataset']}: loss per epoch\n"
                 f"{result['optimizer']}, lr {result['lr']:g}, mini-batches of {result['batch_size']}")
    ax.legend(loc="upper right")
    fig.savefig(path, dpi=110)


# ---------------------------------------------------------------------------------------------------------
# The story
# ---------------------------------------------------------------------------------------------------------


def _num(v: float) -> str:
    """A number with 3 decimals, in parentheses when negative, to sit inside a formula: 1.5·(-0.25)."""
    return f"({v:.3f})" if v < 0 else f"{v:.3f}"


def run(args: argparse.Namespace, say: Callable[[str], Any] = print) -> dict[str, Any]:
    """Tell the story for parsed options `args`; return what it made: model, history, splits, accuracies, paths.

    `say` prints each line of the story (print by default). Raises GraphvizNotFoundError when Graphviz's dot
    is missing and ImportError when matplotlib is: both are checked before the training starts.
    """
    os.makedirs(args.out, exist_ok=True)
    paths = {name: os.path.join(args.out, name)
             for name in ("graph.svg", "backward.html", "decision_boundary.png", "loss_curve.png",
                          "model.json")}  # fmt: skip
    _matplotlib()  # fail now, not after the training, if matplotlib is missing
    noise = DEFAULT_NOISE[args.dataset] if args.noise is None else args.noise
    X, y = _MAKERS[args.dataset](args.samples, noise, args.seed)
    n_classes = max(y) + 1

    say("chaingrad demo: every number below is a Value that remembers how it was made.\n")
    say("1. One neuron, forward and backward")
    neuron, inputs, out = neuron_graph(X[0], args.seed)
    w, b = neuron.w, neuron.b
    terms = " + ".join(f"{_num(wi.data)}·{_num(xi.data)}" for wi, xi in zip(w, inputs))
    say(f"   on the first point x = ({inputs[0].data:.3f}, {inputs[1].data:.3f}) of the data set below:")
    say(f"   out = tanh(w·x + b) = tanh({terms} + {_num(b.data)}) = {out.data:.4f}")
    say(f"   out.backward(): d out/d w.0 = {w[0].grad:.4f}, d out/d w.1 = {w[1].grad:.4f}, "
        f"d out/d b = {b.grad:.4f}")  # fmt: skip
    _write_graph(out, neuron, paths["graph.svg"])
    say(f"   drawn with draw_dot -> {paths['graph.svg']}")
    error, target = write_backward_animation(neuron, X[0], y[0], paths["backward.html"])
    say(f"   its squared error (out - t)² with t = {target:+.0f} is {error.data:.4f}; backward, one node per step")
    say(f"   (animate_backward; open the page in a browser) -> {paths['backward.html']}\n")

    say("2. The data")
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, test_size=TEST_SIZE, seed=args.seed)
    counts = ", ".join(f"{y.count(k)} of class {k}" for k in range(n_classes))
    say(f"   {args.dataset}: {len(X)} points in 2D (noise {noise:g}), {counts}")
    say(f"   split: {len(X_train)} to train on, {len(X_test)} held out to test\n")

    say("3. The model")
    binary = n_classes == 2
    nouts = [*args.hidden, 1 if binary else n_classes]
    model = nn.MLP(2, nouts, activation=args.activation, seed=args.seed)
    architecture = "MLP " + " → ".join(str(n) for n in [2, *nouts])
    say("   " + repr(model).replace("\n", "\n   "))
    say(f"   {model.num_parameters()} parameters, each a Value that gets its gradient by backward()")
    loss, loss_name = ("bce_with_logits", "binary cross-entropy") if binary else ("cross_entropy", "cross-entropy")
    say(f"   output: {'one logit (class 1 when > 0)' if binary else f'{n_classes} logits (argmax is the class)'}, "
        f"loss: {loss_name}\n")  # fmt: skip

    say("4. Training")
    cls, default_lr, extra = OPTIMIZERS[args.optimizer]
    lr = default_lr if args.lr is None else args.lr
    optimizer = cls(model.parameters(), lr=lr, **extra)
    say(f"   nn.fit: {args.epochs} epochs, mini-batches of {args.batch_size}, "
        f"{type(optimizer).__name__}(lr={lr:g}{''.join(f', {k}={v}' for k, v in extra.items())})")  # fmt: skip
    sys.stdout.flush()  # the story so far, before tqdm draws its bar on stderr
    history = nn.fit(model, X_train, y_train, loss=loss, optimizer=optimizer, epochs=args.epochs,
                     batch_size=args.batch_size, validation=(X_test, y_test), progress=not args.no_progress,
                     seed=args.seed)  # fmt: skip
    train_accuracy = nn.accuracy(model, X_train, y_train)
    test_accuracy = nn.accuracy(model, X_test, y_test)
    say(f"   final training loss {history.train_loss[-1]:.4f}, validation loss {history.val_loss[-1]:.4f}")
    say(f"   train accuracy {train_accuracy:.1%}, test accuracy {test_accuracy:.1%}\n")

    result = {
        "model": model, "history": history, "neuron": neuron, "neuron_inputs": inputs, "neuron_output": out,
        "X_train": X_train, "X_test": X_test, "y_train": y_train, "y_test": y_test, "n_classes": n_classes,
        "train_accuracy": train_accuracy, "test_accuracy": test_accuracy, "dataset": args.dataset,
        "architecture": architecture, "loss_name": loss_name, "optimizer": type(optimizer).__name__, "lr": lr,
        "batch_size": args.batch_size, "paths": paths,
    }  # fmt: skip

    say("5. Pictures and the model")
    _plot_decision_boundary(result, paths["decision_boundary.png"])
    _plot_loss_curve(result, paths["loss_curve.png"])
    nn.save(model, paths["model.json"])
    say("   the model's answer on a grid (under no_grad), the loss per epoch, and the weights as JSON")
    say("   (read it back with nn.load). Written:")
    for name, path in paths.items():
        say(f"     {name:<22} {path}")
    return result


def main(argv: list[str] | None = None) -> int:
    """Parse the options (argparse exits with status 2 on bad ones), run the demo; 0 on success, 1 on failure."""
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except GraphvizNotFoundError as err:
        print(f"error: drawing graph.svg needs Graphviz's 'dot' program.\n{err}", file=sys.stderr)
        return 1
    except ImportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # e.g. --out names a file, or a folder we may not write to
        hint = f" (the demo writes its files into --out {args.out!r})" if err.filename else ""
        print(f"error: {err}{hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
