"""The demo command: its files, its numbers checked against PyTorch float64, and argparse errors for bad options."""

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import torch

import nn
from nn import demo

torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"
FILES = ("graph.svg", "backward.html", "decision_boundary.png", "loss_curve.png", "model.json")
# Small enough to run in a couple of seconds, big enough to learn something.
SMALL = ["--samples", "60", "--hidden", "6", "--epochs", "15", "--no-progress"]


# ---------------------------------------------------------------------------------------------------------
# references, written from the math in PyTorch
# ---------------------------------------------------------------------------------------------------------


def torch_logits(state: dict[str, float], nouts: list[int], X: list[list[float]], activation: str) -> torch.Tensor:
    """The MLP's outputs from its saved weights: hidden layers with `activation`, a linear output layer."""
    h = torch.tensor(X)
    for i, nout in enumerate(nouts):
        nin = h.shape[1]
        W = torch.tensor([[state[f"layers.{i}.neurons.{j}.w.{k}"] for k in range(nin)] for j in range(nout)])
        b = torch.tensor([state[f"layers.{i}.neurons.{j}.b"] for j in range(nout)])
        h = h @ W.T + b
        if i < len(nouts) - 1:
            h = getattr(torch, activation)(h)
    return h


def torch_classes(logits: torch.Tensor) -> list[int]:
    """One logit: class 1 when it is > 0. Several: the argmax."""
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).long().tolist()
    return logits.argmax(dim=1).tolist()


def run_demo(out: str, *options: str) -> tuple[dict, list[str]]:
    lines: list[str] = []
    args = demo.build_parser().parse_args([*SMALL, *options, "--out", out])
    return demo.run(args, say=lines.append), lines


@pytest.fixture(scope="module")
def moons(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[str], str]:
    out = str(tmp_path_factory.mktemp("moons") / "out")
    result, lines = run_demo(out)
    return result, lines, out


# ---------------------------------------------------------------------------------------------------------
# the files
# ---------------------------------------------------------------------------------------------------------


def test_main_returns_0_creates_the_out_folder_and_ends_by_printing_the_five_paths(tmp_path, capsys):
    out = tmp_path / "new" / "folder"
    assert demo.main([*SMALL, "--out", str(out)]) == 0
    printed = capsys.readouterr().out.rstrip().splitlines()
    for name, line in zip(FILES, printed[-5:], strict=True):
        path = os.path.join(str(out), name)
        assert line.split() == [name, path]
        assert os.path.getsize(path) > 0


def test_the_pngs_are_png_files(moons):
    _, _, out = moons
    for name in ("decision_boundary.png", "loss_curve.png"):
        with open(os.path.join(out, name), "rb") as f:
            assert f.read(8) == PNG_MAGIC


def test_graph_svg_is_xml_with_one_node_per_value_and_per_operation(moons):
    _, _, out = moons
    root = ET.parse(os.path.join(out, "graph.svg")).getroot()
    assert root.tag == f"{SVG}svg"
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    # By hand: tanh(dot(w + [b], x + [1])) has 7 Values (w.0, w.1, b, x0, x1, the dot, out), 2 operations and
    # the constant 1 that the bias multiplies.
    assert len(nodes) == 10
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"w.0", "w.1", "b", "x0", "x1", "out", "dot", "tanh", "1.0"} <= set(texts)


def test_graph_svg_shows_the_gradients_pytorch_computes_for_the_neuron(moons):
    result, _, out = moons
    neuron, inputs = result["neuron"], result["neuron_inputs"]
    w = torch.tensor([v.data for v in neuron.w], requires_grad=True)
    b = torch.tensor(neuron.b.data, requires_grad=True)
    x = torch.tensor([v.data for v in inputs], requires_grad=True)
    y = torch.tanh(w @ x + b)
    y.backward()
    assert result["neuron_output"].data == pytest.approx(y.item(), abs=1e-12)
    expected = [*w.grad.tolist(), b.grad.item(), *x.grad.tolist()]
    got = [*(v.grad for v in neuron.w), neuron.b.grad, *(v.grad for v in inputs)]
    assert got == pytest.approx(expected, abs=1e-12)
    texts = {t.text for t in ET.parse(os.path.join(out, "graph.svg")).getroot().iter(f"{SVG}text")}
    for g in expected:
        assert f"grad {g:.4f}" in texts


def test_backward_html_is_one_page_with_a_frame_per_node_and_the_gradients_pytorch_computes(moons):
    result, lines, out = moons
    path = os.path.join(out, "backward.html")
    assert any(line.rstrip().endswith(f"-> {path}") for line in lines)  # the demo says where it wrote it
    page = open(path, encoding="utf-8").read()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"<(link|img|iframe)|<script [^>]*src=|(src|href)=\"(https?:)?//", page)  # nothing fetched
    # By hand: (tanh(dot(w + [b], x + [1])) - t) ** 2 has four operations, so backward processes four nodes.
    frames = re.findall(r'<div class="cg-frame"[^>]*>(.*?)</div>', page, flags=re.S)
    assert len(frames) == 4 and page.count("<svg") == 4 and page.count('<p class="cg-caption"') == 4
    t = float(re.search(r"with t = ([+-]1) is", "\n".join(lines)).group(1))
    neuron, inputs = result["neuron"], result["neuron_inputs"]
    w = torch.tensor([v.data for v in neuron.w], requires_grad=True)
    b = torch.tensor(neuron.b.data, requires_grad=True)
    loss = (torch.tanh(w @ torch.tensor([v.data for v in inputs]) + b) - t) ** 2
    loss.backward()
    last = {e.text for e in ET.fromstring(frames[-1]).iter(f"{SVG}text")}  # every gradient complete by then
    for g in [*w.grad.tolist(), b.grad.item()]:
        assert f"grad {g:.4f}" in last
    assert f"data {loss.item():.4f}" in last


def test_model_json_loads_and_predicts_exactly_what_the_trained_model_predicts(moons):
    result, _, out = moons
    trained, loaded = result["model"], nn.load(os.path.join(out, "model.json"))
    assert loaded.state_dict() == trained.state_dict()
    X_test = result["X_test"]
    assert [loaded(x).data for x in X_test] == [trained(x).data for x in X_test]
    assert nn.predict(loaded, X_test) == nn.predict(trained, X_test)


def test_printed_accuracies_are_what_pytorch_computes_from_the_saved_weights(moons):
    result, lines, out = moons
    with open(os.path.join(out, "model.json"), encoding="utf-8") as f:
        saved = json.load(f)
    config, state = saved["architecture"]["config"], saved["state_dict"]
    assert config["nouts"] == [6, 1]
    accuracies = {}
    for split in ("train", "test"):
        X, y = result[f"X_{split}"], result[f"y_{split}"]
        predicted = torch_classes(torch_logits(state, config["nouts"], X, config["activation"]))
        accuracies[split] = sum(p == t for p, t in zip(predicted, y)) / len(y)
        assert result[f"{split}_accuracy"] == accuracies[split]
    line = next(line for line in lines if "test accuracy" in line)
    assert re.search(r"train accuracy ([\d.]+)%", line).group(1) == f"{accuracies['train']:.1%}"[:-1]
    assert re.search(r"test accuracy ([\d.]+)%", line).group(1) == f"{accuracies['test']:.1%}"[:-1]


def test_split_holds_a_quarter_of_the_samples_out_and_training_learns_moons(moons):
    result, _, _ = moons
    assert len(result["X_test"]) == 15 and len(result["X_train"]) == 45  # ceil(0.25 * 60) held out
    assert len(result["history"]) == 15
    assert result["history"].train_loss[-1] < result["history"].train_loss[0]
    assert result["test_accuracy"] >= 0.8


def test_the_validation_loss_curve_is_pytorchs_bce_with_logits_on_the_test_split(moons):
    result, _, _ = moons
    state, nouts = result["model"].state_dict(), result["model"].config["nouts"]
    logits = torch_logits(state, nouts, result["X_test"], "relu")[:, 0]
    targets = torch.tensor(result["y_test"], dtype=torch.float64)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
    assert result["history"].val_loss[-1] == pytest.approx(expected.item(), rel=1e-12)


def test_three_class_data_get_three_logits_and_cross_entropy(tmp_path):
    result, lines = run_demo(str(tmp_path), "--dataset", "blobs", "--optimizer", "sgd", "--lr", "0.05")
    model = result["model"]
    assert model.config["nouts"] == [6, 3] and result["n_classes"] == 3
    state = model.state_dict()
    logits = torch_logits(state, [6, 3], result["X_test"], "relu")
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor(result["y_test"]))
    assert result["history"].val_loss[-1] == pytest.approx(expected.item(), rel=1e-12)
    assert result["test_accuracy"] == sum(
        p == t for p, t in zip(torch_classes(logits), result["y_test"])) / len(result["y_test"])  # fmt: skip
    for name in FILES:
        assert os.path.getsize(tmp_path / name) > 0


def test_the_same_seed_gives_the_same_model_and_another_seed_another(tmp_path):
    first, _ = run_demo(str(tmp_path / "a"), "--epochs", "2", "--seed", "7")
    again, _ = run_demo(str(tmp_path / "b"), "--epochs", "2", "--seed", "7")
    other, _ = run_demo(str(tmp_path / "c"), "--epochs", "2", "--seed", "8")
    assert first["model"].state_dict() == again["model"].state_dict()
    assert first["X_train"] == again["X_train"]
    assert first["model"].state_dict() != other["model"].state_dict()


@pytest.mark.parametrize("optimizer", sorted(demo.OPTIMIZERS))
def test_every_optimizer_choice_trains_with_its_own_class_and_the_given_lr(tmp_path, optimizer):
    result, lines = run_demo(str(tmp_path), "--epochs", "1", "--optimizer", optimizer, "--lr", "0.003")
    cls = demo.OPTIMIZERS[optimizer][0]
    assert result["optimizer"] == cls.__name__ and result["lr"] == 0.003
    assert result["history"].lr == [0.003]


# ---------------------------------------------------------------------------------------------------------
# bad options and missing tools
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--epochs", "0"), ("--epochs", "ten"), ("--lr", "0"), ("--lr", "-0.5"), ("--lr", "inf"),
        ("--noise", "-0.1"), ("--noise", "nan"), ("--hidden", "16,x"), ("--hidden", "16,0"), ("--hidden", ""),
        ("--hidden", "16,,16"), ("--samples", "3"), ("--batch-size", "0"), ("--dataset", "mnist"),
        ("--optimizer", "lbfgs"), ("--activation", "gelu"), ("--seed", "1.5"),
    ],
)  # fmt: skip
def test_a_bad_option_exits_with_status_2_and_names_the_option(tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as exit_info:
        demo.main([option, value, "--out", str(tmp_path / "never")])
    assert exit_info.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


def test_hidden_sizes_are_parsed_from_a_comma_separated_list():
    args = demo.build_parser().parse_args(["--hidden", " 8, 4,2 "])
    assert args.hidden == [8, 4, 2]
    assert demo.build_parser().parse_args([]).hidden == [16, 16]


def test_help_runs_as_a_module_and_lists_the_options():
    for module in ("nn.demo", "nn"):
        done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=ROOT,
                              timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        for option in ("--dataset", "--hidden", "--epochs", "--optimizer", "--lr", "--seed", "--out"):
            assert option in done.stdout


def test_without_graphviz_dot_main_exits_1_with_the_install_command_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert demo.main([*SMALL, "--out", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "apt-get install graphviz" in captured.err
    assert "Training" not in captured.out and not (tmp_path / "model.json").exists()


def test_without_matplotlib_main_exits_1_saying_how_to_install_it(tmp_path, capsys, monkeypatch):
    for module in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, module, None)  # `import` now raises ImportError
    assert demo.main([*SMALL, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "matplotlib" in err and "pip install" in err
    assert not (tmp_path / "graph.svg").exists()


def test_an_out_path_that_is_a_file_exits_1_naming_it(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert demo.main([*SMALL, "--out", str(blocker)]) == 1
    assert str(blocker) in capsys.readouterr().err
