"""The benchmark suite runs at a tiny size, and every engine in it computes the same numbers.

No timing is asserted here: speed is measured by `python benchmarks/run_all.py`, not by tests. What is
asserted is that the benchmarks compare like with like, and that they do not rot.
"""

from __future__ import annotations

import json
import math

import pytest
import torch

import autograd
from autograd.compile import WIDE
from benchmarks import demo_step, engine, run_all, train, wide_step

ENGINES = list(demo_step.ENGINES)


@pytest.mark.parametrize("name", [e for e in ENGINES if e != "hand-written"])
def test_every_demo_step_engine_computes_the_hand_written_loss_and_gradients(name: str) -> None:
    X, y, weights = demo_step.workload(n_points=12, seed=3)
    reference = demo_step.hand_written(X, y, weights)
    step = demo_step.ENGINES[name](X, y, weights)
    for lr in (0.5, 0.0):  # two steps: the first one's update must agree too, or the second one differs
        loss, grads = step(lr)
        ref_loss, ref_grads = reference(lr)
        assert loss == pytest.approx(ref_loss, rel=1e-12, abs=1e-15)
        assert len(grads) == len(ref_grads) == 337
        assert grads == pytest.approx(ref_grads, rel=1e-9, abs=1e-12)


def test_the_hand_written_step_matches_torch_autograd_on_the_same_network() -> None:
    # The reference itself is checked independently: torch's autograd of the same batched network.
    X, y, weights = demo_step.workload(n_points=12, seed=4)
    loss, grads = demo_step.hand_written(X, y, weights)(0.0)
    t_loss, t_grads = demo_step.torch_batched(X, y, weights)(0.0)
    assert loss == pytest.approx(t_loss, rel=1e-12)
    assert grads == pytest.approx(t_grads, rel=1e-9, abs=1e-12)


def test_the_random_graph_has_the_same_gradients_in_chaingrad_micrograd_and_torch() -> None:
    recipe = engine.random_recipe(300, seed=5)
    ours_leaves, ours = engine.random_graph(engine.chaingrad_value(), recipe, seed=5)
    theirs_leaves, theirs = engine.random_graph(engine.micrograd_value(), recipe, seed=5)
    ours.backward()
    engine.deep_stack(theirs.backward)

    class TorchValue:  # the same recipe on float64 tensors
        def __new__(cls, x: float) -> torch.Tensor:
            return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    torch_leaves, out = engine.random_graph(TorchValue, recipe, seed=5)
    out.backward()
    assert ours.data == pytest.approx(out.item(), rel=1e-12) and ours.data == pytest.approx(theirs.data, rel=1e-12)
    for a, b, t in zip(ours_leaves, theirs_leaves, torch_leaves):
        torch_grad = 0.0 if t.grad is None else t.grad.item()  # None: a leaf the recipe never used
        assert a.grad == pytest.approx(torch_grad, rel=1e-9, abs=1e-12)
        assert a.grad == pytest.approx(b.grad, rel=1e-9, abs=1e-12)


def test_the_chain_benchmark_builds_the_same_number_in_both_engines() -> None:
    x, y = engine.chain(engine.chaingrad_value(), 100), engine.chain(engine.micrograd_value(), 100)
    expected = 1.0
    for _ in range(100):
        expected = expected * 1.0001 + 0.1
    assert x.data == pytest.approx(expected, rel=1e-12) and y.data == pytest.approx(expected, rel=1e-12)
    x.backward()
    assert x.grad == 1.0


def test_run_all_quick_writes_its_table_as_json_and_markdown(tmp_path) -> None:  # noqa: ANN001
    result = run_all.main(["--quick", "--out", str(tmp_path / "bench")])
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved["demo_step_seconds"].keys() == set(ENGINES)
    for ways in saved["demo_step_seconds"].values():
        assert ways.keys() == {"loop", "fresh"} and all(math.isfinite(s) and s > 0 for s in ways.values())
    assert saved["engine"]["cycles_found_after_backward"] == 0
    assert saved["cycles_found_after_training_step"] == 0
    assert saved["engine"]["deepest_chain"]["chaingrad"] == 1_000_000
    markdown = (tmp_path / "bench.md").read_text()
    assert markdown.count("\n| ") >= len(ENGINES) + 15 and "micrograd" in markdown
    assert result["quick"] is True


def test_digits_benchmark_reports_each_goal_reached_or_not() -> None:
    result = train.digits(budget=2.0, verbose=False, n_samples=120)
    assert set(result) == {"95%", "97%"}
    for reached in result.values():
        assert reached is None or (reached["epoch"] >= 1 and reached["train_seconds"] > 0)


def test_the_wide_step_compiled_computes_the_eager_loss_and_gradients() -> None:
    model, X, y = wide_step.workload(batch=3, sizes=(WIDE + 8, 6, 3))  # rows wide enough for sum(map(mul, ...))
    onehot = [[1.0 if k == t else 0.0 for k in range(3)] for t in y]
    step = autograd.compile(wide_step._sample_loss(model), per_sample=True)
    loss = step(X, onehot)
    compiled = [p.grad for p in model.parameters()]
    eager = wide_step.eager_step(model, X, y)
    assert math.isclose(loss, eager, rel_tol=1e-12)
    for got, p in zip(compiled, model.parameters(), strict=True):
        assert math.isclose(got, p.grad, rel_tol=1e-12, abs_tol=1e-15)
    assert "sum(map(mul," in step.code(X, onehot)
