"""An MNIST-sized training step, eager against compiled: MLP(784, [128, 10]), ~100k parameters.

One step: cross-entropy of a batch of 32 samples, mean over the batch, gradients of every parameter. The
inputs are random numbers in [0, 1) shaped like MNIST's 28x28 images (this machine has no MNIST download;
the arithmetic is the same). The compiled step writes each neuron's 785-wide row as sum(map(mul, row, xs))
(autograd/compile.py's wide dots); straight-line code would be 100,000 terms.

    python benchmarks/wide_step.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0])  # run from a checkout without installing

import autograd  # noqa: E402
import nn  # noqa: E402
from nn.functional import cross_entropy  # noqa: E402

SIZES = (784, 128, 10)


def workload(batch: int = 32, sizes: tuple[int, ...] = SIZES, seed: int = 0) -> tuple[nn.MLP, list, list]:
    rng = random.Random(seed)
    X = [[rng.random() for _ in range(sizes[0])] for _ in range(batch)]
    y = [rng.randrange(sizes[-1]) for _ in range(batch)]
    return nn.MLP(sizes[0], list(sizes[1:]), seed=seed), X, y


def _sample_loss(model: nn.MLP):  # noqa: ANN202 - a function of (x, one-hot target)
    def loss(x: list, onehot: list) -> autograd.Value:
        z = model(x)
        return autograd.logsumexp(z) - autograd.dot(onehot, z)  # cross-entropy, the target as data

    return loss


def eager_step(model: nn.MLP, X: list, y: list) -> float:
    model.zero_grad()
    loss = cross_entropy(model(X), y)
    loss.backward()
    return loss.data


def run(repeats: int = 5, batch: int = 32, sizes: tuple[int, ...] = SIZES,
        forward_batch: int = 256) -> dict[str, float]:  # fmt: skip
    """Seconds: compile_and_first_step, the medians of compiled and eager steps (interleaved), and the
    forward pass alone over forward_batch samples (nn.outputs, compiled with its tracing included, and eager)."""
    model, X, y = workload(batch, sizes)
    onehot = [[1.0 if k == t else 0.0 for k in range(sizes[-1])] for t in y]
    start = time.perf_counter()
    step = autograd.compile(_sample_loss(model), per_sample=True, parameters=model.named_parameters())
    step(X, onehot)
    compile_seconds = time.perf_counter() - start
    compiled, eager = [], []
    for _ in range(repeats):
        model.zero_grad()
        start = time.perf_counter()
        step(X, onehot)
        compiled.append(time.perf_counter() - start)
        start = time.perf_counter()
        eager_step(model, X, y)
        eager.append(time.perf_counter() - start)
    _, X_forward, _ = workload(forward_batch, sizes, seed=1)
    forward_start = time.perf_counter()
    nn.outputs(model, X_forward, compile=True)
    forward_compiled = time.perf_counter() - forward_start
    forward_start = time.perf_counter()
    nn.outputs(model, X_forward, compile=False)
    forward_eager = time.perf_counter() - forward_start
    return {"compile_and_first_step": compile_seconds, "compiled_step": statistics.median(compiled),
            "eager_step": statistics.median(eager), "forward_compiled": forward_compiled,
            "forward_eager": forward_eager}  # fmt: skip


if __name__ == "__main__":
    r = run()
    print(f"MLP{SIZES}, batch 32: compile + first step {r['compile_and_first_step']:.2f} s")
    print(f"  step: compiled {r['compiled_step'] * 1e3:.0f} ms, eager {r['eager_step'] * 1e3:.0f} ms "
          f"({r['eager_step'] / r['compiled_step']:.1f}x)")  # fmt: skip
    print(f"  forward only, 256 samples (nn.outputs, tracing included): compiled {r['forward_compiled'] * 1e3:.0f} ms, "
          f"eager {r['forward_eager'] * 1e3:.0f} ms")  # fmt: skip
