"""Pictures of training with matplotlib: loss and accuracy per epoch, and a 2-D model's decision regions.

matplotlib is not a dependency of chaingrad: it is imported here, when a picture is asked for, and its absence
is an ImportError that says how to install it (the `demo` extra). Figures are drawn on matplotlib's off-screen
Agg canvas, never through pyplot, so nothing here opens a window or touches pyplot's global figures.

    >>> history = nn.fit(model, X, y, epochs=50, plot=True)    # live in Jupyter, a PNG elsewhere
    >>> history.plot()                                          # the same curves afterwards: a Figure
"""

from __future__ import annotations

import functools
import io
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["LivePlot", "grid", "history_figure", "in_jupyter", "png", "require_matplotlib"]

INSTALL = 'pip install "chaingrad[demo]"'
CLASS_COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]
DEFAULT_PATH = "training.png"  # where plot=True saves its picture outside Jupyter (in the working directory)
MIN_REDRAW_SECONDS = 0.25  # fit's live picture is redrawn at most this often (and after the last epoch)


def require_matplotlib(what: str = "plot=True") -> Any:
    """A function new_figure(**kwargs) -> a matplotlib Figure on an Agg canvas that shows itself in Jupyter
    (as a PNG, when it is a cell's value); or an ImportError that says how to install matplotlib."""
    try:
        figure_class, canvas_class = _matplotlib_classes()
    except ImportError as err:
        raise ImportError(f"{what} draws with matplotlib, which is not installed: run `{INSTALL}` "
                          f"(or `pip install matplotlib`)") from err  # fmt: skip

    def new_figure(**kwargs: Any) -> Any:
        fig = figure_class(**kwargs)
        canvas_class(fig)  # off screen: savefig writes PNGs anywhere, even with no display
        return fig

    return new_figure


@functools.cache
def _matplotlib_classes() -> tuple[type, type]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    class ShownFigure(Figure):
        """A Figure that Jupyter shows as a PNG when it is a cell's value (a bare one shows as text without pyplot)."""

        def _repr_png_(self) -> bytes:
            return png(self)

    return ShownFigure, FigureCanvasAgg


def in_jupyter() -> bool:
    """True inside a Jupyter kernel (IPython with a kernel), where a picture can be shown and redrawn in place."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


Boundary = tuple[list[float], list[float], list[list[int]], Sequence[Sequence[float]], Sequence[int]]


def history_figure(history: Any, boundary: Boundary | None = None, title: str = "") -> Any:
    """Loss per epoch (training, and validation when measured), accuracy per epoch when measured, and with
    boundary = (xs, ys, classes on the grid, X, y) the model's class over the plane with the samples on top."""
    new_figure = require_matplotlib("History.plot()")
    panels = _panels(history, boundary)
    fig = new_figure(figsize=(4.2 * panels, 3.3), layout="constrained")
    for k in range(panels):
        fig.add_subplot(1, panels, k + 1)
    _draw(fig.axes, history, boundary)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _panels(history: Any, boundary: Boundary | None) -> int:
    return 1 + bool(history.train_accuracy or history.val_accuracy) + (boundary is not None)


def _draw(axes: list[Any], history: Any, boundary: Boundary | None) -> None:
    """Draw the loss, the accuracy (when measured) and the decision regions (when given) on these axes."""
    epochs = list(range(1, len(history) + 1))
    ax = axes[0]
    ax.plot(epochs, history.train_loss, color="#2563eb", label="training")
    if history.val_loss:
        ax.plot(epochs[: len(history.val_loss)], history.val_loss, color="#dc2626", linestyle="--", label="validation")
    if history.train_loss and min(history.train_loss + history.val_loss) > 0:
        ax.set_yscale("log")
    ax.set_ylabel("loss")
    ax.set_title("loss per epoch")
    curves = [ax]
    if history.train_accuracy or history.val_accuracy:
        ax = axes[1]
        if history.train_accuracy:
            ax.plot(epochs, [100 * a for a in history.train_accuracy], color="#16a34a", label="training")
        if history.val_accuracy:
            ax.plot(epochs[: len(history.val_accuracy)], [100 * a for a in history.val_accuracy], color="#9333ea",
                    linestyle="--", label="validation")  # fmt: skip
        ax.set_ylim(-2, 102)
        ax.set_ylabel("accuracy (%)")
        ax.set_title("accuracy per epoch")
        curves.append(ax)
    for ax in curves:
        ax.set_xlim(0.5, max(2, len(epochs)) + 0.5)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="upper right" if ax is axes[0] else "lower right")
    if boundary is not None:
        _draw_boundary(axes[len(curves)], *boundary)


def _draw_boundary(ax: Any, xs: list[float], ys: list[float], classes: list[list[int]],
                   X: Sequence[Sequence[float]], y: Sequence[int]) -> None:  # fmt: skip
    """Each grid cell painted with the model's class there (a class is a label, not a height: no contours)."""
    from matplotlib.colors import ListedColormap

    n = max(max(max(row) for row in classes), max(y)) + 1
    ax.pcolormesh(xs, ys, classes, shading="nearest", vmin=-0.5, vmax=n - 0.5, alpha=0.3,
                  cmap=ListedColormap([CLASS_COLORS[k % len(CLASS_COLORS)] for k in range(n)]))  # fmt: skip
    for k in range(n):
        chosen = [p for p, t in zip(X, y) if t == k]
        if chosen:
            ax.scatter([p[0] for p in chosen], [p[1] for p in chosen], c=CLASS_COLORS[k % len(CLASS_COLORS)], s=12,
                       edgecolors="white", linewidths=0.5, label=f"class {k}")  # fmt: skip
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_title("the model's class over the plane")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def grid(X: Sequence[Sequence[float]], steps: int) -> tuple[list[float], list[float]]:
    """Evenly spaced coordinates covering 2-D data with a margin of 10% on each side."""
    axes = []
    for k in range(2):
        low, high = min(p[k] for p in X), max(p[k] for p in X)
        margin = 0.1 * (high - low or 1.0)
        axes.append([low - margin + (high - low + 2 * margin) * i / (steps - 1) for i in range(steps)])
    return axes[0], axes[1]


def png(fig: Any) -> bytes:
    """The figure as PNG bytes (at 80 dpi: a picture to look at in a notebook, not to print)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


class LivePlot:
    """fit's picture while it trains: one Jupyter output, redrawn after the epochs, or a PNG saved at the end.

    The figure and its curves are made once; each redraw moves the curves' points and, when the model's class
    on the grid was measured again, repaints the regions. Even so a redraw takes a few hundredths of a second,
    often more than an epoch of a small network: the picture is redrawn after an epoch when MIN_REDRAW_SECONDS
    have passed since the last time (fast epochs are drawn together), and always after the last epoch.
    """

    def __init__(self, path: str | None) -> None:
        self.new_figure = require_matplotlib()
        self.jupyter = in_jupyter()
        self.path = path if path is not None or self.jupyter else DEFAULT_PATH
        self._handle: Any = None
        self._fig: Any = None
        self._boundary: Any = None
        self._drawn_at = -math.inf

    def update(self, history: Any, boundary: Boundary | None, last: bool = False) -> None:
        """Show the curves so far (in Jupyter): the first call makes the output, the next ones replace it."""
        if not self.jupyter or (not last and time.monotonic() - self._drawn_at < MIN_REDRAW_SECONDS):
            return
        from IPython.display import Image, display

        if self._fig is None or len(self._fig.axes) != _panels(history, boundary):
            self._fig, self._boundary = self._first_draw(history, boundary), boundary
        else:
            self._move_curves(history)
            if boundary is not self._boundary:
                regions = self._fig.axes[-1]
                regions.cla()
                _draw_boundary(regions, *boundary)  # type: ignore[misc]
                self._boundary = boundary
        image = Image(data=png(self._fig), format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)
        self._drawn_at = time.monotonic()

    def _first_draw(self, history: Any, boundary: Boundary | None) -> Any:
        panels = _panels(history, boundary)
        fig = self.new_figure(figsize=(4.2 * panels, 3.3))
        for k in range(panels):
            fig.add_subplot(1, panels, k + 1)
        fig.subplots_adjust(left=0.3 / panels, right=1 - 0.06 / panels, bottom=0.15, top=0.9, wspace=0.3)
        _draw(fig.axes, history, boundary)
        return fig

    def _move_curves(self, history: Any) -> None:
        """Give every curve the history's numbers so far, and the axes room for them."""
        epochs = list(range(1, len(history) + 1))
        series = {"loss per epoch": [history.train_loss, history.val_loss],
                  "accuracy per epoch": [[100 * a for a in history.train_accuracy],
                                         [100 * a for a in history.val_accuracy]]}  # fmt: skip
        for ax in self._fig.axes:
            if ax.get_title() not in series:
                continue
            values = [v for v in series[ax.get_title()] if v]
            for line, ys in zip(ax.get_lines(), values):
                line.set_data(epochs[: len(ys)], ys)
            ax.set_xlim(0.5, max(2, len(epochs)) + 0.5)
            if ax.get_title() == "loss per epoch":
                ax.set_yscale("log" if min(v for ys in values for v in ys) > 0 else "linear")
                ax.relim()
                ax.autoscale_view(scalex=False)

    def finish(self, history: Any, boundary: Boundary | None) -> str | None:
        """Save the final picture to the path (if there is one), say where, and return the path."""
        if self.path is None or not len(history):
            return None
        path = os.path.abspath(os.fspath(self.path))
        history_figure(history, boundary).savefig(path, dpi=100)
        print(f"fit: the loss{' and accuracy' if history.train_accuracy else ''} curves are in {path}")
        return path
