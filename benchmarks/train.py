"""Training benchmark: micrograd's demo step against micrograd 0.1.0, and time to learn the 8x8 digits.

    python benchmarks/train.py [--repeats 7] [--budget 120] [--skip-digits]

1. micrograd's demo step (100 moons, MLP(2, [16, 16, 1]), hinge loss + 1e-4·L2, backward, SGD update,
   zero_grad), timed round-robin in the same run so machine noise hits both alike; median seconds per step:
   - micrograd 0.1.0, written as its demo notebook writes it (inputs wrapped in Values);
   - chaingrad, the same code line for line (inputs wrapped in Values);
   - chaingrad's `nn.fit` doing that step (one full-batch epoch; inputs stay plain floats).
2. MLP(64, [32, 10]) on load_digits (75/25 split, cross-entropy, Adam lr=1e-2, mini-batches of 32):
   seconds until the held-out accuracy, measured after every epoch, first reaches 95% and 97%.
   Targets (issue 3): a demo step >= 30x faster than micrograd; 95% in < 10 s, 97% in < 30 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable

sys.path.insert(0, __file__.rsplit("/", 2)[0])  # run from a checkout without installing

import autograd  # noqa: E402
import nn  # noqa: E402
from benchmarks.common import interleaved, median, print_table  # noqa: E402
from nn import optim  # noqa: E402
from nn.functional import l2_penalty  # noqa: E402

ALPHA = 1e-4  # micrograd's demo L2 weight


# ---------------------------------------------------------------------------------------------------------
# 1. micrograd's demo step
# ---------------------------------------------------------------------------------------------------------


def micrograd_step(X: list, y_pm: list) -> Callable[[], float]:
    """micrograd's demo notebook step, in micrograd 0.1.0 itself."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    random.seed(1337)  # micrograd draws its weights from the global generator
    model = MLP(2, [16, 16, 1])
    k = [0]

    def step() -> float:
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y_pm, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k[0] / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        k[0] += 1
        return total.data

    return step


def chaingrad_step(X: list, y_pm: list) -> Callable[[], float]:
    """The same demo code, line for line, on chaingrad's Value and MLP (same U(-1, 1) init)."""
    Value = autograd.Value
    model = nn.MLP(2, [16, 16, 1], init="uniform", seed=1337)
    k = [0]

    def step() -> float:
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y_pm, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k[0] / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        k[0] += 1
        return total.data

    return step


def fit_step(X: list, y: list) -> Callable[[], float]:
    """The demo step as a user of nn.fit writes it: one full-batch epoch of hinge + L2 with SGD."""
    model = nn.MLP(2, [16, 16, 1], init="uniform", seed=1337)
    sgd = optim.SGD(model.parameters(), lr=1.0)
    schedule = optim.LinearLR(sgd, start_factor=1.0, end_factor=0.1, total_iters=100)

    def step() -> float:
        history = nn.fit(model, X, y, loss="hinge", optimizer=sgd, scheduler=schedule, epochs=1,
                         regularization=lambda m: ALPHA * l2_penalty(m.parameters()), progress=False)  # fmt: skip
        return history.train_loss[0]

    return step


def demo_benchmark(repeats: int) -> None:
    X, y = nn.make_moons(100, noise=0.1, seed=1)
    y_pm = [2.0 * t - 1.0 for t in y]
    steps = {
        "micrograd 0.1.0 (demo code)": micrograd_step(X, y_pm),
        "chaingrad (same demo code)": chaingrad_step(X, y_pm),
        "chaingrad nn.fit (1 epoch)": fit_step(X, y),
    }
    times = interleaved(steps, repeats)
    base = median(times["micrograd 0.1.0 (demo code)"])
    rows = [[name, f"{median(t) * 1e3:.1f}", f"{base / median(t):.1f}x"] for name, t in times.items()]
    print(f"1. micrograd's demo step: moons(100), MLP(2, [16, 16, 1]), hinge + 1e-4 L2, SGD; "
          f"median of {repeats}, interleaved")  # fmt: skip
    print_table(rows, ["engine", "ms / step", "speed-up vs micrograd"])


# ---------------------------------------------------------------------------------------------------------
# 2. digits to 95% and 97%
# ---------------------------------------------------------------------------------------------------------


def digits_benchmark(budget: float, batch_size: int, lr: float, seed: int) -> None:
    X, y = nn.load_digits()
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, test_size=0.25, seed=seed)
    model = nn.MLP(64, [32, 10], seed=seed)
    adam = optim.Adam(model.parameters(), lr=lr)
    print(f"\n2. MLP(64, [32, 10]) on digits: {len(y_train)} train / {len(y_test)} test, cross-entropy, "
          f"Adam lr={lr}, batch_size={batch_size}")  # fmt: skip
    print(f"   held-out accuracy after every epoch (budget {budget:.0f} s)")
    goals = [0.95, 0.97]
    reached: dict[float, tuple[int, float, float]] = {}
    rows = []
    train_seconds = 0.0
    wall_start = time.perf_counter()
    epoch = 0
    while len(reached) < len(goals) and time.perf_counter() - wall_start < budget:
        start = time.perf_counter()
        # One epoch per call, the optimizer's state carried over; a new shuffling seed per epoch.
        history = nn.fit(model, X_train, y_train, loss="cross_entropy", optimizer=adam, epochs=1,
                         batch_size=batch_size, seed=seed * 1000 + epoch, progress=False)  # fmt: skip
        train_seconds += time.perf_counter() - start
        test_accuracy = nn.accuracy(model, X_test, y_test)
        wall = time.perf_counter() - wall_start
        epoch += 1
        rows.append([str(epoch), f"{history.train_loss[0]:.4f}", f"{history.train_accuracy[0]:.4f}",
                     f"{test_accuracy:.4f}", f"{train_seconds:.1f}", f"{wall:.1f}"])  # fmt: skip
        for goal in goals:
            if goal not in reached and test_accuracy >= goal:
                reached[goal] = (epoch, train_seconds, wall)
    print_table(rows, ["epoch", "train loss", "train acc", "test acc", "train s", "wall s"])
    for goal in goals:
        if goal in reached:
            e, t, w = reached[goal]
            print(f"{goal:.0%} held-out accuracy: epoch {e}, {t:.1f} s of training ({w:.1f} s with evaluation)")
        else:
            print(f"{goal:.0%} held-out accuracy: not reached within {budget:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7, help="timed demo steps per engine (median reported)")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds allowed for the digits run")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-digits", action="store_true", help="only the demo step")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}\n")
    demo_benchmark(args.repeats)
    if not args.skip_digits:
        digits_benchmark(args.budget, args.batch_size, args.lr, args.seed)


if __name__ == "__main__":
    main()
