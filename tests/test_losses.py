"""nn.functional's losses agree with torch.nn.functional (float64) in value and in every gradient."""

from __future__ import annotations

import math
import random

import pytest
import torch
import torch.nn.functional as TF

import autograd
from autograd import Value
from nn import functional as F

EPS = 2.0**-52
REDUCTIONS = ["mean", "sum", "none"]
SEEDS = range(20)


def close(got: float, expected: float, scale: float = 0.0) -> bool:
    """got ~= expected to 1e-12 relative; nan matches nan, inf the same inf.

    `scale` is the size of the terms a result is a difference of (a logit, 1/p...): both libraries round
    those terms, so where they cancel the result is only defined to a few ulps of `scale`, not of itself.
    """
    if math.isnan(expected) or math.isnan(got):
        return math.isnan(expected) and math.isnan(got)
    if math.isinf(expected) or math.isinf(got):
        return got == expected
    return abs(got - expected) <= 1e-12 * abs(expected) + 8 * EPS * scale


def assert_all_close(got: list[float], expected: list[float], what: str, scale: float = 0.0) -> None:
    assert len(got) == len(expected), f"{what}: {len(got)} results, torch has {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert close(g, e, scale), f"{what}[{i}]: ours {g!r}, torch {e!r}"


# ---------------------------------------------------------------------------------------------------------
# A harness for the element-wise losses: the same inputs and targets through ours and torch's. For
# reduction="none" each per-sample loss is weighted by a random w_i before backward, so every per-sample
# gradient is seen on its own.
# ---------------------------------------------------------------------------------------------------------


def run_ours(loss, xs, ys, reduction, weights, targets_are_values=True):
    inputs = [Value(x) for x in xs]
    targets = [Value(y) for y in ys] if targets_are_values else list(ys)
    out = loss(inputs, targets, reduction=reduction)
    if reduction == "none":
        values = [o.data for o in out]
        autograd.dot(out, weights).backward()
    else:
        values = [out.data]
        out.backward()
    target_grads = [y.grad for y in targets] if targets_are_values else None
    return values, [x.grad for x in inputs], target_grads


def run_torch(loss, xs, ys, reduction, weights):
    inputs = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    targets = torch.tensor(ys, dtype=torch.float64, requires_grad=True)
    out = loss(inputs, targets, reduction=reduction)
    if reduction == "none":
        out.backward(torch.tensor(weights, dtype=torch.float64))
    else:
        out.backward()
    return out.reshape(-1).tolist(), inputs.grad.tolist(), targets.grad.tolist()


def compare(ours_fn, torch_fn, xs, ys, reduction, rng, value_scale=0.0, grad_scale=0.0, target_grads=True):
    weights = [rng.uniform(-2, 2) for _ in xs]
    v, gx, gy = run_ours(ours_fn, xs, ys, reduction, weights)
    tv, tgx, tgy = run_torch(torch_fn, xs, ys, reduction, weights)
    assert_all_close(v, tv, "loss", value_scale)
    assert_all_close(gx, tgx, "d loss / d input", grad_scale)
    if target_grads:
        assert_all_close(gy, tgy, "d loss / d target", grad_scale)


def batch_size(rng: random.Random) -> int:
    return rng.choice([1, 2, 3, 5, 8])


# ---------------------------------------------------------------------------------------------------------
# mse_loss
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_mse_loss_and_its_gradients_for_input_and_target_match_torch(seed: int, reduction: str) -> None:
    rng = random.Random(seed)
    n = batch_size(rng)
    xs = [rng.gauss(0, 3) for _ in range(n)]
    ys = [rng.gauss(0, 3) for _ in range(n)]
    compare(F.mse_loss, TF.mse_loss, xs, ys, reduction, rng)


def test_mse_loss_default_reduction_is_the_mean_and_accepts_a_single_value() -> None:
    x = Value(3.0)
    loss = F.mse_loss(x, 1.0)
    loss.backward()
    assert (loss.data, x.grad) == (4.0, 4.0)  # (3 - 1)², 2·(3 - 1)
    xs = [Value(1.0), Value(-2.0)]
    assert F.mse_loss(xs, [0.0, 0.0]).data == (1.0 + 4.0) / 2


def test_plain_number_targets_are_constants_with_the_same_result_as_value_targets() -> None:
    rng = random.Random(7)
    xs = [rng.gauss(0, 1) for _ in range(4)]
    ys = [rng.random() for _ in range(4)]
    for loss in (F.mse_loss, F.binary_cross_entropy_with_logits):
        with_values = run_ours(loss, xs, ys, "mean", None)
        with_numbers = run_ours(loss, xs, ys, "mean", None, targets_are_values=False)
        assert with_numbers[:2] == with_values[:2]


# ---------------------------------------------------------------------------------------------------------
# binary_cross_entropy (probabilities)
# ---------------------------------------------------------------------------------------------------------


def bce_grad_scale(ps: list[float], ys: list[float]) -> float:
    # The gradient -y/p + (1-y)/(1-p) is a difference of terms this size (torch computes (p-y)/(p(1-p))).
    return max(y / p + (1 - y) / (1 - p) for p, y in zip(ps, ys))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_binary_cross_entropy_and_its_gradients_match_torch(seed: int, reduction: str) -> None:
    rng = random.Random(seed)
    n = batch_size(rng)
    ps = [rng.choice([rng.random(), rng.uniform(1e-6, 1e-3), 1 - rng.uniform(1e-6, 1e-3)]) for _ in range(n)]
    ys = [rng.choice([rng.random(), 0.0, 1.0]) for _ in range(n)]
    compare(F.binary_cross_entropy, TF.binary_cross_entropy, ps, ys, reduction, rng,
            grad_scale=bce_grad_scale(ps, ys))  # fmt: skip


BCE_EDGES = [0.0, 1.0, 1e-300, 1e-50, 1e-20, 1e-13, 1e-12, 2e-12, 1e-10, 0.5]
BCE_EDGES += [1 - 1e-10, 1 - 1e-13, 1 - 2**-53]


@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
@pytest.mark.parametrize("p", BCE_EDGES, ids=repr)
def test_binary_cross_entropy_at_and_near_0_and_1_matches_torch_clamped_value_and_gradient(p, y) -> None:
    # PyTorch clamps ln p and ln(1-p) at -100 (finite loss at p = 0, 1) and divides its gradient by
    # max(p(1-p), 1e-12): at p = 0, y = 1 the gradient is about -1e12, not 0 and not -inf.
    v, gx, _ = run_ours(F.binary_cross_entropy, [p], [y], "mean", None)
    tv, tgx, _ = run_torch(TF.binary_cross_entropy, [p], [y], "mean", None)
    assert_all_close(v, tv, "loss")
    assert_all_close(gx, tgx, "d loss / d p")
    assert math.isfinite(v[0])


@pytest.mark.parametrize("p", [p for p in BCE_EDGES if 0 < p < 1 and math.log(p) > -100], ids=repr)
def test_binary_cross_entropy_target_gradient_matches_torch_wherever_the_log_is_not_clamped(p: float) -> None:
    _, _, gy = run_ours(F.binary_cross_entropy, [p], [0.3], "sum", None)
    _, _, tgy = run_torch(TF.binary_cross_entropy, [p], [0.3], "sum", None)
    assert_all_close(gy, tgy, "d loss / d target")


def test_binary_cross_entropy_target_gradient_at_p_0_is_that_of_the_clamped_loss() -> None:
    # d/dy [(y-1)·max(ln(1-p), -100) - y·max(ln p, -100)] = ln(1-p) - max(ln p, -100) = 0 + 100 at p = 0.
    # (PyTorch's own target gradient there uses the unclamped log and is +inf.)
    _, _, gy = run_ours(F.binary_cross_entropy, [0.0], [0.5], "sum", None)
    assert gy == [100.0]


# ---------------------------------------------------------------------------------------------------------
# binary_cross_entropy_with_logits
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_binary_cross_entropy_with_logits_and_its_gradients_match_torch(seed: int, reduction: str) -> None:
    rng = random.Random(seed)
    n = batch_size(rng)
    xs = [rng.choice([rng.gauss(0, 3), rng.uniform(-60, 60)]) for _ in range(n)]
    ys = [rng.choice([rng.random(), 0.0, 1.0]) for _ in range(n)]
    compare(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, xs, ys, reduction, rng,
            value_scale=max(map(abs, xs)), grad_scale=max(1.0, max(map(abs, xs))))  # fmt: skip


LOGIT_EDGES = [0.0, 1e-8, -1e-8, 20.5, -20.5, 25.0, -25.0, 37.0, -37.0, 50.0, -50.0, 800.0, -800.0]
LOGIT_EDGES += [1e300, -1e300]


@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
@pytest.mark.parametrize("x", LOGIT_EDGES, ids=repr)
def test_binary_cross_entropy_with_logits_is_exact_and_finite_for_huge_logits(x: float, y: float) -> None:
    v, gx, gy = run_ours(F.binary_cross_entropy_with_logits, [x], [y], "mean", None)
    tv, tgx, tgy = run_torch(TF.binary_cross_entropy_with_logits, [x], [y], "mean", None)
    assert math.isfinite(v[0]) and math.isfinite(gx[0])
    assert_all_close(v, tv, "loss", scale=abs(x))
    assert_all_close(gx, tgx, "d loss / d logit", scale=1.0)
    assert_all_close(gy, tgy, "d loss / d target")


# ---------------------------------------------------------------------------------------------------------
# cross_entropy
# ---------------------------------------------------------------------------------------------------------


def run_cross_entropy(rows, targets, reduction, weights):
    ours_rows = [[Value(z) for z in row] for row in rows]
    out = F.cross_entropy(ours_rows, targets, reduction=reduction)
    logits = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    theirs = TF.cross_entropy(logits, torch.tensor(targets), reduction=reduction)
    if reduction == "none":
        autograd.dot(out, weights).backward()
        theirs.backward(torch.tensor(weights, dtype=torch.float64))
        values = [o.data for o in out]
    else:
        out.backward()
        theirs.backward()
        values = [out.data]
    scale = max(abs(z) for row in rows for z in row)  # loss = logsumexp - logit: terms of the logits' size
    assert_all_close(values, theirs.reshape(-1).tolist(), "loss", scale)
    grads = [z.grad for row in ours_rows for z in row]
    assert_all_close(grads, logits.grad.reshape(-1).tolist(), "d loss / d logit", scale=1.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_cross_entropy_and_its_gradients_match_torch(seed: int, reduction: str) -> None:
    rng = random.Random(seed)
    n, classes, spread = batch_size(rng), rng.choice([2, 3, 5, 10]), rng.choice([1.0, 5.0, 30.0])
    rows = [[rng.gauss(0, spread) for _ in range(classes)] for _ in range(n)]
    targets = [rng.randrange(classes) for _ in range(n)]
    run_cross_entropy(rows, targets, reduction, [rng.uniform(-2, 2) for _ in range(n)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_huge_logits_is_finite_and_matches_torch(reduction: str) -> None:
    rows = [[800.0, -800.0, 0.0], [1000.0, 999.0, -1000.0], [-800.0, -800.0, -800.0], [1e4, 0.0, -1e4],
            [1e4, 0.0, -1e4], [0.0, 0.0, 750.0]]  # fmt: skip
    targets = [0, 1, 2, 0, 2, 0]
    run_cross_entropy(rows, targets, reduction, [1.0, -0.5, 2.0, 0.25, 1.5, -1.0])


def test_cross_entropy_accepts_one_row_with_one_int_target_like_a_1d_torch_input() -> None:
    row = [Value(0.2), Value(-1.3), Value(2.1)]
    loss = F.cross_entropy(row, 1)
    loss.backward()
    logits = torch.tensor([0.2, -1.3, 2.1], dtype=torch.float64, requires_grad=True)
    theirs = TF.cross_entropy(logits, torch.tensor(1))
    theirs.backward()
    assert close(loss.data, theirs.item())
    assert_all_close([z.grad for z in row], logits.grad.tolist(), "d loss / d logit", scale=1.0)
    for reduction in ("sum", "none"):
        assert close(F.cross_entropy(row, 1, reduction=reduction).data, theirs.item())


def test_cross_entropy_accepts_plain_numbers_in_rows_as_constants() -> None:
    w = Value(0.5)
    loss = F.cross_entropy([[w, 0.0, 1.0]], [0])
    loss.backward()
    logits = torch.tensor([[0.5, 0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    theirs = TF.cross_entropy(logits, torch.tensor([0]))
    theirs.backward()
    assert close(loss.data, theirs.item())
    assert close(w.grad, logits.grad[0, 0].item())


# ---------------------------------------------------------------------------------------------------------
# hinge_loss (no torch twin: compared with relu(1 - y·s), which clamp(1 - y·s, min=0) equals in value)
# ---------------------------------------------------------------------------------------------------------


def torch_hinge(s: torch.Tensor, y: torch.Tensor, reduction: str) -> torch.Tensor:
    losses = torch.relu(1 - y * s)
    return {"mean": losses.mean, "sum": losses.sum, "none": lambda: losses}[reduction]()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_hinge_loss_and_its_gradient_match_relu_of_one_minus_margin_in_torch(seed, reduction) -> None:
    rng = random.Random(seed)
    n = batch_size(rng)
    scores = [rng.gauss(0, 2) for _ in range(n)]
    targets = [rng.choice([1.0, -1.0]) for _ in range(n)]
    compare(lambda s, y, reduction: F.hinge_loss(s, [y_.data for y_ in y], reduction=reduction),
            torch_hinge, scores, targets, reduction, rng, target_grads=False)  # fmt: skip
    clamp = torch.clamp(1 - torch.tensor(targets) * torch.tensor(scores, dtype=torch.float64), min=0).mean()
    assert close(F.hinge_loss(scores, [int(t) for t in targets]).data, clamp.item())


def test_hinge_loss_gradient_is_zero_exactly_at_the_margin_like_relu() -> None:
    s = [Value(1.0), Value(-1.0), Value(0.5)]
    F.hinge_loss(s, [1, -1, 1], reduction="sum").backward()
    assert [v.grad for v in s] == [0.0, 0.0, -1.0]  # d/ds relu(1 - y·s) = -y where 1 - y·s > 0, else 0


# ---------------------------------------------------------------------------------------------------------
# Penalties
# ---------------------------------------------------------------------------------------------------------


def test_l1_penalty_is_the_sum_of_absolute_values_with_gradient_sign_p() -> None:
    rng = random.Random(3)
    data = [rng.gauss(0, 1) for _ in range(50)] + [0.0]
    params = [Value(d) for d in data]
    penalty = F.l1_penalty(params)
    penalty.backward()
    assert close(penalty.data, math.fsum(abs(d) for d in data))
    assert [p.grad for p in params] == [math.copysign(1.0, d) if d else 0.0 for d in data]


def test_l2_penalty_is_the_sum_of_squares_with_gradient_2p_and_accepts_a_generator() -> None:
    rng = random.Random(4)
    data = [rng.gauss(0, 1) for _ in range(50)]
    params = [Value(d) for d in data]
    alpha = 1e-4
    loss = alpha * F.l2_penalty(p for p in params)
    loss.backward()
    assert close(loss.data, alpha * math.fsum(d * d for d in data))
    assert all(close(p.grad, alpha * 2 * d) for p, d in zip(params, data))


def test_penalties_of_no_parameters_are_zero() -> None:
    assert F.l1_penalty([]).data == 0.0 and F.l2_penalty([]).data == 0.0


# ---------------------------------------------------------------------------------------------------------
# Graph shape: reductions are one node over the per-sample losses
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mean_and_sum_reductions_are_one_node_whose_parents_are_the_per_sample_losses(reduction: str) -> None:
    xs = [Value(float(i)) for i in range(5)]
    loss = F.mse_loss(xs, [1.0] * 5, reduction=reduction)
    assert loss.op == reduction
    assert len(loss.parents) == 5
    for x, sample in zip(xs, loss.parents):
        assert sample.op == "**" and sample.parents[0].op == "-" and sample.parents[0].parents == (x,)


def test_cross_entropy_per_row_is_logsumexp_minus_the_target_logit() -> None:
    rows = [[Value(0.1), Value(0.2)], [Value(-1.0), Value(3.0)]]
    loss = F.cross_entropy(rows, [1, 0])
    assert loss.op == "mean" and len(loss.parents) == 2
    for row, t, sample in zip(rows, [1, 0], loss.parents):
        lse, picked = sample.parents
        assert sample.op == "-" and lse.op == "logsumexp" and lse.parents == tuple(row) and picked is row[t]


def test_l2_penalty_is_a_single_dot_node() -> None:
    params = [Value(1.0), Value(2.0)]
    assert F.l2_penalty(params).op == "dot"


# ---------------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------------

ELEMENTWISE = [F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits, F.hinge_loss]


@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_unknown_reduction_is_a_value_error_listing_the_choices(loss) -> None:
    with pytest.raises(ValueError, match="'mean', 'sum' or 'none'.*'avg'"):
        loss([Value(0.5)], [1.0], reduction="avg")


def test_cross_entropy_unknown_reduction_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'mean', 'sum' or 'none'"):
        F.cross_entropy([[Value(0.0), Value(1.0)]], [0], reduction="batchmean")


@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_mismatched_lengths_are_a_value_error_with_both_lengths(loss) -> None:
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        loss([Value(0.5)] * 3, [1.0, 1.0])


@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_empty_input_is_a_value_error(loss) -> None:
    with pytest.raises(ValueError, match="empty"):
        loss([], [])


@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_input_that_is_not_values_or_numbers_is_a_type_error(loss) -> None:
    with pytest.raises(TypeError, match="str"):
        loss(["0.5"], [1.0])
    with pytest.raises(TypeError, match="input"):
        loss("0.5", [1.0])


@pytest.mark.parametrize("y", [1.5, -0.1, math.nan])
def test_binary_cross_entropy_targets_outside_0_1_are_a_value_error(y: float) -> None:
    with pytest.raises(ValueError, match="target must be in \\[0, 1\\]"):
        F.binary_cross_entropy([Value(0.5)], [y])


@pytest.mark.parametrize("p", [1.2, -0.01, math.nan])
def test_binary_cross_entropy_inputs_outside_0_1_are_a_value_error(p: float) -> None:
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        F.binary_cross_entropy([Value(p)], [1.0])


@pytest.mark.parametrize("y", [0, 2, 0.5, math.nan])
def test_hinge_targets_other_than_plus_or_minus_one_are_a_value_error(y: float) -> None:
    with pytest.raises(ValueError, match="\\+1 or -1"):
        F.hinge_loss([Value(0.5)], [y])


def test_hinge_targets_that_are_values_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="\\+1 or -1"):
        F.hinge_loss([Value(0.5)], [Value(1.0)])


@pytest.mark.parametrize("t", [-1, 3, 10])
def test_cross_entropy_class_index_out_of_range_is_a_value_error(t: int) -> None:
    with pytest.raises(ValueError, match=f"target {t} at position 1 is out of range: classes are 0 to 2"):
        F.cross_entropy([[0.0, 1.0, 2.0], [Value(0.0), 1.0, 2.0]], [0, t])


@pytest.mark.parametrize("t", [1.0, True, "1", None])
def test_cross_entropy_target_that_is_not_an_int_is_a_value_error(t) -> None:
    with pytest.raises(ValueError, match="class indices \\(ints\\)"):
        F.cross_entropy([[Value(0.0), Value(1.0)]], [t])


def test_cross_entropy_mismatched_lengths_ragged_rows_and_empty_input_are_value_errors() -> None:
    row = [Value(0.0), Value(1.0)]
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        F.cross_entropy([row, row], [0])
    with pytest.raises(ValueError, match="row 1 has 3"):
        F.cross_entropy([row, [0.0, 1.0, 2.0]], [0, 0])
    with pytest.raises(ValueError, match="empty"):
        F.cross_entropy([], [])
    with pytest.raises(ValueError, match="empty"):
        F.cross_entropy([[]], [0])


def test_cross_entropy_row_of_scalars_with_a_list_of_targets_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="list of logits"):
        F.cross_entropy([Value(0.0), Value(1.0)], [0, 1])


def test_penalties_reject_non_values() -> None:
    with pytest.raises(TypeError, match="iterable of Values"):
        F.l2_penalty(Value(1.0))
    with pytest.raises(TypeError, match="hold Values"):
        F.l1_penalty([Value(1.0), 2.0])
