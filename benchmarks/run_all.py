"""The whole benchmark suite: one table, printed and written as JSON and Markdown.

    python benchmarks/run_all.py [--out out/benchmarks] [--quick]

1. micrograd's demo step in every engine (benchmarks/demo_step.py), medians of interleaved repeats, with
   ratios against micrograd, PyTorch on scalars and the hand-written pure-Python limit.
2. The engine: a 200k-iteration chain and a random 50k-node graph, chaingrad vs micrograd
   (benchmarks/engine.py): time, memory, depth, reference cycles.
3. Digits: seconds of training to 95% and 97% held-out accuracy (benchmarks/train.py).

Every figure is measured in this run: machines are noisy, so ratios between engines run side by side mean
more than any absolute time. `--quick` shrinks every size (a smoke run: its figures mean little).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, __file__.rsplit("/", 2)[0])  # run from a checkout without installing

from benchmarks import demo_step, engine, train  # noqa: E402
from benchmarks.common import print_table  # noqa: E402
from nn.io import write_atomically  # noqa: E402

TARGETS = {
    "demo step vs micrograd": ">= 50x faster",
    "demo step vs torch-scalars": ">= 20x faster",
    "demo step vs hand-written": "<= 3x slower",
    "chain vs micrograd": ">= 5x faster",
    "chain memory vs micrograd": "<= 1/6",
    "digits to 95%": "< 10 s",
    "digits to 97%": "< 30 s",
}


def measure(quick: bool, freeze: bool = True) -> dict:
    if quick:
        demo = demo_step.run(repeats=2, n_points=10, torch_scalar_repeats=1, freeze=freeze)
        eng = engine.run(iterations=2_000, graph_nodes=1_000, repeats=1)
        digits = train.digits(budget=5.0, verbose=False, n_samples=200)
    else:
        demo = demo_step.run(repeats=7, freeze=freeze)
        eng = engine.run()
        digits = train.digits(verbose=False)
    return {"python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "quick": quick, "frozen_imports": freeze, "demo_step_seconds": demo, "engine": eng, "digits": digits,
            "cycles_found_after_training_step": demo_step.cycles_after_step()}  # fmt: skip


def table(r: dict) -> tuple[list[list[str]], list[str]]:
    """(rows, header): every figure with its comparison and target."""
    demo = r["demo_step_seconds"]
    ours = demo["chaingrad"]
    rows = []
    for name, seconds in demo.items():
        times = seconds / ours
        digits = 1 if times >= 1 else 2  # 0.05x, not 0.0x
        ratio = "" if name == "chaingrad" else f"{times:.{digits}f}x chaingrad's time"
        rows.append([f"demo step: {name}", f"{seconds * 1e3:.1f} ms", ratio, ""])
    rows[0][3] = "(the row the ratios below compare with)"
    for other, key in (("micrograd", "demo step vs micrograd"), ("torch-scalars", "demo step vs torch-scalars")):
        rows.append([f"demo step speed-up over {other}", f"{demo[other] / ours:.1f}x", "", TARGETS[key]])
    rows.append(["demo step, chaingrad / hand-written", f"{ours / demo['hand-written']:.2f}x", "",
                 TARGETS["demo step vs hand-written"]])  # fmt: skip
    rows.append(["demo step, chaingrad-fit / hand-written", f"{demo['chaingrad-fit'] / demo['hand-written']:.2f}x",
                 "", TARGETS["demo step vs hand-written"]])  # fmt: skip
    for measure_row in engine.rows(r["engine"]):
        name, ours_text, theirs_text, ratio = measure_row
        target = TARGETS["chain vs micrograd"] if name.startswith("chain of") else (
            TARGETS["chain memory vs micrograd"] if name.startswith("chain: memory") else "")
        rows.append([name, ours_text, f"micrograd: {theirs_text}" if theirs_text else "", f"{ratio} {target}".strip()])
    rows.append(["objects the cycle collector frees after a training step",
                 str(r["cycles_found_after_training_step"]), "", "0 (no reference cycles)"])  # fmt: skip
    for goal, reached in r["digits"].items():
        text = f"{reached['train_seconds']:.1f} s (epoch {reached['epoch']})" if reached else "not reached"
        rows.append([f"digits MLP(64,[32,10]) to {goal} held-out", text, "", TARGETS[f"digits to {goal}"]])
    return rows, ["measure", "chaingrad", "comparison", "target"]


def markdown(rows: list[list[str]], header: list[str], r: dict) -> str:
    setting = "" if r["frozen_imports"] else ", imports not frozen"
    lines = [f"Python {r['python']}, {r['machine']}{' (quick run)' if r['quick'] else ''}{setting}", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]  # fmt: skip
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="out/benchmarks", help="where to write .json and .md (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    parser.add_argument("--no-freeze", action="store_true",
                        help="time the demo steps without gc.freeze() after the imports (see demo_step.run)")
    args = parser.parse_args(argv)
    result = measure(args.quick, freeze=not args.no_freeze)
    rows, header = table(result)
    print(f"Python {result['python']}, {result['machine']}\n")
    print_table(rows, header)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = {".json": json.dumps(result, indent=2) + "\n", ".md": markdown(rows, header, result)}
    for suffix, content in text.items():
        write_atomically(out.with_suffix(suffix), lambda f, content=content: f.write(content))
    print(f"\nwrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
    return result


if __name__ == "__main__":
    main()
