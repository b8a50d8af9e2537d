"""nn.optim follows torch.optim step for step: same parameters after every update, same learning rates."""

import inspect
import json
import math

import pytest
import torch

import nn
from autograd import Value
from nn import optim

START = [-1.2, 1.0, 0.4, -0.5]
STEPS = 20


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


# Rosenbrock-like, non-quadratic: f(x) = sum_i (1 - x_i)^2 + 5 (x_{i+1} - x_i^2)^2 over consecutive pairs.
def loss_torch(x: torch.Tensor) -> torch.Tensor:
    return ((1 - x[:-1]) ** 2 + 5 * (x[1:] - x[:-1] ** 2) ** 2).sum()


def grad_by_hand(x: list[float]) -> list[float]:
    g = [0.0] * len(x)
    for i in range(len(x) - 1):
        r = x[i + 1] - x[i] ** 2
        g[i] += -2 * (1 - x[i]) - 20 * x[i] * r
        g[i + 1] += 10 * r
    return g


# Parameters are leaf Values; most tests set .grad from grad_by_hand so that only the optimizer is on trial.
def run_both(name: str, kwargs: dict, sign: float = 1.0):
    """Yield (ours, torch's) parameter lists after each of STEPS steps; sign=-1 ascends -f (for maximize)."""
    params = [Value(v) for v in START]
    ours = getattr(optim, name)(params, **kwargs)
    x = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    theirs = getattr(torch.optim, name)([x], **kwargs)
    for _ in range(STEPS):
        ours.zero_grad()
        for p, g in zip(params, grad_by_hand([p.data for p in params]), strict=True):
            p.grad = sign * g
        ours.step()
        theirs.zero_grad()
        (sign * loss_torch(x)).backward()
        theirs.step()
        yield [p.data for p in params], x.detach().tolist()


VARIANTS = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.01, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.01, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "betas": (0.5, 0.9), "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1, "eps": 1e-4}),
    ("RMSprop", {"lr": 0.01, "centered": True, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.05, "maximize": True}),
]


def variant_id(variant):
    name, kwargs = variant
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items()) if kwargs else name + "-defaults"


@pytest.mark.parametrize("name, kwargs", VARIANTS, ids=[variant_id(v) for v in VARIANTS])
def test_every_parameter_matches_torch_at_every_step(name, kwargs):
    sign = -1.0 if kwargs.get("maximize") else 1.0
    moved = False
    for step, (ours, theirs) in enumerate(run_both(name, kwargs, sign), start=1):
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert close(a, b), f"step {step}, parameter {i}: ours {a!r}, torch {b!r}"
        moved = moved or ours != START
    assert moved  # the comparison is not between two parameters that never moved


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_defaults_are_torchs_defaults(name):
    ours = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    for arg, p in ours.items():
        if arg == "params":
            continue
        assert arg in theirs, f"{name} has {arg!r}, torch does not"
        assert p.default == theirs[arg].default, f"{name}({arg}=...) default {p.default!r} != torch's"


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.01, "momentum": 0.9}), ("Adam", {"lr": 0.05})])
def test_training_on_gradients_from_backward_matches_torch(name, kwargs):
    params = [Value(v) for v in START]
    ours = getattr(optim, name)(params, **kwargs)
    x = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    theirs = getattr(torch.optim, name)([x], **kwargs)
    for step in range(STEPS):
        ours.zero_grad()
        loss = Value(0.0)
        for a, b in zip(params[:-1], params[1:], strict=True):
            loss = loss + (1 - a) ** 2 + 5 * (b - a**2) ** 2
        loss.backward()
        ours.step()
        theirs.zero_grad()
        loss_torch(x).backward()
        theirs.step()
        for i, (p, t) in enumerate(zip(params, x.tolist(), strict=True)):
            assert close(p.data, t), f"step {step + 1}, parameter {i}: ours {p.data!r}, torch {t!r}"


def test_maximize_ascends_what_minimize_descends():
    up = [Value(v) for v in START]
    down = [Value(v) for v in START]
    ascend = optim.Adam(up, lr=0.05, maximize=True)
    descend = optim.Adam(down, lr=0.05)
    for _ in range(5):
        for p, g in zip(up, grad_by_hand([p.data for p in up]), strict=True):
            p.grad = -g  # gradient of -f
        for p, g in zip(down, grad_by_hand([p.data for p in down]), strict=True):
            p.grad = g
        ascend.step()
        descend.step()
    assert [p.data for p in up] == [p.data for p in down]


# --- state_dict ----------------------------------------------------------------------


def train(optimizer, params, steps, sign=1.0):
    for _ in range(steps):
        optimizer.zero_grad()
        for p, g in zip(params, grad_by_hand([p.data for p in params]), strict=True):
            p.grad = sign * g
        optimizer.step()


@pytest.mark.parametrize("name, kwargs", VARIANTS, ids=[variant_id(v) for v in VARIANTS])
def test_state_dict_round_trip_through_json_resumes_exactly(name, kwargs):
    sign = -1.0 if kwargs.get("maximize") else 1.0
    straight = [Value(v) for v in START]
    train(getattr(optim, name)(straight, **kwargs), straight, 20, sign)

    params = [Value(v) for v in START]
    first = getattr(optim, name)(params, **kwargs)
    train(first, params, 10, sign)
    saved = json.loads(json.dumps(first.state_dict()))
    resumed = [Value(p.data) for p in params]
    second = getattr(optim, name)(resumed, lr=0.123)  # other hyper-parameters: the snapshot brings them back
    second.load_state_dict(saved)
    train(second, resumed, 10, sign)
    assert [p.data for p in resumed] == [p.data for p in straight]


def test_state_dict_is_plain_json_with_state_by_parameter_index():
    params = [Value(v) for v in START]
    opt = optim.Adam(params, lr=0.05, amsgrad=True)
    train(opt, params, 3)
    d = opt.state_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["type"] == "Adam" and d["step_count"] == 3
    assert d["hyper_parameters"]["lr"] == 0.05 and d["hyper_parameters"]["amsgrad"] is True
    assert len(d["state"]) == len(params)
    assert set(d["state"][2]) == {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


def test_load_state_dict_rejects_another_optimizer_type_and_changes_nothing():
    params = [Value(v) for v in START]
    adam = optim.Adam(params, lr=0.05)
    train(adam, params, 2)
    before = adam.state_dict()
    with pytest.raises(ValueError, match="SGD"):
        adam.load_state_dict(optim.SGD(params, lr=0.1, momentum=0.9).state_dict())
    assert adam.state_dict() == before


def test_load_state_dict_rejects_a_different_number_of_parameters_and_changes_nothing():
    params = [Value(v) for v in START]
    small = optim.RMSprop(params[:3], lr=0.01, momentum=0.9)
    big = optim.RMSprop(params, lr=0.05)
    train(big, params, 2)
    before = big.state_dict()
    with pytest.raises(ValueError, match="3 entries.*4 parameters"):
        big.load_state_dict(small.state_dict())
    assert big.state_dict() == before


def test_load_state_dict_never_half_loads_a_corrupt_snapshot():
    params = [Value(v) for v in START]
    opt = optim.SGD(params, lr=0.01, momentum=0.9)
    train(opt, params, 2)
    before = opt.state_dict()
    corrupt = json.loads(json.dumps(before))
    corrupt["hyper_parameters"]["lr"] = 0.5
    corrupt["state"][0]["momentum_buffer"] = 7.0
    corrupt["state"][3]["momentum_buffer"] = "oops"
    with pytest.raises(TypeError, match=r"state\[3\]"):
        opt.load_state_dict(corrupt)
    assert opt.state_dict() == before
    corrupt = json.loads(json.dumps(before))
    corrupt["hyper_parameters"]["momentum"] = -1.0
    with pytest.raises(ValueError, match="momentum"):
        opt.load_state_dict(corrupt)
    assert opt.state_dict() == before


# --- parameters and gradients ----------------------------------------------------------------------


def test_zero_grad_sets_every_grad_to_float_zero():
    params = [Value(v) for v in START]
    for p in params:
        p.grad = 3.5
    optim.SGD(params, lr=0.1).zero_grad()
    assert all(p.grad == 0.0 and type(p.grad) is float for p in params)


def test_a_generator_of_parameters_is_accepted_and_an_empty_one_rejected():
    params = [Value(v) for v in START]
    assert optim.SGD(p for p in params).params == params
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam(iter([]))
    with pytest.raises(TypeError, match="params"):
        optim.Adam(3.0)
    with pytest.raises(TypeError, match="parameter 1"):
        optim.Adam([Value(1.0), 2.0])


def test_a_grad_that_is_not_a_float_is_converted_to_its_number():
    plain = [Value(1.5), Value(-2.0)]
    odd = [Value(1.5), Value(-2.0)]
    a, b = optim.SGD(plain, lr=0.1, momentum=0.9), optim.SGD(odd, lr=0.1, momentum=0.9)
    for _ in range(3):
        plain[0].grad, plain[1].grad = 2.0, 0.25
        odd[0].grad, odd[1].grad = 2, Value(0.25)  # a Value, as create_graph=True leaves
        a.step()
        b.step()
    assert [p.data for p in odd] == [p.data for p in plain]
    assert all(type(p.data) is float for p in odd)


OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_numpy_scalar_grad_steps_like_the_same_python_float(name):
    np = pytest.importorskip("numpy")
    plain, odd = [Value(1.5), Value(-2.0)], [Value(1.5), Value(-2.0)]
    a, b = getattr(optim, name)(plain, lr=0.1), getattr(optim, name)(odd, lr=0.1)
    for _ in range(3):
        plain[0].grad, plain[1].grad = 1.0, 0.25
        odd[0].grad, odd[1].grad = np.float64(1.0), np.float32(0.25)  # 0.25 is exact in float32
        a.step()
        b.step()
    assert [p.data for p in odd] == [p.data for p in plain]
    assert all(type(p.data) is float for p in odd)


@pytest.mark.parametrize("grad", ["0.5", None, [1.0], True])
def test_a_grad_that_is_not_a_number_is_a_type_error_naming_the_parameter(grad):
    params = [Value(1.0), Value(2.0)]
    sgd = optim.SGD(params, lr=0.1)
    params[1].grad = grad
    with pytest.raises(TypeError, match=r"parameter 1 has grad .* must be a real number"):
        sgd.step()
    assert [p.data for p in params] == [1.0, 2.0]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_step_refused_for_a_bad_grad_changes_nothing_not_even_the_step_count(name):
    # Adam, AdamW and Adagrad used to count the refused step: the next one then used t = 2's bias correction.
    params = [Value(1.0), Value(2.0)]
    optimizer = getattr(optim, name)(params, lr=0.1)
    params[0].grad, params[1].grad = 0.5, None
    before = optimizer.state_dict()
    with pytest.raises(TypeError, match="parameter 1"):
        optimizer.step()
    assert optimizer.state_dict() == before
    assert [p.data for p in params] == [1.0, 2.0]


def test_sgd_of_the_same_parameter_twice_is_refused_instead_of_stepping_it_twice():
    # The issue: SGD([p, p], lr=0.1) moved p from 1.0 to 0.8 in one step. torch warns "optimizer contains a
    # parameter group with duplicate parameters"; here it is an error, before anything is stepped.
    p = Value(1.0)
    with pytest.raises(ValueError, match=r"duplicate parameters: parameter 1 .* same Value as parameter 0"):
        optim.SGD([p, p], lr=0.1)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_refuses_duplicates_non_leaves_and_non_values_naming_the_index(name):
    make = getattr(optim, name)
    p, q = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match=r"parameter 2 .* same Value as parameter 0"):
        make([p, q, p])
    with pytest.raises(ValueError, match=r"non-leaf Value: parameter 1 .* made by '\*'"):
        make([p, p * q])  # like torch: "can't optimize a non-leaf Tensor"
    for bad, kind in [(2.0, "float"), ("w", "str"), (None, "NoneType"), ([p], "list")]:
        with pytest.raises(TypeError, match=rf"parameter 1 is a {kind} .*not an autograd.Value"):
            make([q, bad])


def test_a_module_shared_twice_still_gives_each_parameter_once():
    layer = nn.Layer(2, 2, seed=0)

    class Twice(nn.Module):
        def __init__(self) -> None:
            self.a = layer
            self.b = layer

    params = Twice().parameters()
    assert len(params) == 6
    optim.SGD(params, lr=0.1)  # named_parameters lists a shared parameter once, so this is accepted


# --- bad hyper-parameters ----------------------------------------------------------------------

BAD = [
    ("SGD", {"lr": 0.0}, "lr"),
    ("SGD", {"lr": -0.1}, "lr"),
    ("SGD", {"lr": float("nan")}, "lr"),
    ("SGD", {"momentum": -0.5}, "momentum"),
    ("SGD", {"dampening": -0.1}, "dampening"),
    ("SGD", {"weight_decay": -1e-4}, "weight_decay"),
    ("SGD", {"nesterov": True}, "Nesterov"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov"),
    ("Adam", {"lr": -1e-3}, "lr"),
    ("Adam", {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    ("Adam", {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    ("Adam", {"eps": -1e-8}, "eps"),
    ("Adam", {"weight_decay": -0.1}, "weight_decay"),
    ("AdamW", {"betas": (0.9, 1.5)}, r"betas\[1\]"),
    ("AdamW", {"weight_decay": float("inf")}, "weight_decay"),
    ("RMSprop", {"alpha": 1.5}, "alpha"),
    ("RMSprop", {"alpha": -0.1}, "alpha"),
    ("RMSprop", {"momentum": -0.1}, "momentum"),
    ("RMSprop", {"eps": -1.0}, "eps"),
    ("Adagrad", {"lr_decay": -0.1}, "lr_decay"),
    ("Adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    ("Adagrad", {"eps": -1e-10}, "eps"),
]


@pytest.mark.parametrize("name, kwargs, named", BAD, ids=[variant_id(b[:2]) for b in BAD])
def test_a_bad_hyper_parameter_is_a_value_error_naming_it(name, kwargs, named):
    with pytest.raises(ValueError, match=named):
        getattr(optim, name)([Value(1.0)], **kwargs)


@pytest.mark.parametrize(
    "name, kwargs",
    [("SGD", {"lr": "0.1"}), ("SGD", {"nesterov": 1}), ("Adam", {"betas": 0.9}), ("Adam", {"amsgrad": "x"})],
)
def test_a_hyper_parameter_of_the_wrong_type_is_a_type_error(name, kwargs):
    with pytest.raises(TypeError, match=next(iter(kwargs))):
        getattr(optim, name)([Value(1.0)], **kwargs)


def test_the_error_message_says_what_is_allowed():
    with pytest.raises(ValueError, match=r"Invalid lr: -0\.5; allowed: lr > 0"):
        optim.SGD([Value(1.0)], lr=-0.5)


# --- schedules ----------------------------------------------------------------------

SCHEDULES = [
    ("StepLR", {"step_size": 7}, 40),
    ("StepLR", {"step_size": 3, "gamma": 0.5}, 40),
    ("ExponentialLR", {"gamma": 0.9}, 40),
    ("CosineAnnealingLR", {"T_max": 10}, 45),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}, 45),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.05}, 40),
    ("LinearLR", {}, 30),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 20}, 35),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 10}, 30),
]


@pytest.mark.parametrize(
    "name, kwargs, steps", SCHEDULES, ids=[variant_id(s[:2]) + f"-{s[2]}steps" for s in SCHEDULES]
)
def test_schedule_learning_rates_match_torch(name, kwargs, steps):
    ours_opt = optim.SGD([Value(1.0)], lr=0.3)
    ours = getattr(optim, name)(ours_opt, **kwargs)
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    theirs_opt = torch.optim.SGD([x], lr=0.3)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs)
    seen = set()
    for epoch in range(steps + 1):
        mine, torchs = ours.get_last_lr(), theirs.get_last_lr()
        assert len(mine) == 1 and type(mine[0]) is float
        assert abs(mine[0] - torchs[0]) <= 1e-12, f"epoch {epoch}: ours {mine[0]!r}, torch {torchs[0]!r}"
        assert ours_opt.lr == mine[0]
        seen.add(round(mine[0], 9))
        ours_opt.step()
        ours.step()
        theirs_opt.step()
        theirs.step()
    assert len(seen) > 2  # the schedule did change the rate


def test_micrograd_demo_decay_is_linear_lr_from_1_to_0_1_over_100_steps():
    opt = optim.SGD([Value(1.0)], lr=1.0)
    sched = optim.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    for k in range(100):
        assert abs(opt.lr - (1.0 - 0.9 * k / 100)) <= 1e-12, f"step {k}"
        opt.step()
        sched.step()


def test_schedule_state_dict_round_trip_resumes_the_same_rates():
    straight_opt = optim.SGD([Value(1.0)], lr=0.5)
    straight = optim.CosineAnnealingLR(straight_opt, T_max=6, eta_min=0.0)
    for _ in range(20):
        straight.step()

    opt = optim.SGD([Value(1.0)], lr=0.5)
    sched = optim.CosineAnnealingLR(opt, T_max=6)
    for _ in range(6):  # lr is exactly eta_min = 0 here: saving and loading must still work
        sched.step()
    saved_opt = json.loads(json.dumps(opt.state_dict()))
    saved_sched = json.loads(json.dumps(sched.state_dict()))
    opt2 = optim.SGD([Value(1.0)], lr=0.5)
    sched2 = optim.CosineAnnealingLR(opt2, T_max=99, eta_min=0.3)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert (sched2.T_max, sched2.eta_min, opt2.lr) == (6, 0.0, 0.0)
    for _ in range(14):
        sched2.step()
    assert sched2.get_last_lr() == straight.get_last_lr()
    assert sched2.last_epoch == straight.last_epoch == 20


def test_schedule_load_state_dict_rejects_another_schedule_and_changes_nothing():
    opt = optim.SGD([Value(1.0)], lr=0.5)
    sched = optim.StepLR(opt, step_size=3)
    before = sched.state_dict()
    with pytest.raises(ValueError, match="ExponentialLR"):
        sched.load_state_dict(optim.ExponentialLR(optim.SGD([Value(1.0)]), gamma=0.5).state_dict())
    bad = dict(before, hyper_parameters={"step_size": 0, "gamma": 0.1})
    with pytest.raises(ValueError, match="step_size"):
        sched.load_state_dict(bad)
    assert sched.state_dict() == before


BAD_SCHEDULES = [
    ("StepLR", {"step_size": 0}, ValueError, "step_size"),
    ("StepLR", {"step_size": 2.5}, TypeError, "step_size"),
    ("StepLR", {"step_size": 2, "gamma": 0.0}, ValueError, "gamma"),
    ("ExponentialLR", {"gamma": -0.5}, ValueError, "gamma"),
    ("CosineAnnealingLR", {"T_max": 0}, ValueError, "T_max"),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": -1.0}, ValueError, "eta_min"),
    ("LinearLR", {"start_factor": 0.0}, ValueError, "start_factor"),
    ("LinearLR", {"start_factor": 1.5}, ValueError, "start_factor"),
    ("LinearLR", {"end_factor": 1.5}, ValueError, "end_factor"),
    ("LinearLR", {"total_iters": 0}, ValueError, "total_iters"),
]


@pytest.mark.parametrize(
    "name, kwargs, error, named", BAD_SCHEDULES, ids=[variant_id(b[:2]) for b in BAD_SCHEDULES]
)
def test_a_bad_schedule_argument_raises_naming_it(name, kwargs, error, named):
    opt = optim.SGD([Value(1.0)], lr=0.5)
    with pytest.raises(error, match=named):
        getattr(optim, name)(opt, **kwargs)
    assert opt.lr == 0.5


def test_a_schedule_needs_an_optimizer():
    with pytest.raises(TypeError, match="not an Optimizer"):
        optim.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)]), step_size=2)


def test_cosine_schedule_reaches_eta_min_at_t_max_and_base_lr_at_twice_t_max():
    opt = optim.SGD([Value(1.0)], lr=0.4)
    sched = optim.CosineAnnealingLR(opt, T_max=5, eta_min=0.1)
    lrs = [opt.lr]
    for _ in range(10):
        sched.step()
        lrs.append(opt.lr)
    for e, lr in enumerate(lrs):  # the closed form, by hand
        assert math.isclose(lr, 0.1 + 0.3 * (1 + math.cos(math.pi * e / 5)) / 2, abs_tol=1e-12)
