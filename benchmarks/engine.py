"""Engine benchmark: build + backward of a long chain and of a random graph, chaingrad vs micrograd 0.1.0.

    python benchmarks/engine.py [--iterations 200000] [--graph-nodes 50000] [--repeats 5]

The chain is `x = x * 1.0001 + 0.1`, repeated: two operations per iteration, each with a plain-number
constant. The random graph mixes averages, products and relus of earlier nodes (shared subexpressions, long
and short edges; micrograd has no tanh). Prints medians of interleaved repeats, ratios, the memory each holds
(tracemalloc), how deep each engine can backpropagate, and whether the cycle collector finds anything after a
backward pass.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import threading
from collections.abc import Callable

sys.path.insert(0, __file__.rsplit("/", 2)[0])  # run from a checkout without installing

import autograd  # noqa: E402
from benchmarks.common import freeze_imports, interleaved, median, print_table, traced_bytes  # noqa: E402


def chaingrad_value() -> type:
    return autograd.Value


def micrograd_value() -> type:
    from micrograd.engine import Value

    return Value


def chain(value_type: type, n: int) -> object:
    """x = x * 1.0001 + 0.1, n times."""
    x = value_type(1.0)
    for _ in range(n):
        x = x * 1.0001 + 0.1
    return x


def random_recipe(n_nodes: int, seed: int = 0, n_leaves: int = 100) -> list[tuple[str, int, int]]:
    """A random expression DAG as steps (op, i, j) over earlier nodes: mostly local (the last 50 nodes), one
    edge in ten long-range, so subexpressions are shared. Every op maps [-1, 1] into itself."""
    rng = random.Random(seed)
    steps = []
    for k in range(n_leaves, n_leaves + n_nodes):
        lo = max(0, k - 50)
        i, j = (rng.randrange(k) if rng.random() < 0.1 else rng.randrange(lo, k) for _ in range(2))
        steps.append((rng.choice(("avg", "*", "relu")), i, j))
    return steps


def random_graph(value_type: type, recipe: list[tuple[str, int, int]], n_leaves: int = 100,
                 seed: int = 0) -> tuple[list, object]:  # fmt: skip
    """(leaves, output) of the recipe built with `value_type`; the output adds up every unused node, so the
    whole graph is part of it."""
    rng = random.Random(seed)
    nodes = [value_type(rng.uniform(-1, 1)) for _ in range(n_leaves)]
    used = [False] * (n_leaves + len(recipe))
    for op, i, j in recipe:
        a, b = nodes[i], nodes[j]
        nodes.append((a + b) * 0.5 if op == "avg" else a * b if op == "*" else a.relu())
        used[i] = True
        used[j] = used[j] or op != "relu"
    out = nodes[-1]
    for node, is_used in zip(nodes[n_leaves:-1], used[n_leaves:-1]):
        if not is_used:
            out = out + node
    return nodes[:n_leaves], out


def deep_stack(fn: Callable[[], object]) -> object:
    """Run fn in a thread with a big stack and recursion limit: micrograd's topological sort recurses."""
    result: dict[str, object] = {}

    def target() -> None:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(10**7)
        try:
            result["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            result["error"] = e
        finally:
            sys.setrecursionlimit(old)

    threading.stack_size(512 * 1024 * 1024)
    try:
        t = threading.Thread(target=target)
        t.start()
        t.join()
    finally:
        threading.stack_size(0)
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result.get("value")


def deepest_chain(value_type: type, limits: tuple[int, ...]) -> int:
    """The longest chain x = x + 1 (from `limits`) that backpropagates with Python's default recursion limit."""
    depth = 0
    for n in limits:
        x = value_type(0.0)
        for _ in range(n):
            x = x + 1.0
        try:
            x.backward()
        except RecursionError:
            break
        depth = n
    return depth


def cycles_after_backward(n: int) -> int:
    """With the cycle collector off, build and backpropagate a chaingrad chain, drop it, then count what the
    collector finds: 0 means the graph was freed by reference counting alone."""
    gc.collect()
    gc.disable()
    try:
        x = chain(autograd.Value, n)
        x.backward()
        del x
        return gc.collect()
    finally:
        gc.enable()


def run(iterations: int = 200_000, graph_nodes: int = 50_000, repeats: int = 5) -> dict:
    """Every figure of this benchmark, as a dict (printed by main, collected by run_all)."""
    ours, theirs = chaingrad_value(), micrograd_value()
    recipe = random_recipe(graph_nodes)
    freeze_imports()

    def graph_backward(value_type: type) -> None:
        _, out = random_graph(value_type, recipe)
        out.backward()

    times = interleaved({
        "chain chaingrad": lambda: chain(ours, iterations).backward(),
        "chain micrograd": lambda: deep_stack(lambda: chain(theirs, iterations).backward()),
        "graph chaingrad": lambda: graph_backward(ours),
        "graph micrograd": lambda: deep_stack(lambda: graph_backward(theirs)),
    }, repeats)  # fmt: skip
    t = {name: median(ts) for name, ts in times.items()}
    return {
        "iterations": iterations,
        "graph_nodes": graph_nodes,
        "repeats": repeats,
        "chain_us_per_iteration": {"chaingrad": t["chain chaingrad"] / iterations * 1e6,
                                   "micrograd": t["chain micrograd"] / iterations * 1e6},
        "chain_bytes_per_iteration": {"chaingrad": traced_bytes(lambda: chain(ours, iterations)) / iterations,
                                      "micrograd": traced_bytes(lambda: chain(theirs, iterations)) / iterations},
        "graph_ms": {"chaingrad": t["graph chaingrad"] * 1e3, "micrograd": t["graph micrograd"] * 1e3},
        "graph_bytes_per_node": {
            "chaingrad": traced_bytes(lambda: random_graph(ours, recipe)) / graph_nodes,
            "micrograd": traced_bytes(lambda: random_graph(theirs, recipe)) / graph_nodes,
        },
        "deepest_chain": {"chaingrad": deepest_chain(ours, (10_000, 100_000, 1_000_000)),
                          "micrograd": deepest_chain(theirs, (100, 200, 300, 400, 500, 600, 800, 1000, 2000))},
        "cycles_found_after_backward": cycles_after_backward(min(iterations, 10_000)),
    }  # fmt: skip


def rows(r: dict) -> list[list[str]]:
    """Table rows: measure, chaingrad, micrograd, ratio."""
    c, b = r["chain_us_per_iteration"], r["chain_bytes_per_iteration"]
    g, gb, d = r["graph_ms"], r["graph_bytes_per_node"], r["deepest_chain"]
    return [
        [f"chain of {r['iterations']:,}: build+backward per iteration", f"{c['chaingrad']:.2f} µs",
         f"{c['micrograd']:.2f} µs", f"{c['micrograd'] / c['chaingrad']:.1f}x faster"],
        ["chain: memory held per iteration", f"{b['chaingrad']:.0f} B", f"{b['micrograd']:.0f} B",
         f"{b['micrograd'] / b['chaingrad']:.1f}x less"],
        [f"random graph of {r['graph_nodes']:,} nodes: build+backward", f"{g['chaingrad']:.1f} ms",
         f"{g['micrograd']:.1f} ms", f"{g['micrograd'] / g['chaingrad']:.1f}x faster"],
        ["random graph: memory held per node", f"{gb['chaingrad']:.0f} B", f"{gb['micrograd']:.0f} B",
         f"{gb['micrograd'] / gb['chaingrad']:.1f}x less"],
        ["deepest chain that backpropagates (default recursion limit)", f">= {d['chaingrad']:,}",
         f"{d['micrograd']:,}", ""],
        ["objects the cycle collector frees after a backward", str(r["cycles_found_after_backward"]), "", ""],
    ]  # fmt: skip


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200_000)
    parser.add_argument("--graph-nodes", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    result = run(args.iterations, args.graph_nodes, args.repeats)
    print(f"chaingrad vs micrograd 0.1.0, medians of {args.repeats} interleaved repeats\n")
    print_table(rows(result), ["measure", "chaingrad", "micrograd 0.1.0", "ratio"])
    print("\ntargets (issue 2): >= 5x faster on the chain, <= 1/6 of micrograd's memory per iteration")
    return result


if __name__ == "__main__":
    main()
