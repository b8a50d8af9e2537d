"""Engine benchmark: build + backward of a long chain, chaingrad vs micrograd 0.1.0, in the same run.

    python benchmarks/engine.py [--iterations 200000] [--repeats 5]

The chain is `x = x * 1.0001 + 0.1`, repeated: two operations per iteration, each with a plain-number
constant. Prints medians, ratios, the memory the chain holds per iteration, and how deep each engine goes.
"""

from __future__ import annotations

import argparse
import gc
import sys
import threading

sys.path.insert(0, __file__.rsplit("/", 2)[0])  # run from a checkout without installing

import autograd  # noqa: E402
from benchmarks.common import interleaved, median, print_table, traced_bytes  # noqa: E402


def chaingrad_chain(n: int) -> autograd.Value:
    x = autograd.Value(1.0)
    for _ in range(n):
        x = x * 1.0001 + 0.1
    return x


def micrograd_chain(n: int):  # noqa: ANN201 - micrograd's Value
    from micrograd.engine import Value

    x = Value(1.0)
    for _ in range(n):
        x = x * 1.0001 + 0.1
    return x


def _with_deep_stack(fn):  # noqa: ANN001, ANN202
    """Run fn in a thread with a big stack and recursion limit: micrograd's topological sort recurses."""
    result = {}

    def target() -> None:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(10**7)
        try:
            result["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - reported, not hidden
            result["error"] = e
        finally:
            sys.setrecursionlimit(old)

    threading.stack_size(512 * 1024 * 1024)
    t = threading.Thread(target=target)
    t.start()
    t.join()
    threading.stack_size(0)
    if "error" in result:
        raise result["error"]
    return result.get("value")


def micrograd_max_depth() -> int:
    """The longest chain micrograd backpropagates under Python's default recursion limit."""
    from micrograd.engine import Value

    depth = 0
    for n in (100, 200, 300, 400, 450, 500, 600, 800, 1000, 2000):
        x = Value(1.0)
        for _ in range(n):
            x = x + 1.0  # one node per step (plus the constant's node, a leaf)
        try:
            x.backward()
            depth = n
        except RecursionError:
            break
    return depth


def chaingrad_deep_ok(n: int) -> bool:
    x = autograd.Value(0.0)
    for _ in range(n):
        x = x + 1.0
    x.backward()
    return x.parents[0].grad == 1.0


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n = args.iterations

    def ours() -> None:
        chaingrad_chain(n).backward()

    def theirs() -> None:
        _with_deep_stack(lambda: micrograd_chain(n).backward())

    times = interleaved({"chaingrad": ours, "micrograd": theirs}, args.repeats)
    t_ours, t_theirs = median(times["chaingrad"]), median(times["micrograd"])
    mem_ours = traced_bytes(lambda: chaingrad_chain(n)) / n
    mem_theirs = traced_bytes(lambda: micrograd_chain(n)) / n

    gc.collect()
    gc.disable()
    try:
        x = chaingrad_chain(10_000)
        x.backward()
        del x
        cycles = gc.collect()
    finally:
        gc.enable()

    rows = [
        ["build+backward per iteration (median)", f"{t_ours / n * 1e6:.2f} µs", f"{t_theirs / n * 1e6:.2f} µs",
         f"{t_theirs / t_ours:.1f}x faster"],
        ["memory held per iteration (tracemalloc)", f"{mem_ours:.0f} B", f"{mem_theirs:.0f} B",
         f"{mem_theirs / mem_ours:.1f}x less"],
        ["deepest chain that backpropagates", f">= {1_000_000:,} (checked)", f"{micrograd_max_depth():,}", ""],
        ["objects freed by gc after a backward", f"{cycles}", "", ""],
    ]  # fmt: skip
    deep = chaingrad_deep_ok(1_000_000)
    print(f"Chain of {n:,} iterations of x = x * 1.0001 + 0.1, {args.repeats} interleaved repeats\n")
    print_table(rows, ["measure", "chaingrad", "micrograd 0.1.0", "ratio"])
    print(f"\n1,000,000-deep chain backpropagated with the default recursion limit: {deep}")
    print("targets: >= 5x faster, <= 1/6 of micrograd's memory per iteration")
    return {"chain_us_per_iter": {"chaingrad": t_ours / n * 1e6, "micrograd": t_theirs / n * 1e6},
            "bytes_per_iter": {"chaingrad": mem_ours, "micrograd": mem_theirs}}  # fmt: skip


if __name__ == "__main__":
    main()
