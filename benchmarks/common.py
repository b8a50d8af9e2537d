"""Helpers shared by the benchmarks: interleaved repeats, medians, and a table printer."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable


def freeze_imports() -> None:
    """Move every object alive now (imported modules: PyTorch alone brings ~150,000) out of the cycle
    collector's sight, as gc.freeze() is meant for. Without it, each full collection in any engine's step
    would also scan PyTorch's tables, which a user of that engine alone would not have. Equal for all."""
    gc.collect()
    gc.freeze()


def interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Seconds per call of each fn, measured round-robin so that machine noise hits every engine alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def traced_bytes(build: Callable[[], object]) -> int:
    """Bytes still allocated by `build()`'s result while it is alive (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = build()
        after = tracemalloc.get_traced_memory()[0]
        del result
    finally:
        tracemalloc.stop()
    return after - before


def print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
