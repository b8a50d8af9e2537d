"""Random expression graphs with shared subexpressions: chaingrad's gradients equal PyTorch's and gradcheck's."""

from __future__ import annotations

import math

import torch
from hypothesis import HealthCheck, assume, given, settings
from strategies import EngineBackend, Recipe, TorchBackend, recipes, replay, replay_nodes, same_float

import autograd
from autograd import Value

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def torch_run(recipe: Recipe, create_graph: bool = False,
              smallest: float = 1e-6) -> tuple[torch.Tensor, list[torch.Tensor], tuple]:  # fmt: skip
    """Replay in torch; return the output, the leaves and the leaf gradients (None for an unused leaf).

    Draws are rejected (hypothesis `assume`) unless every node's value and gradient is finite and of
    moderate size, and no node is nonzero but smaller than `smallest`: dividing by a tiny value (x / x at
    x = 1e-258) makes local derivatives of 1e258 that cancel, which leaves the leaf gradient at the mercy of
    summation order in both engines, so no tolerance could compare them. Second derivatives divide by the
    cube (d²(a/b)/db² = 2a/b³): x / x at x = 1e-5 gives torch -1.9e-6 for what is exactly 0.
    """
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in recipe.leaves]
    nodes = replay_nodes(recipe, leaves, TorchBackend)
    out = TorchBackend.nary("sum", nodes[len(leaves):], [], 0)
    node_grads = torch.autograd.grad(out, nodes, allow_unused=True, retain_graph=True)
    values = [n.item() for n in nodes]
    assume(well_scaled(*values, *(as_float(g) for g in node_grads)))
    assume(all(v == 0.0 or abs(v) > smallest for v in values))
    grads = torch.autograd.grad(out, leaves, allow_unused=True, create_graph=create_graph)
    return out, leaves, grads


def as_float(g: torch.Tensor | Value | None) -> float:
    if g is None:
        return 0.0
    return g.item() if torch.is_tensor(g) else g.data


def finite(*xs: float) -> bool:
    return all(math.isfinite(x) for x in xs)


def well_scaled(*xs: float, limit: float = 1e6) -> bool:
    """Finite and not so large that summing differently ordered terms loses the 1e-9 agreement."""
    return all(math.isfinite(x) and abs(x) < limit for x in xs)


@SETTINGS
@given(recipe=recipes())
def test_backward_gradients_of_all_leaves_match_torch(recipe: Recipe) -> None:
    tout, _, tgrads = torch_run(recipe)
    expected = [as_float(g) for g in tgrads]
    assume(well_scaled(tout.item(), *expected))

    leaves = [Value(x) for x in recipe.leaves]
    out = replay(recipe, leaves, EngineBackend)
    out.backward()

    assert same_float(out.data, tout.item(), rel=1e-9, abs_=1e-9), (out.data, tout.item())
    for i, (leaf, e) in enumerate(zip(leaves, expected, strict=True)):
        assert same_float(leaf.grad, e, rel=1e-9, abs_=1e-9), f"leaf {i}: got {leaf.grad!r}, torch says {e!r}"


@SETTINGS
@given(recipe=recipes())
def test_grad_function_matches_torch_and_leaves_dot_grad_alone(recipe: Recipe) -> None:
    tout, _, tgrads = torch_run(recipe)
    expected = [as_float(g) for g in tgrads]
    assume(well_scaled(tout.item(), *expected))

    leaves = [Value(x) for x in recipe.leaves]
    out = replay(recipe, leaves, EngineBackend)
    grads = autograd.grad(out, leaves, allow_unused=True)

    assert all(leaf.grad == 0.0 for leaf in leaves)
    for i, (g, e) in enumerate(zip(grads, expected, strict=True)):
        assert same_float(as_float(g), e, rel=1e-9, abs_=1e-9), f"leaf {i}: got {g!r}, torch says {e!r}"


@SETTINGS
@given(recipe=recipes(max_leaves=3, max_steps=6, smooth=True))
def test_second_derivatives_on_random_smooth_graphs_match_torch(recipe: Recipe) -> None:
    tout, tleaves, tgrads = torch_run(recipe, create_graph=True, smallest=1e-2)
    assume(well_scaled(tout.item(), *(as_float(g) for g in tgrads)))
    # d/dx_j of the sum of first derivatives: one row of mixed second derivatives.
    tfirst = [g for g in tgrads if g is not None and g.requires_grad]
    assume(tfirst)
    tsecond = torch.autograd.grad(torch.stack(tfirst).sum(), tleaves, allow_unused=True)
    expected = [as_float(g) for g in tsecond]
    assume(well_scaled(*expected, limit=1e6))

    leaves = [Value(x) for x in recipe.leaves]
    out = replay(recipe, leaves, EngineBackend)
    first = autograd.grad(out, leaves, create_graph=True, allow_unused=True)
    used = [g for g, tg in zip(first, tgrads, strict=True) if tg is not None and tg.requires_grad]
    total = autograd.sum(used)
    second = autograd.grad(total, leaves, allow_unused=True)
    for i, (g, e) in enumerate(zip(second, expected, strict=True)):
        assert same_float(as_float(g), e, rel=1e-8, abs_=1e-8), f"leaf {i}: got {g!r}, torch says {e!r}"


@SETTINGS
@given(recipe=recipes(max_leaves=3, max_steps=6, smooth=True))
def test_gradcheck_passes_wherever_torch_gradcheck_passes(recipe: Recipe) -> None:
    def torch_fn(*leaves: torch.Tensor) -> torch.Tensor:
        return replay(recipe, list(leaves), TorchBackend)

    torch_run(recipe)  # the same screens as the tests above: x / x at x = 5e-17 is 1 with a gradient of 0 only
    # up to summation order (1/x - x/x² = 2e16 - 2e16), and the engines sum their terms in different orders
    tleaves = tuple(torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in recipe.leaves)
    tout = torch_fn(*tleaves)
    assume(well_scaled(tout.item(), limit=1e6))
    # Central differences only mean something where the function is smooth at the scale of eps:
    # let torch's own gradcheck (same eps, atol, rtol) decide which draws those are.
    assume(torch.autograd.gradcheck(torch_fn, tleaves, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=False))

    def fn(*leaves: Value) -> Value:
        return replay(recipe, list(leaves), EngineBackend)

    assert autograd.gradcheck(fn, [Value(x) for x in recipe.leaves]) is True
