"""Every optimizer's step() equals, bit for bit, a plain loop over the parameters written here from its formula.

test_optim.py checks nn.optim against torch.optim to rounding error; this file pins down the rounding itself.
The references below are written one parameter at a time, each line one line of the class docstring's math,
with the grouping a docstring leaves open taken from torch.optim's single-tensor code: Adam's step is
lr/(1 - b1^t) times m / (sqrt(v)/sqrt(1 - b2^t) + eps), sqrt(1 - b2^t) is (1 - b2^t) ** 0.5, and
(1 - b2)·g^2 is ((1 - b2)·g)·g, as addcmul computes it. Floats are compared by float.hex(), so -0.0 and 0.0
differ and NaN equals NaN.
"""

import itertools
import math
import random

import pytest

from autograd import Value
from nn import optim

STEPS = 6
SIZE = 40


def sgd_reference(p, g, state, t, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  maximize=False):  # fmt: skip
    """One SGD step of one parameter p with gradient g; state["b"] is its momentum buffer."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p
    if momentum != 0:
        b = g if t == 1 else momentum * state["b"] + (1 - dampening) * g  # b = g at the first step
        state["b"] = b
        g = g + momentum * b if nesterov else b
    return p - lr * g


def adam_reference(p, g, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                   maximize=False, decoupled=False):  # fmt: skip
    """One Adam step (AdamW with decoupled=True) of one parameter; state holds m, v and v_max."""
    b1, b2 = betas
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
    state["m"] = b1 * state["m"] + (1 - b1) * g
    state["v"] = b2 * state["v"] + (1 - b2) * g * g
    v = state["v"]
    if amsgrad:
        state["v_max"] = v = max(state["v_max"], v)
    return p - lr / (1 - b1**t) * (state["m"] / (math.sqrt(v) / (1 - b2**t) ** 0.5 + eps))


def adamw_reference(p, g, state, t, lr, weight_decay=1e-2, **options):
    return adam_reference(p, g, state, t, lr, weight_decay=weight_decay, decoupled=True, **options)


def rmsprop_reference(p, g, state, t, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                      maximize=False):  # fmt: skip
    """One RMSprop step of one parameter; state holds v, a (centered) and b (momentum)."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p
    state["v"] = alpha * state["v"] + (1 - alpha) * g * g
    if centered:
        state["a"] = alpha * state["a"] + (1 - alpha) * g
        # v - a^2 is a variance; the class clamps it at 0 against rounding, which the reference must too.
        d = math.sqrt(max(state["v"] - state["a"] * state["a"], 0.0)) + eps
    else:
        d = math.sqrt(state["v"]) + eps
    if momentum > 0:
        state["b"] = momentum * state["b"] + g / d
        return p - lr * state["b"]
    return p - lr * (g / d)


def adagrad_reference(p, g, state, t, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                      eps=1e-10, maximize=False):  # fmt: skip
    """One Adagrad step of one parameter; state["s"] is its sum of squared gradients."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p
    s = state["s"] = state["s"] + g * g
    return p - lr / (1 + (t - 1) * lr_decay) * (g / (math.sqrt(s) + eps))


def initial_state(name, options):
    """A reference's state for one parameter before the first step (SGD's b: no buffer yet)."""
    return {
        "SGD": {"b": None},
        "Adam": {"m": 0.0, "v": 0.0, "v_max": 0.0},
        "AdamW": {"m": 0.0, "v": 0.0, "v_max": 0.0},
        "RMSprop": {"v": 0.0, "a": 0.0, "b": 0.0},
        "Adagrad": {"s": options.get("initial_accumulator_value", 0.0)},
    }[name]


# The state each reference keeps, by the name the optimizer's state_dict() gives it.
STATE_NAMES = {
    "SGD": {"b": "momentum_buffer"},
    "Adam": {"m": "exp_avg", "v": "exp_avg_sq", "v_max": "max_exp_avg_sq"},
    "AdamW": {"m": "exp_avg", "v": "exp_avg_sq", "v_max": "max_exp_avg_sq"},
    "RMSprop": {"v": "square_avg", "a": "grad_avg", "b": "momentum_buffer"},
    "Adagrad": {"s": "sum"},
}
REFERENCES = {"SGD": sgd_reference, "Adam": adam_reference, "AdamW": adamw_reference,
              "RMSprop": rmsprop_reference, "Adagrad": adagrad_reference}  # fmt: skip


def grid(**choices):
    """Every combination of the choices, as keyword dicts."""
    names = list(choices)
    return [dict(zip(names, values)) for values in itertools.product(*choices.values())]


SGD_GRID = grid(lr=[0.1], momentum=[0.0, 0.9], dampening=[0.0, 0.3], weight_decay=[0.0, 0.01],
                nesterov=[False, True], maximize=[False, True])  # fmt: skip
# Nesterov needs momentum and no dampening (SGD refuses the rest).
SGD_OPTIONS = [o for o in SGD_GRID if not (o["nesterov"] and (o["momentum"] == 0 or o["dampening"] != 0))]
ADAM_OPTIONS = grid(lr=[0.01], weight_decay=[0.0, 0.05], amsgrad=[False, True], maximize=[False, True]) + [
    {"lr": 0.03, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05, "amsgrad": True},
]
RMSPROP_OPTIONS = grid(lr=[0.01], weight_decay=[0.0, 0.05], momentum=[0.0, 0.5], centered=[False, True],
                       maximize=[False, True]) + [{"lr": 0.01, "alpha": 0.9, "eps": 1e-4}]  # fmt: skip
ADAGRAD_OPTIONS = grid(lr=[0.1], lr_decay=[0.0, 0.01], weight_decay=[0.0, 0.05],
                       initial_accumulator_value=[0.0, 0.1], maximize=[False, True])  # fmt: skip
ADAGRAD_OPTIONS.append({"lr": 0.1, "eps": 1e-3})
CASES = [
    *(("SGD", o) for o in SGD_OPTIONS),
    *(("Adam", o) for o in ADAM_OPTIONS),
    *(("AdamW", o) for o in ADAM_OPTIONS),
    ("AdamW", {"lr": 0.01}),  # AdamW's own default weight_decay
    *(("RMSprop", o) for o in RMSPROP_OPTIONS),
    *(("Adagrad", o) for o in ADAGRAD_OPTIONS),
]


def case_id(case):
    name, options = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in options.items())


def random_gradients(rng, size):
    """Gradients of mixed scales, with exact zeros of both signs (so -g and weight decay meet signed zeros)."""
    grads = [rng.gauss(0, 1) * 10 ** rng.randint(-6, 1) for _ in range(size)]
    grads[0], grads[1] = 0.0, -0.0
    return grads


def bits(numbers):
    return [None if x is None else float.hex(x) for x in numbers]


@pytest.mark.parametrize("name, options", CASES, ids=[case_id(c) for c in CASES])
def test_every_step_equals_the_per_parameter_reference_bit_for_bit(name, options):
    rng = random.Random(f"{name} {sorted(options.items())}")
    start = [rng.uniform(-2, 2) for _ in range(SIZE)]
    start[2] = 0.0
    params = [Value(x) for x in start]
    optimizer = getattr(optim, name)(params, **options)
    reference, expected = REFERENCES[name], list(start)
    states = [initial_state(name, options) for _ in params]
    for t in range(1, STEPS + 1):
        grads = random_gradients(rng, SIZE)
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.step()
        expected = [reference(x, g, state, t, **options) for x, g, state in zip(expected, grads, states)]
        assert bits(p.data for p in params) == bits(expected), f"parameters after step {t}"
        saved = optimizer.state_dict()
        assert saved["step_count"] == t
        for ours, theirs in STATE_NAMES[name].items():
            got = [entry[theirs] for entry in saved["state"]]
            assert bits(got) == bits(state[ours] for state in states), f"state {theirs!r} after step {t}"
