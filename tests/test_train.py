"""fit, accuracy and predict: the training loop matches PyTorch's loop step for step, and it learns."""

import pytest
import torch

import autograd
import nn
from autograd import Value
from nn import MLP, DataLoader, optim
from nn.functional import cross_entropy, hinge_loss, l2_penalty
from nn.train import History, accuracy, fit, predict

torch.set_default_dtype(torch.float64)


# ---------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------


def torch_layers(model: MLP) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(W, b) per layer as float64 leaf tensors holding the model's current weights."""
    layers = []
    for layer in model.layers:
        w = torch.tensor([[v.data for v in n.w] for n in layer.neurons], requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], requires_grad=True)
        layers.append((w, b))
    return layers


def torch_forward(layers: list[tuple[torch.Tensor, torch.Tensor]], X: list[list[float]]) -> torch.Tensor:
    """The MLP of relu hidden layers and a linear output layer, in PyTorch."""
    h = torch.tensor(X)
    for i, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if i < len(layers) - 1:
            h = torch.relu(h)
    return h


def flat(model: MLP) -> list[float]:
    return [p.data for p in model.parameters()]


def torch_flat(layers: list[tuple[torch.Tensor, torch.Tensor]]) -> list[float]:
    """The same parameter order as MLP.parameters(): layer by layer, neuron by neuron, w then b."""
    out = []
    for w, b in layers:
        for row, bias in zip(w.tolist(), b.tolist()):
            out.extend(row)
            out.append(bias)
    return out


class Probe(nn.Module):
    """Wraps a model and records, for each forward call, (training flag, grad mode on?)."""

    def __init__(self, inner: nn.Module) -> None:
        self.inner = inner
        self._calls: list[tuple[bool, bool]] = []

    def forward(self, x):
        self._calls.append((self.training, autograd.is_grad_enabled()))
        return self.inner(x)


class Table(nn.Module):
    """A 'model' whose output for input i is the fixed row outputs[i]: predictions we can reason about."""

    def __init__(self, outputs) -> None:
        self._outputs = outputs

    def forward(self, i):
        row = self._outputs[i]
        return Value(row) if isinstance(row, float) else [Value(v) for v in row]


def demo_l2(m: nn.Module) -> Value:
    return 1e-4 * l2_penalty(m.parameters())


# ---------------------------------------------------------------------------------------------------------
# it learns
# ---------------------------------------------------------------------------------------------------------


def test_micrograds_demo_reaches_at_least_99_percent_on_moons():
    # micrograd's demo notebook: 100 moons, MLP(2, [16, 16, 1]) with its U(-1, 1) init, hinge loss + 1e-4 L2,
    # 100 full-batch SGD steps with lr = 1.0 - 0.9 k / 100 (LinearLR from 1.0 to 0.1 over 100 steps).
    X, y = nn.make_moons(100, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], init="uniform", seed=1)
    sgd = optim.SGD(model.parameters(), lr=1.0)
    schedule = optim.LinearLR(sgd, start_factor=1.0, end_factor=0.1, total_iters=100)
    history = fit(model, X, y, loss="hinge", optimizer=sgd, scheduler=schedule, epochs=100,
                  regularization=demo_l2, progress=False)  # fmt: skip
    assert history.lr == pytest.approx([1.0 - 0.9 * k / 100 for k in range(100)], rel=1e-12)
    assert accuracy(model, X, y) >= 0.99  # micrograd reports 100%; a few draws stop one point short


def test_xor_is_learned_by_a_hidden_layer_and_not_by_a_linear_model():
    # Clusters of sd 0.1 around (+-1, +-1): every point is ~10 sd from the axes, so the quadrant rule is right
    # on all of them; a line can get at most 3 of the 4 clusters right (75%).
    X, y = nn.make_xor(100, noise=0.1, seed=0)
    net = MLP(2, [8, 1], seed=0)
    fit(net, X, y, loss="bce_with_logits", optimizer=optim.Adam(net.parameters(), lr=0.05), epochs=60,
        progress=False)  # fmt: skip
    line = MLP(2, [1], seed=0)
    fit(line, X, y, loss="bce_with_logits", optimizer=optim.Adam(line.parameters(), lr=0.05), epochs=60,
        progress=False)  # fmt: skip
    assert accuracy(net, X, y) >= 0.98
    assert accuracy(line, X, y) <= 0.75


def test_three_class_spiral_is_learned_with_cross_entropy_and_adam():
    # The 3 arms all start at the origin (r = 0): those 3 identical inputs carry 3 labels, so 58/60 is the
    # best any model can do. CS231n's spiral: a linear softmax gets ~50%, a small ReLU net ~98%.
    X, y = nn.make_spiral(60, n_classes=3, noise=0.1, seed=0)
    net = MLP(2, [16, 16, 3], seed=0)
    history = fit(net, X, y, loss="cross_entropy", optimizer=optim.Adam(net.parameters(), lr=0.05), epochs=60,
                  progress=False)  # fmt: skip
    line = MLP(2, [3], seed=0)
    fit(line, X, y, loss="cross_entropy", optimizer=optim.Adam(line.parameters(), lr=0.05), epochs=60,
        progress=False)  # fmt: skip
    assert accuracy(net, X, y) >= 0.9
    assert accuracy(line, X, y) <= 0.7
    assert history.train_loss[-1] < 0.25 * history.train_loss[0]


# ---------------------------------------------------------------------------------------------------------
# the loop is PyTorch's loop
# ---------------------------------------------------------------------------------------------------------


def test_fit_matches_a_pytorch_loop_with_minibatches_momentum_l2_schedule_and_validation():
    X, y = nn.make_spiral(45, n_classes=3, noise=0.1, seed=2)
    X_val, y_val = nn.make_spiral(15, n_classes=3, noise=0.1, seed=3)
    model = MLP(2, [6, 3], seed=4)
    layers = torch_layers(model)  # same starting weights
    params = [t for pair in layers for t in pair]

    sgd = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    schedule = optim.StepLR(sgd, step_size=2, gamma=0.5)
    history = fit(model, X, y, loss="cross_entropy", optimizer=sgd, scheduler=schedule, epochs=5, batch_size=10,
                  seed=7, validation=(X_val, y_val), progress=False,
                  regularization=lambda m: 1e-3 * l2_penalty(m.parameters()))  # fmt: skip

    t_sgd = torch.optim.SGD(params, lr=0.2, momentum=0.9)
    t_schedule = torch.optim.lr_scheduler.StepLR(t_sgd, step_size=2, gamma=0.5)
    batches = DataLoader(X, y, batch_size=10, shuffle=True, seed=7)  # fit's documented batch order
    t_loss, t_lr = [], []
    for _ in range(5):
        t_lr.append(t_sgd.param_groups[0]["lr"])
        total = 0.0
        for X_b, y_b in batches:
            logits = torch_forward(layers, X_b)
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y_b))
            loss = loss + 1e-3 * sum((p * p).sum() for p in params)
            t_sgd.zero_grad()
            loss.backward()
            t_sgd.step()
            total += loss.item() * len(y_b)
        t_schedule.step()
        t_loss.append(total / len(y))

    assert flat(model) == pytest.approx(torch_flat(layers), abs=1e-9)
    assert history.lr == pytest.approx(t_lr, rel=1e-12)
    assert history.train_loss == pytest.approx(t_loss, abs=1e-9)
    with torch.no_grad():
        val_logits = torch_forward(layers, X_val)
        val_loss = torch.nn.functional.cross_entropy(val_logits, torch.tensor(y_val)).item()
        val_acc = (val_logits.argmax(dim=1) == torch.tensor(y_val)).double().mean().item()
    assert history.val_loss[-1] == pytest.approx(val_loss, abs=1e-9)
    assert history.val_accuracy[-1] == pytest.approx(val_acc, abs=1e-12)


def test_the_first_full_batch_loss_is_the_loss_of_the_initial_weights():
    X, y = nn.make_moons(30, noise=0.1, seed=5)
    model = MLP(2, [5, 1], seed=5)
    layers = torch_layers(model)
    fit_history = fit(model, X, y, loss="bce_with_logits", optimizer=optim.SGD(model.parameters(), lr=0.1),
                      epochs=2, progress=False)  # fmt: skip
    logits = torch_forward(layers, X).squeeze(1)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(y, dtype=torch.float64))
    assert fit_history.train_loss[0] == pytest.approx(expected.item(), abs=1e-12)
    # ... and the training accuracy of epoch 0 is that of the initial weights too.
    initial_accuracy = ((logits > 0).long() == torch.tensor(y)).double().mean().item()
    assert fit_history.train_accuracy[0] == pytest.approx(initial_accuracy, abs=1e-12)


@pytest.mark.parametrize("batch_size", [None, 8])
def test_fit_does_exactly_what_the_same_steps_by_hand_do(batch_size):
    # The default optimizer is Adam(lr=1e-2); batches come from DataLoader(..., shuffle=True, seed=seed).
    X, y = nn.make_blobs(24, centers=3, seed=6)
    by_fit, by_hand = MLP(2, [4, 3], seed=6), MLP(2, [4, 3], seed=6)
    fit(by_fit, X, y, loss="cross_entropy", epochs=2, batch_size=batch_size, seed=11, progress=False)

    adam = optim.Adam(by_hand.parameters(), lr=1e-2)
    loader = DataLoader(X, y, batch_size=batch_size or len(X), shuffle=batch_size is not None, seed=11)
    for _ in range(2):
        for X_b, y_b in loader:
            loss = cross_entropy([by_hand(x) for x in X_b], y_b)
            adam.zero_grad()
            loss.backward()
            adam.step()
    assert flat(by_fit) == flat(by_hand)  # the same operations in the same order: bit for bit


def test_full_batch_gradient_descent_with_a_small_step_never_increases_the_loss():
    # Descent lemma: for a smooth loss and a small enough step, each gradient step lowers the loss.
    X, y = nn.make_circles(40, noise=0.05, factor=0.5, seed=8)
    model = MLP(2, [8, 1], activation="tanh", seed=8)
    history = fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.05), epochs=25,
                  progress=False)  # fmt: skip
    assert len(history) == 25
    assert all(later <= earlier for earlier, later in zip(history.train_loss, history.train_loss[1:]))
    assert history.train_loss[-1] < history.train_loss[0]


def test_history_has_one_entry_per_epoch_and_leaves_out_what_was_not_measured():
    X, y = nn.make_xor(20, seed=9)
    model = MLP(2, [4, 1], seed=9)
    h = fit(model, X, y, loss="hinge", epochs=3, batch_size=7, progress=False)
    assert isinstance(h, History)
    assert (len(h.train_loss), len(h.train_accuracy), len(h.lr), h.val_loss, h.val_accuracy) == (3, 3, 3, [], [])
    assert set(h.as_dict()) == {"train_loss", "train_accuracy", "lr"}
    assert all(0.0 <= a <= 1.0 for a in h.train_accuracy)

    h = fit(model, X, y, loss="hinge", epochs=4, validation=(X[:5], y[:5]), progress=False)
    assert {k: len(v) for k, v in h.as_dict().items()} == {
        "train_loss": 4, "train_accuracy": 4, "val_loss": 4, "val_accuracy": 4, "lr": 4}  # fmt: skip

    targets = [x0 * x1 for x0, x1 in X]  # a regression: no accuracy to report
    h = fit(MLP(2, [4, 1], seed=9), X, targets, loss="mse", epochs=2, progress=False)
    assert set(h.as_dict()) == {"train_loss", "lr"}


def test_the_schedule_is_stepped_once_per_epoch_not_once_per_batch():
    X, y = nn.make_blobs(40, centers=2, seed=10)
    model = MLP(2, [3, 2], seed=10)
    sgd = optim.SGD(model.parameters(), lr=0.1)
    schedule = optim.LinearLR(sgd, start_factor=1.0, end_factor=0.1, total_iters=5)
    h = fit(model, X, y, optimizer=sgd, scheduler=schedule, epochs=8, batch_size=10, progress=False)  # 4 batches

    def linear_lr(e: int) -> float:  # LinearLR's closed form
        return 0.1 * (1.0 + (0.1 - 1.0) * min(e, 5) / 5)

    assert h.lr == pytest.approx([linear_lr(e) for e in range(8)], rel=1e-12)
    assert schedule.last_epoch == 8
    assert sgd.lr == pytest.approx(linear_lr(8), rel=1e-12)


def test_a_user_loss_function_gets_the_batch_outputs_and_targets():
    X, y = nn.make_moons(12, seed=12)
    model = MLP(2, [3, 1], seed=12)
    seen = []

    def margin_loss(outputs, targets):
        seen.append((len(outputs), list(targets)))
        return hinge_loss(outputs, [1.0 if t else -1.0 for t in targets])

    h = fit(model, X, y, loss=margin_loss, epochs=1, batch_size=5, shuffle=False, progress=False)
    assert seen == [(5, y[0:5]), (5, y[5:10]), (2, y[10:12])]
    assert len(h.train_accuracy) == 1  # integer labels: accuracy is tracked with the 0 threshold


# ---------------------------------------------------------------------------------------------------------
# modes, no_grad and the progress bar
# ---------------------------------------------------------------------------------------------------------


def test_fit_trains_in_train_mode_evaluates_in_eval_mode_without_a_graph_and_restores_modes():
    X, y = nn.make_moons(10, seed=13)
    X_val, y_val = nn.make_moons(4, seed=14)
    probe = Probe(MLP(2, [4, 1], dropout=0.2, seed=13))
    probe.eval()
    probe.inner.dropout.train()  # a mixed state must come back exactly as it was
    before = [(m, m.training) for m in probe.modules()]
    assert {training for _, training in before} == {True, False}
    fit(probe, X, y, loss="bce_with_logits", epochs=2, validation=(X_val, y_val), progress=False)
    assert probe._calls == ([(True, True)] * 10 + [(False, False)] * 4) * 2
    assert [(m, m.training) for m in probe.modules()] == before


def test_accuracy_and_predict_run_in_eval_mode_without_a_graph_and_restore_the_mode():
    X, y = nn.make_moons(6, seed=15)
    probe = Probe(MLP(2, [3, 2], dropout=0.5, seed=15)).train()
    predict(probe, X)
    accuracy(probe, X, y)
    assert probe._calls == [(False, False)] * 12
    assert all(m.training for m in probe.modules())


def test_progress_false_prints_nothing(capsys):
    X, y = nn.make_xor(8, seed=16)
    fit(MLP(2, [2, 1], seed=16), X, y, loss="hinge", epochs=3, progress=False)
    assert capsys.readouterr() == ("", "")


def test_progress_true_shows_a_bar_with_the_running_loss_and_accuracy(capsys):
    X, y = nn.make_xor(8, seed=16)
    fit(MLP(2, [2, 1], seed=16), X, y, loss="hinge", epochs=3, validation=(X, y), progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "loss=" in err and "acc=" in err and "val_loss=" in err


# ---------------------------------------------------------------------------------------------------------
# accuracy and predict
# ---------------------------------------------------------------------------------------------------------


def test_predict_is_the_argmax_of_the_outputs_first_maximum_on_ties_like_torch():
    rows = [[0.1, 2.0, -1.0], [3.0, 3.0, 1.0], [-5.0, -4.0, -4.0], [0.0, 0.0, 0.0]]
    expected = torch.tensor(rows).argmax(dim=1).tolist()
    assert predict(Table(rows), range(4)) == expected
    assert accuracy(Table(rows), range(4), [1, 0, 1, 2]) == 0.75  # hits on rows 0, 1, 2


def test_one_output_is_class_1_when_above_the_threshold():
    scores = [2.0, -0.5, 0.0, 0.3]
    assert predict(Table(scores), range(4)) == (torch.tensor(scores) > 0).long().tolist()
    assert predict(Table(scores), range(4), threshold=0.5) == [1, 0, 0, 0]
    assert accuracy(Table(scores), range(4), [1, 1, 0, 0]) == 0.5


def test_accuracy_of_a_trained_model_counts_the_hits_of_its_outputs():
    X, y = nn.make_blobs(30, centers=3, seed=17)
    model = MLP(2, [4, 3], seed=17)
    logits = torch_forward(torch_layers(model), X)
    hits = (logits.argmax(dim=1) == torch.tensor(y)).sum().item()
    assert accuracy(model, X, y) == hits / 30


# ---------------------------------------------------------------------------------------------------------
# bad arguments
# ---------------------------------------------------------------------------------------------------------


def _other_schedule():
    other = optim.SGD([Value(0.0)], lr=0.1)
    return optim.StepLR(other, step_size=1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 2.5}, TypeError, "epochs"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": "all"}, TypeError, "batch_size"),
        ({"y": [0, 1]}, ValueError, "same length"),
        ({"X": "abc"}, TypeError, "X must be a list"),
        ({"loss": "cross_entropyy"}, ValueError, "unknown loss 'cross_entropyy'.*'hinge'.*'mse'"),
        ({"loss": 3}, TypeError, "loss must be"),
        ({"loss": "hinge", "y": [0, 1, 2, 1]}, ValueError, r"y\[2\] is 2"),
        ({"loss": "cross_entropy", "y": [0, 1, -1, 1]}, ValueError, r"class indices.*y\[2\]"),
        ({"optimizer": "adam"}, TypeError, "optimizer"),
        ({"scheduler": "cosine"}, TypeError, "scheduler"),
        ({"scheduler": _other_schedule}, ValueError, "different optimizer"),
        ({"validation": ([[0.0, 0.0]], [0, 1])}, ValueError, "X_val and y_val"),
        ({"validation": [[0.0, 0.0]]}, TypeError, "validation"),
        ({"regularization": 1e-4}, TypeError, "regularization"),
        ({"progress": "yes"}, TypeError, "progress"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"model": lambda x: x}, TypeError, "nn.Module"),
    ],
)
def test_bad_arguments_raise_a_clear_error_and_leave_the_model_untouched(kwargs, error, match):
    model = MLP(2, [2, 2], seed=18)
    before = flat(model)
    args = {"model": model, "X": [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], "y": [0, 1, 1, 0],
            "loss": "cross_entropy", "progress": False}  # fmt: skip
    if callable(kwargs.get("scheduler")):
        kwargs = {**kwargs, "scheduler": kwargs["scheduler"]()}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        fit(**args)
    assert flat(model) == before


def test_accuracy_rejects_mismatched_or_empty_inputs():
    model = MLP(2, [2], seed=19)
    with pytest.raises(ValueError, match="same length"):
        accuracy(model, [[0.0, 0.0]], [0, 1])
    with pytest.raises(ValueError, match="empty"):
        accuracy(model, [], [])
    with pytest.raises(TypeError, match="nn.Module"):
        accuracy(lambda x: x, [[0.0, 0.0]], [0])


def test_fit_frees_each_steps_graph_before_the_cycle_collector_is_back_so_it_never_scans_one() -> None:
    # fit pauses the cycle collector during a step. Objects made meanwhile still count towards the next
    # collection, so a graph still alive when the collector comes back (~12,000 objects here) is scanned by
    # the first allocation after it; freed before that (by reference counting: graphs have no cycles), it
    # leaves nothing to scan. Whenever a collection starts, no node of a graph may be among what it scans.
    import gc

    X, y = nn.make_moons(200, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    sgd = nn.optim.SGD(model.parameters(), lr=0.1)
    scanned_nodes: list[int] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            young = [o for g in range(info["generation"] + 1) for o in gc.get_objects(g)]
            scanned_nodes.append(sum(1 for o in young if type(o) is Value and o.parents))

    gc.callbacks.append(record)
    try:
        nn.fit(model, X, y, loss="hinge", optimizer=sgd, epochs=3, progress=False)
    finally:
        gc.callbacks.remove(record)
    assert not any(scanned_nodes), scanned_nodes


# ---------------------------------------------------------------------------------------------------------
# the cycle collector's pause, across threads
# ---------------------------------------------------------------------------------------------------------


def test_a_pause_ending_in_one_thread_leaves_the_collector_off_while_another_threads_pause_is_open() -> None:
    import gc
    import threading

    from nn.collector import cycle_collector_paused

    a_in, b_in, a_out, b_may_leave = (threading.Event() for _ in range(4))
    seen: dict[str, bool] = {}

    def a() -> None:
        with cycle_collector_paused():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b() -> None:
        a_in.wait(10)
        with cycle_collector_paused():
            b_in.set()
            a_out.wait(10)
            seen["inside b after a left"] = gc.isenabled()  # each pause restoring on its own made this True
            b_may_leave.wait(10)

    gc.enable()
    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    a_out.wait(10)
    b_may_leave.set()
    for t in threads:
        t.join(10)
    assert seen == {"inside b after a left": False}
    assert gc.isenabled()


def test_pauses_leave_a_collector_that_was_off_off() -> None:
    import gc

    from nn.collector import cycle_collector_paused

    gc.disable()
    try:
        with cycle_collector_paused():
            with cycle_collector_paused():
                assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_fit_in_several_threads_never_runs_a_step_with_the_collector_on_and_turns_it_back_on_at_the_end() -> None:
    import gc
    import threading

    X, y = nn.make_moons(40, noise=0.1, seed=3)
    on_during_a_step: list[bool] = []
    errors: list[BaseException] = []

    def watched_loss(outputs, targets):  # runs inside each step's pause
        on_during_a_step.append(gc.isenabled())
        return nn.functional.hinge_loss([o for o in outputs], [2.0 * t - 1.0 for t in targets])

    def train(seed: int) -> None:
        try:
            model = MLP(2, [8, 1], seed=seed)
            fit(model, X, y, loss=watched_loss, optimizer=optim.SGD(model.parameters(), lr=0.05),
                epochs=15, batch_size=8, progress=False, seed=seed)  # fmt: skip
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    gc.enable()
    threads = [threading.Thread(target=train, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(on_during_a_step) == 4 * 15 * 5 and not any(on_during_a_step)
    assert gc.isenabled()


# ---------------------------------------------------------------------------------------------------------
# errors a user can read, and NumPy numbers as Python's
# ---------------------------------------------------------------------------------------------------------

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"loss": lambda o, t: 1.0}, TypeError, "loss must return a Value .*got 1.0 of type float"),
    ({"loss": lambda o, t: None}, TypeError, "loss must return a Value .*got None"),
    ({"loss": "hinge", "regularization": lambda m: "x"}, TypeError, "regularization must return a Value"),
    ({"loss": "mse", "y": [[0.5, 0.5]] * 4}, ValueError,
     r"loss='mse' needs one target entry per model output: a sample has 1 output\(s\) but its target \[0.5, 0.5\]"),
    ({"loss": "mse", "y": [["a"]] * 4}, ValueError, r"loss='mse' needs targets that are numbers.*y\[0\] is \['a'\]"),
    ({"loss": "mse", "y": [None] * 4}, ValueError, r"y\[0\] is None"),
])  # fmt: skip
def test_a_loss_or_targets_that_cannot_work_is_a_clear_error_before_the_model_changes(kwargs, error, match):
    model = MLP(2, [3, 1], seed=20)
    before = flat(model)
    args = {"model": model, "X": XOR_X, "y": [0, 1, 1, 0], "progress": False, **kwargs}
    with pytest.raises(error, match=match):
        fit(**args)
    assert flat(model) == before


def test_a_regularization_that_returns_a_plain_number_only_shifts_the_reported_loss():
    a, b = MLP(2, [3, 1], seed=21), MLP(2, [3, 1], seed=21)
    ha = fit(a, XOR_X, [0, 1, 1, 0], loss="hinge", epochs=3, progress=False)
    hb = fit(b, XOR_X, [0, 1, 1, 0], loss="hinge", epochs=3, progress=False, regularization=lambda m: 0.5)
    assert flat(a) == flat(b)
    assert hb.train_loss == [loss + 0.5 for loss in ha.train_loss]


def test_numpy_labels_sizes_and_seeds_train_exactly_like_python_ones():
    np = pytest.importorskip("numpy")
    X, y = nn.make_moons(30, noise=0.1, seed=5)
    a, b = MLP(2, [4, 2], seed=22), MLP(2, [4, 2], seed=22)
    ha = fit(a, X, y, epochs=3, batch_size=8, seed=1, progress=False)
    hb = fit(b, X, [np.int64(t) for t in y], epochs=np.int64(3), batch_size=np.int32(8), seed=np.int64(1),
             progress=False)  # fmt: skip
    assert flat(a) == flat(b) and ha.as_dict() == hb.as_dict()
    c = MLP(2, [4, 1], seed=23)
    hc = fit(c, X, [np.float32(t) for t in y], loss="mse", epochs=2, progress=False)
    assert len(hc) == 2


# ---------------------------------------------------------------------------------------------------------
# micrograd's labels -1/+1 for the hinge loss, and the default loss
# ---------------------------------------------------------------------------------------------------------


def test_hinge_with_labels_minus_one_and_one_trains_as_pytorch_does_and_scores_in_that_convention():
    X, y01 = nn.make_moons(30, noise=0.1, seed=24)
    y = [2 * t - 1 for t in y01]  # micrograd's demo labels
    model = MLP(2, [6, 1], seed=24)
    layers = torch_layers(model)
    params = [t for pair in layers for t in pair]
    history = fit(model, X, y, loss="hinge", optimizer=optim.SGD(model.parameters(), lr=0.3), epochs=3,
                  progress=False)  # fmt: skip

    t_sgd = torch.optim.SGD(params, lr=0.3)
    signs = torch.tensor(y, dtype=torch.float64)
    t_loss, t_acc = [], []
    for _ in range(3):
        scores = torch_forward(layers, X).squeeze(1)
        loss = torch.clamp(1 - signs * scores, min=0).mean()  # relu(1 - y·s), y = ±1
        t_acc.append((torch.where(scores > 0, 1, -1) == torch.tensor(y)).double().mean().item())
        t_sgd.zero_grad()
        loss.backward()
        t_sgd.step()
        t_loss.append(loss.item())
    assert flat(model) == pytest.approx(torch_flat(layers), abs=1e-12)
    assert history.train_loss == pytest.approx(t_loss, abs=1e-12)
    assert history.train_accuracy == pytest.approx(t_acc, abs=1e-12)
    with torch.no_grad():
        final = torch_forward(layers, X).squeeze(1)
    assert predict(model, X, negative=-1) == torch.where(final > 0, 1, -1).tolist()
    assert accuracy(model, X, y) == pytest.approx((torch.where(final > 0, 1, -1) == torch.tensor(y)).double()
                                                  .mean().item(), abs=1e-12)  # fmt: skip
    assert accuracy(model, X, y) == accuracy(model, X, y01)  # the same sides, named two ways


def test_hinge_labels_minus_one_and_zero_name_the_same_side_so_training_is_identical():
    X, y01 = nn.make_xor(20, seed=25)
    a, b = MLP(2, [4, 1], seed=25), MLP(2, [4, 1], seed=25)
    ha = fit(a, X, y01, loss="hinge", epochs=3, batch_size=7, seed=2, validation=(X, y01), progress=False)
    y = [-1 if t == 0 else 1 for t in y01]
    hb = fit(b, X, y, loss="hinge", epochs=3, batch_size=7, seed=2, validation=(X, y), progress=False)
    assert flat(a) == flat(b) and ha.as_dict() == hb.as_dict()
    c = MLP(2, [4, 1], seed=25)
    hc = fit(c, X, y, loss="hinge", epochs=3, batch_size=7, seed=2, validation=(X, y), progress=False, compile=True)
    assert flat(c) == pytest.approx(flat(b), abs=1e-12) and hc.train_accuracy == hb.train_accuracy


def test_one_output_scores_in_the_labels_convention_by_hand():
    scores = [2.0, -0.5, 0.0, 0.3]  # sides: +, -, - (0 is not above the threshold), +
    assert predict(Table(scores), range(4), negative=-1) == [1, -1, -1, 1]
    assert accuracy(Table(scores), range(4), [1, -1, -1, 1]) == 1.0
    assert accuracy(Table(scores), range(4), [1, 1, -1, -1]) == 0.5  # hits on samples 0 and 2
    assert accuracy(Table(scores), range(4), [1, 1, 1, 1]) == 0.5  # no -1 at all: read as 0/1 labels
    with pytest.raises(ValueError, match=r"negative must be 0 \(labels 0/1\) or -1"):
        predict(Table(scores), range(4), negative=2)


@pytest.mark.parametrize(("y", "match"), [
    ([1, 0, 1, -1], r"all 0 or 1, or all -1 or \+1, not both: y\[1\] is 0 and y\[3\] is -1"),
    ([-1, 1, 0, 1], r"not both: y\[2\] is 0 and y\[0\] is -1"),
    ([1, -1, 2, 1], r"needs targets that are 0 or 1, or -1 and \+1 .*y\[2\] is 2"),
    ([1, -1, 0.5, 1], r"y\[2\] is 0.5"),
])  # fmt: skip
def test_hinge_labels_that_mix_the_two_conventions_are_an_error_naming_the_entries(y, match):
    model = MLP(2, [3, 1], seed=26)
    before = flat(model)
    with pytest.raises(ValueError, match=match):
        fit(model, XOR_X, y, loss="hinge", progress=False)
    with pytest.raises(ValueError, match=match.replace("y\\[", "y_val\\[")):
        fit(model, XOR_X, [0, 1, 1, 0], loss="hinge", validation=(XOR_X, y), progress=False)
    assert flat(model) == before


def test_the_default_loss_of_a_one_output_model_is_bce_with_logits_as_pytorch_computes_it():
    X, y = nn.make_moons(20, noise=0.1, seed=27)
    model = MLP(2, [5, 1], seed=27)
    logits = torch_forward(torch_layers(model), X).squeeze(1)
    history = fit(model, X, y, epochs=2, progress=False)  # was "classes are 0 to 0" with cross_entropy
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(y, dtype=torch.float64))
    assert history.train_loss[0] == pytest.approx(expected.item(), abs=1e-12)


@pytest.mark.parametrize(("nouts", "named"), [([4, 1], "bce_with_logits"), ([4, 3], "cross_entropy")])
def test_the_default_loss_is_picked_by_the_number_of_outputs_and_trains_as_that_loss_named(nouts, named):
    # dropout on: the forward pass that reads the output size is in eval mode, so it draws no mask
    X, y = nn.make_blobs(24, centers=2 if nouts[-1] == 1 else 3, seed=28)
    by_default, by_name = MLP(2, nouts, dropout=0.3, seed=28), MLP(2, nouts, dropout=0.3, seed=28)
    hd = fit(by_default, X, y, epochs=3, batch_size=8, seed=3, validation=(X, y), progress=False)
    hn = fit(by_name, X, y, loss=named, epochs=3, batch_size=8, seed=3, validation=(X, y), progress=False)
    assert flat(by_default) == flat(by_name) and hd.as_dict() == hn.as_dict()
    assert all(m.training for m in by_default.modules())
