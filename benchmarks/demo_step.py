"""micrograd's demo training step, written for five engines that compute the same numbers.

The step: moons (100 points), MLP(2, [16, 16, 1]) with ReLU hidden layers, hinge loss + 1e-4·L2, backward,
SGD update, zero_grad. Every engine starts from the same weights, so each computes the same loss and the same
gradients (tests/test_benchmarks.py checks that at a small size):

- chaingrad: this library, inputs as Values, the way a user writes it: the model called once on the batch
  of inputs (a list of inputs, as PyTorch takes a 2-D tensor), which builds the same nodes as one call each;
- chaingrad-per-sample: the same with one model call per input;
- chaingrad-fit: the same step done by `nn.fit` (one full-batch epoch), which pauses the cycle collector;
- chaingrad-micrograd-code: micrograd's demo code line for line on chaingrad's Value and MLP (built-in sum()
  makes a chain of additions: a drop-in replacement, not the idiomatic way);
- chaingrad-compiled: the step through autograd.compile (traced once, run as generated Python);
- micrograd 0.1.0: its own MLP and demo code;
- torch-scalars: PyTorch with one 0-d tensor per scalar, the same scalar graph (float64);
- hand-written: plain Python floats and loops, forward and backward by hand, no graph: the limit for a
  pure-Python engine;
- torch-batched: the same network vectorized in PyTorch, for context only.
"""

from __future__ import annotations

import gc
import operator
import random
import statistics
import time
from collections.abc import Callable

import autograd
import nn
from benchmarks.common import freeze_imports
from nn import optim
from nn.functional import hinge_loss, l2_penalty

ALPHA = 1e-4  # the L2 weight of micrograd's demo
SIZES = [2, 16, 16, 1]


def workload(n_points: int = 100, seed: int = 1, sizes: list[int] = SIZES) -> tuple:
    """(X, y±1, weights): the data and one shared starting point, weights[layer][neuron] = (w list, b)."""
    X, labels = nn.make_moons(n_points, noise=0.1, seed=seed)
    y = [2.0 * t - 1.0 for t in labels]
    rng = random.Random(seed)
    weights = [
        [([rng.uniform(-1, 1) for _ in range(nin)], rng.uniform(-0.1, 0.1)) for _ in range(nout)]
        for nin, nout in zip(sizes, sizes[1:])
    ]
    return X, y, weights


# Each engine: setup(X, y, weights) -> a step function; step(lr) runs one training step and returns
# (loss, gradients in parameter order: layer by layer, neuron by neuron, w then b, taken before the update).


def _copy_weights(model: object, weights: list) -> object:
    """Set an MLP's weights (chaingrad's or micrograd's: both have layers, neurons, w and b) to `weights`."""
    for layer, layer_weights in zip(model.layers, weights):
        for neuron, (w, b) in zip(layer.neurons, layer_weights):
            for p, v in zip(neuron.w, w):
                p.data = v
            neuron.b.data = b
    return model


def _backward_and_update(model: object, params: list, loss: object, lr: float) -> tuple:
    """zero_grad, backward, plain SGD: (the loss, the gradients before the update), as every step returns."""
    model.zero_grad()
    loss.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.data -= lr * p.grad
    return loss.data, grads


def _chaingrad_model(weights: list) -> nn.MLP:
    return _copy_weights(nn.MLP(SIZES[0], SIZES[1:], seed=0), weights)


def chaingrad(X: list, y: list, weights: list, batched: bool = True) -> Callable[[float], tuple]:
    model = _chaingrad_model(weights)
    params = model.parameters()

    def step(lr: float) -> tuple:
        inputs = [[autograd.Value(v) for v in row] for row in X]
        scores = model(inputs) if batched else [model(x) for x in inputs]
        return _backward_and_update(model, params, hinge_loss(scores, y) + ALPHA * l2_penalty(params), lr)

    return step


def chaingrad_per_sample(X: list, y: list, weights: list) -> Callable[[float], tuple]:
    return chaingrad(X, y, weights, batched=False)


def chaingrad_fit(X: list, y: list, weights: list) -> Callable[[float], tuple]:
    model = _chaingrad_model(weights)
    params = model.parameters()
    labels = [int(t > 0) for t in y]  # fit's hinge takes classes 0/1 as the sides -1/+1
    sgd = optim.SGD(params, lr=1.0)

    def step(lr: float) -> tuple:
        sgd.lr = lr
        history = nn.fit(model, X, labels, loss="hinge", optimizer=sgd, epochs=1, progress=False,
                         regularization=lambda m: ALPHA * l2_penalty(params))  # fmt: skip
        return history.train_loss[0], [p.grad for p in params]  # the step's gradients stay on the parameters

    return step


def chaingrad_compiled(X: list, y: list, weights: list) -> Callable[[float], tuple]:
    """The same step through autograd.compile: one sample's loss traced once, the loop over the batch inside
    the generated program, the L2 term as its penalty."""
    model = _chaingrad_model(weights)
    params = model.parameters()
    names = model.named_parameters()
    step = autograd.compile(lambda x, t: (1.0 - t * model(x)).relu(), per_sample=True,
                            penalty=lambda: ALPHA * l2_penalty(params), parameters=names)  # fmt: skip

    def run(lr: float) -> tuple:
        for p in params:  # what optimizer.zero_grad() does
            p.grad = 0.0
        loss = step(X, y)
        grads = [p.grad for p in params]
        for p in params:
            p.data -= lr * p.grad
        return loss, grads

    return run


def compile_seconds(n_points: int = 100, seed: int = 1) -> float:
    """Seconds from autograd.compile(...) to the first step's result: tracing, writing and compiling included."""
    X, y, weights = workload(n_points, seed)
    start = time.perf_counter()
    chaingrad_compiled(X, y, weights)(0.0)
    return time.perf_counter() - start


def _micrograd_demo_step(model: object, value_type: type, X: list, y: list) -> Callable[[float], tuple]:
    """micrograd's demo notebook step, line for line, on the given engine's MLP and Value."""
    params = model.parameters()

    def step(lr: float) -> tuple:
        inputs = [list(map(value_type, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in params)
        return _backward_and_update(model, params, data_loss + reg_loss, lr)

    return step


def chaingrad_micrograd_code(X: list, y: list, weights: list) -> Callable[[float], tuple]:
    return _micrograd_demo_step(_chaingrad_model(weights), autograd.Value, X, y)


def micrograd(X: list, y: list, weights: list) -> Callable[[float], tuple]:
    from micrograd.engine import Value
    from micrograd.nn import MLP

    return _micrograd_demo_step(_copy_weights(MLP(SIZES[0], SIZES[1:]), weights), Value, X, y)


def torch_scalars(X: list, y: list, weights: list) -> Callable[[float], tuple]:
    import torch

    def scalar(v: float, grad: bool = False) -> torch.Tensor:
        return torch.tensor(v, dtype=torch.float64, requires_grad=grad)

    layers = [[([scalar(v, True) for v in w], scalar(b, True)) for w, b in lw] for lw in weights]
    params = [p for lw in layers for w, b in lw for p in [*w, b]]

    def forward(x: list) -> torch.Tensor:
        for i, lw in enumerate(layers):
            z = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in lw]
            x = z if i == len(layers) - 1 else [v.relu() for v in z]
        return x[0]

    def step(lr: float) -> tuple:
        inputs = [[scalar(v, True) for v in row] for row in X]
        scores = [forward(x) for x in inputs]
        losses = [(1 - yi * si).relu() for yi, si in zip(y, scores)]
        loss = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        grads = [p.grad.item() for p in params]
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return loss.item(), grads

    return step


def hand_written(X: list, y: list, weights: list) -> Callable[[float], tuple]:
    """No graph at all: the forward pass keeps what backward needs, and backward is written out by hand."""
    W = [[list(w) for w, _ in lw] for lw in weights]  # W[l][j] = weights of neuron j of layer l
    B = [[b for _, b in lw] for lw in weights]
    last = len(W) - 1

    def step(lr: float) -> tuple:
        n = len(X)
        gW = [[[0.0] * len(w) for w in lw] for lw in W]
        gB = [[0.0] * len(lb) for lb in B]
        loss = 0.0
        for x, t in zip(X, y):
            acts = [x]  # each layer's input
            for l_, (lw, lb) in enumerate(zip(W, B)):
                z = [sum(map(operator.mul, w, acts[-1])) + b for w, b in zip(lw, lb)]
                acts.append(z if l_ == last else [v if v > 0 else 0.0 for v in z])
            score = acts[-1][0]
            margin = 1.0 - t * score
            if margin <= 0:
                continue  # relu(margin) = 0: this sample adds nothing to the loss or the gradients
            loss += margin / n
            grad = [-t / n]  # d(loss)/d(score)
            for l_ in range(last, -1, -1):
                a_in, a_out = acts[l_], acts[l_ + 1]
                if l_ != last:  # through the relu: pass where the output was positive
                    grad = [g if a > 0 else 0.0 for g, a in zip(grad, a_out)]
                lw, gw, gb = W[l_], gW[l_], gB[l_]
                back = [0.0] * len(a_in)
                for j, g in enumerate(grad):
                    if g == 0.0:
                        continue
                    gb[j] += g
                    row, grow = lw[j], gw[j]
                    for i, a in enumerate(a_in):
                        grow[i] += g * a
                        back[i] += g * row[i]
                grad = back
        reg = 0.0
        for lw, lb, gw, gb in zip(W, B, gW, gB):
            for j, (w, b) in enumerate(zip(lw, lb)):
                reg += sum(v * v for v in w) + b * b
                gw[j] = [gv + 2 * ALPHA * v for gv, v in zip(gw[j], w)]
                gb[j] += 2 * ALPHA * b
        loss += ALPHA * reg
        grads = [g for gw, gb in zip(gW, gB) for row, b in zip(gw, gb) for g in [*row, b]]
        for lw, lb, gw, gb in zip(W, B, gW, gB):
            for j in range(len(lw)):
                lw[j] = [v - lr * g for v, g in zip(lw[j], gw[j])]
                lb[j] -= lr * gb[j]
        return loss, grads

    return step


def torch_batched(X: list, y: list, weights: list) -> Callable[[float], tuple]:
    import torch

    mats = []
    for lw in weights:
        w = torch.tensor([w for w, _ in lw], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([b for _, b in lw], dtype=torch.float64, requires_grad=True)
        mats.append((w, b))
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)

    def step(lr: float) -> tuple:
        h = Xt
        for i, (w, b) in enumerate(mats):
            h = h @ w.T + b
            if i < len(mats) - 1:
                h = h.relu()
        loss = (1 - yt * h[:, 0]).relu().mean() + ALPHA * sum((w * w).sum() + (b * b).sum() for w, b in mats)
        for w, b in mats:
            w.grad = b.grad = None
        loss.backward()
        grads = [g for w, b in mats for row, gb in zip(w.grad.tolist(), b.grad.tolist()) for g in [*row, gb]]
        with torch.no_grad():
            for w, b in mats:
                w -= lr * w.grad
                b -= lr * b.grad
        return loss.item(), grads

    return step


ENGINES = {
    "chaingrad": chaingrad,
    "chaingrad-per-sample": chaingrad_per_sample,
    "chaingrad-fit": chaingrad_fit,
    "chaingrad-micrograd-code": chaingrad_micrograd_code,
    "chaingrad-compiled": chaingrad_compiled,
    "micrograd": micrograd,
    "torch-scalars": torch_scalars,
    "hand-written": hand_written,
    "torch-batched": torch_batched,
}


SLOW = ("micrograd", "torch-scalars")  # a second or so per step: they get fewer rounds


def run(repeats: int = 15, n_points: int = 100, engines: dict = ENGINES, steps: int = 4, slow_repeats: int = 3,
        freeze: bool = True) -> dict[str, dict[str, float]]:  # fmt: skip
    """Median seconds per step of each engine, two ways: {name: {"loop": s, "fresh": s}}.

    Each round gives every engine in turn a block of `steps` consecutive training steps, after a full
    collection (so that no engine pays for another's garbage). The block's first step runs on a freshly
    collected heap ("fresh"); the steps after it run as they do in a training loop ("loop"), where each step
    also pays the cycle collector for the garbage the steps before it left. That costs nothing to an engine
    whose graphs are freed by reference counting, and most of micrograd's time to micrograd: each of its
    nodes keeps a closure that refers back to the node, so every graph it builds is a reference cycle. A
    training loop is what users run, so the targets are judged on "loop". The slow engines (SLOW) run
    `slow_repeats` rounds; the others, a few milliseconds a step, run all of them, so that their ratios rest
    on many samples spread over the whole run.

    freeze=False leaves the objects of the imports (PyTorch's above all) in the cycle collector's sight:
    engines whose steps trigger many full collections (micrograd) then take much longer.
    """
    X, y, weights = workload(n_points)
    step_fns = {name: make(X, y, weights) for name, make in engines.items()}
    if freeze:
        freeze_imports()
    times: dict[str, dict[str, list[float]]] = {name: {"fresh": [], "loop": []} for name in step_fns}
    for r in range(repeats):
        for name, step in step_fns.items():
            if name in SLOW and r >= slow_repeats:
                continue
            gc.collect()
            for k in range(steps):
                start = time.perf_counter()
                step(0.01)
                times[name]["fresh" if k == 0 else "loop"].append(time.perf_counter() - start)
    return {name: {way: statistics.median(ts) for way, ts in ways.items()} for name, ways in times.items()}


def cycles_after_step(n_points: int = 100) -> int:
    """With the cycle collector off, run one chaingrad training step, then count what the collector finds:
    0 means the step's whole graph was freed by reference counting alone."""
    X, y, weights = workload(n_points)
    step = chaingrad(X, y, weights)
    gc.collect()
    gc.disable()
    try:
        step(0.01)
        return gc.collect()
    finally:
        gc.enable()
