"""fit(plot=True) and History.plot(): the curves fit measured, the decision regions of a 2-D model, redrawn in one
Jupyter output every epoch or saved as a PNG elsewhere; matplotlib imported only then, its absence explained."""

from __future__ import annotations

import sys

import nbformat
import pytest
from nbclient import NotebookClient

import nn
from nn import optim
from nn import plot as plotting

PNG = b"\x89PNG\r\n\x1a\n"


def moons_run(**fit_options):
    X, y = nn.make_moons(60, noise=0.1, seed=1)
    model = nn.MLP(2, [8, 1], seed=2)
    history = nn.fit(model, X, y, loss="hinge", optimizer=optim.SGD(model.parameters(), lr=0.5), epochs=6,
                     progress=False, **fit_options)  # fmt: skip
    return model, history


def test_history_plot_draws_the_numbers_fit_recorded():
    X, y = nn.make_moons(60, noise=0.1, seed=1)
    model = nn.MLP(2, [8, 1], seed=2)
    history = nn.fit(model, X[:40], y[:40], loss="hinge", epochs=5, progress=False, validation=(X[40:], y[40:]))
    fig = history.plot(title="moons")
    loss_ax, accuracy_ax = fig.axes
    lines = {(ax.get_title(), line.get_label()): list(line.get_ydata()) for ax in fig.axes for line in ax.get_lines()}
    assert lines == {
        ("loss per epoch", "training"): history.train_loss,
        ("loss per epoch", "validation"): history.val_loss,
        ("accuracy per epoch", "training"): [100 * a for a in history.train_accuracy],
        ("accuracy per epoch", "validation"): [100 * a for a in history.val_accuracy],
    }
    assert list(loss_ax.get_lines()[0].get_xdata()) == [1, 2, 3, 4, 5] and fig.get_suptitle() == "moons"
    assert fig._repr_png_().startswith(PNG)  # what a notebook shows when the Figure is a cell's value


def test_a_regression_history_has_no_accuracy_panel():
    model = nn.MLP(1, [4, 1], seed=0)
    history = nn.fit(model, [[0.1 * k] for k in range(10)], [0.3 * k for k in range(10)], loss="mse", epochs=3,
                     progress=False)  # fmt: skip
    assert [ax.get_title() for ax in history.plot().axes] == ["loss per epoch"]


def test_outside_jupyter_plot_true_saves_a_png_in_the_working_directory_and_says_where(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    moons_run(plot=True)
    path = tmp_path / "training.png"
    assert path.read_bytes().startswith(PNG)
    assert capsys.readouterr().out == f"fit: the loss and accuracy curves are in {path}\n"


def test_plot_given_a_path_saves_there_with_the_decision_regions_of_a_2d_model(tmp_path, monkeypatch):
    drawn = []
    real = plotting.history_figure
    monkeypatch.setattr(plotting, "history_figure", lambda h, boundary=None, title="": drawn.append(boundary) or
                        real(h, boundary, title))  # fmt: skip
    model, history = moons_run(plot=tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG)
    xs, ys, classes, X, y = drawn[-1]
    assert len(xs) == len(ys) == 40 and len(classes) == 40 and all(len(row) == 40 for row in classes)
    assert [c for row in classes for c in row] == nn.predict(model, [[a, b] for b in ys for a in xs])
    assert [ax.get_title() for ax in real(history, drawn[-1]).axes][-1] == "the model's class over the plane"


def test_plotting_never_changes_the_training(tmp_path):
    plain_model, plain = moons_run()
    plotted_model, plotted = moons_run(plot=tmp_path / "curves.png")
    assert plotted_model.state_dict() == plain_model.state_dict()
    assert plotted.as_dict() == plain.as_dict()


def test_without_matplotlib_plotting_is_an_import_error_that_names_the_demo_extra(monkeypatch):
    X, y = nn.make_moons(20, noise=0.1, seed=1)
    model = nn.MLP(2, [4, 1], seed=2)
    before = model.state_dict()
    history = nn.fit(model, X, y, loss="hinge", epochs=1, progress=False)
    model.load_state_dict(before)
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] or ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed: every import of it fails
    plotting._matplotlib_classes.cache_clear()
    try:
        with pytest.raises(ImportError, match=r'pip install "chaingrad\[demo\]"'):
            nn.fit(model, X, y, loss="hinge", epochs=3, progress=False, plot=True)
        assert model.state_dict() == before  # refused before any training
        with pytest.raises(ImportError, match=r'History.plot\(\) draws with matplotlib.*chaingrad\[demo\]'):
            history.plot()
    finally:
        plotting._matplotlib_classes.cache_clear()


def test_plot_must_be_true_false_or_a_path():
    X, y = nn.make_moons(20, noise=0.1, seed=1)
    with pytest.raises(TypeError, match="plot must be True, False or a file path"):
        nn.fit(nn.MLP(2, [4, 1], seed=2), X, y, loss="hinge", epochs=1, progress=False, plot=1)


class CountingClient(NotebookClient):
    """An nbclient that also counts the kernel's update_display_data messages (a picture redrawn in place)."""

    updates = 0

    def process_message(self, msg, cell, cell_index):
        if msg["msg_type"] == "update_display_data":
            self.updates += 1
        return super().process_message(msg, cell, cell_index)


@pytest.mark.xdist_group("kernel")
def test_in_jupyter_plot_true_redraws_one_picture_every_epoch(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "import nn\n"
        "import nn.plot\n"
        "nn.plot.MIN_REDRAW_SECONDS = 0  # redraw after every epoch, however fast\n"
        "X, y = nn.make_moons(40, noise=0.1, seed=1)\n"
        "model = nn.MLP(2, [8, 1], seed=2)\n"
        "history = nn.fit(model, X, y, loss='hinge', epochs=7, progress=False, plot=True)\n"
        "import os\n"
        "print(sorted(os.listdir('.')))"
    )]  # fmt: skip
    client = CountingClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute()
    outputs = notebook.cells[0].outputs
    pictures = [o for o in outputs if o.output_type == "display_data"]
    assert len(pictures) == 1 and "image/png" in pictures[0].data  # one output area...
    assert client.updates == 6  # ...drawn after the first epoch and redrawn after each of the other six
    assert [o.text for o in outputs if o.output_type == "stream"] == ["[]\n"]  # no file written, nothing said


def test_fast_epochs_are_drawn_together_and_the_last_epoch_always(monkeypatch):
    import IPython.display

    shown = []

    class Handle:
        def update(self, image):
            shown.append(image)

    monkeypatch.setattr(plotting, "in_jupyter", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda image, display_id: shown.append(image) or Handle())
    monkeypatch.setattr(plotting, "MIN_REDRAW_SECONDS", 3600.0)
    moons_run(plot=True)  # 6 epochs: drawn after the first, then not again for an hour, but after the last
    assert len(shown) == 2 and all(image.data.startswith(PNG) for image in shown)
    shown.clear()
    monkeypatch.setattr(plotting, "MIN_REDRAW_SECONDS", 0.0)
    moons_run(plot=True)
    assert len(shown) == 6
