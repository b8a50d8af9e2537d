"""The whole benchmark suite: one table, printed and written as JSON and Markdown.

    python benchmarks/run_all.py [--out out/benchmarks] [--quick]

1. micrograd's demo step in every engine (benchmarks/demo_step.py), medians of interleaved repeats, each
   step timed in a training loop and on a freshly collected heap, with ratios against micrograd, PyTorch on
   scalars and the hand-written pure-Python limit.
2. The engine: a 200k-iteration chain and a random 50k-node graph, chaingrad vs micrograd
   (benchmarks/engine.py): time, memory, depth, reference cycles.
3. Digits: seconds of training to 95% and 97% held-out accuracy (benchmarks/train.py).
4. An MNIST-sized MLP(784, [128, 10]) step, compiled and eager (benchmarks/wide_step.py), and the same for
   the digits' MLP(64, [32, 10]).

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

from benchmarks import demo_step, engine, train, wide_step  # noqa: E402
from benchmarks.common import ms, print_table  # noqa: E402
from nn.io import write_atomically  # noqa: E402

TARGETS = {
    "demo step vs micrograd": ">= 50x faster",
    "demo step vs torch-scalars": ">= 20x faster",
    "chaingrad-fit vs hand-written": "<= 3.5x",
    "chaingrad-micrograd-code vs hand-written": "<= 5x",
    "chain vs micrograd": ">= 5x faster",
    "chain memory vs micrograd": "<= 1/6",
    "digits to 95%": "< 10 s",
    "digits to 97%": "< 30 s",
    "compiled vs hand-written": "<= 0.4x",
    "compiled vs eager": ">= 5x faster",
    "compile time": "< 50 ms",
    "digits compiled to 97%": "< 3 s",
    "digits compiled vs eager": ">= 3x faster",
    "wide compiled vs eager": ">= 2x faster",
    "wide compile time": "< 5 s",
}
DIGITS_SIZES = (64, 32, 10)  # MLP(64, [32, 10]), as benchmarks/train.py trains it


def measure(quick: bool, freeze: bool = True) -> dict:
    if quick:
        demo = demo_step.run(repeats=2, n_points=10, steps=2, slow_repeats=1, freeze=freeze)
        eng = engine.run(iterations=2_000, graph_nodes=1_000, repeats=1)
        digits = train.digits(budget=5.0, verbose=False, n_samples=200)
        digits_compiled = train.digits(budget=5.0, verbose=False, n_samples=200, compile=True)
        wide = wide_step.run(repeats=1, batch=2, sizes=(40, 8, 3), forward_batch=4)
        digits_step = wide_step.run(repeats=1, batch=2, sizes=DIGITS_SIZES, forward_batch=4)
    else:
        demo = demo_step.run(freeze=freeze)
        eng = engine.run()
        digits = train.digits(verbose=False)
        digits_compiled = train.digits(verbose=False, compile=True)
        wide = wide_step.run()
        digits_step = wide_step.run(repeats=15, sizes=DIGITS_SIZES)
    compile_ms = [demo_step.compile_seconds() * 1e3 for _ in range(5)]
    return {"python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "quick": quick, "frozen_imports": freeze, "demo_step_seconds": demo, "engine": eng, "digits": digits,
            "digits_compiled": digits_compiled, "compile_ms": sorted(compile_ms)[2], "wide_step": wide,
            "digits_step": digits_step,
            "cycles_found_after_training_step": demo_step.cycles_after_step()}  # fmt: skip


Table = tuple[str, list[str], list[list[str]]]  # (title, header, rows)


def _times(seconds: float, ours: float) -> str:
    ratio = seconds / ours
    return f"{ratio:.{1 if ratio >= 1 else 2}f}x"  # 0.05x, not 0.0x


def tables(r: dict) -> list[Table]:
    """The demo step in every engine, then every figure with its comparison and target."""
    demo = r["demo_step_seconds"]
    loop, fresh = ({name: ways[way] for name, ways in demo.items()} for way in ("loop", "fresh"))
    steps = [[name, ms(loop[name]), _times(loop[name], loop["chaingrad"]), ms(fresh[name]),
              _times(fresh[name], fresh["chaingrad"])] for name in demo]  # fmt: skip
    steps_header = ["engine", "step in a training loop", "/ chaingrad", "step on a fresh heap", "/ chaingrad"]

    ours = loop["chaingrad"]
    rows = []
    for other, key in (("micrograd", "demo step vs micrograd"), ("torch-scalars", "demo step vs torch-scalars")):
        rows.append([f"demo step speed-up over {other}", f"{loop[other] / ours:.1f}x",
                     f"on a fresh heap: {fresh[other] / fresh['chaingrad']:.1f}x", TARGETS[key]])  # fmt: skip
    for name in ("chaingrad", "chaingrad-fit", "chaingrad-micrograd-code"):
        rows.append([f"demo step, {name} / hand-written", f"{loop[name] / loop['hand-written']:.2f}x",
                     f"on a fresh heap: {fresh[name] / fresh['hand-written']:.2f}x",
                     TARGETS.get(f"{name} vs hand-written", "")])  # fmt: skip
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
    compiled = loop["chaingrad-compiled"]
    rows.append(["demo step, chaingrad-compiled / hand-written", f"{compiled / loop['hand-written']:.2f}x",
                 f"{compiled / loop['torch-batched']:.1f}x torch-batched", TARGETS["compiled vs hand-written"]])
    rows.append(["demo step speed-up of chaingrad-compiled over chaingrad", f"{ours / compiled:.1f}x", "",
                 TARGETS["compiled vs eager"]])
    rows.append(["compile time of the demo step (trace, write, compile, first step)", f"{r['compile_ms']:.1f} ms",
                 "median of 5", TARGETS["compile time"]])
    for goal, reached in r["digits_compiled"].items():
        text = f"{reached['train_seconds']:.1f} s (epoch {reached['epoch']})" if reached else "not reached"
        target = TARGETS["digits compiled to 97%"] if goal == "97%" else ""
        rows.append([f"digits MLP(64,[32,10]) to {goal} held-out, fit(compile=True)", text, "", target])
    small = r["digits_step"]
    speed_up = small["eager_step"] / small["compiled_step"]
    rows.append(["digits-sized MLP(64,[32,10]) step, batch 32 (loss and gradients): compiled",
                 ms(small["compiled_step"]), f"eager {ms(small['eager_step'])}: {speed_up:.1f}x",
                 TARGETS["digits compiled vs eager"]])  # fmt: skip
    eager_97, compiled_97 = r["digits"]["97%"], r["digits_compiled"]["97%"]
    if eager_97 and compiled_97:  # the same epochs (the same numbers to rounding): a ratio of times per epoch
        eager_epoch, compiled_epoch = (goal["train_seconds"] / goal["epoch"] for goal in (eager_97, compiled_97))
        rows.append(["digits: seconds per epoch of fit, eager / compile=True (Adam's update and the tracing in)",
                     f"{eager_epoch / compiled_epoch:.1f}x",
                     f"{compiled_epoch:.2f} s compiled, {eager_epoch:.2f} s eager", ""])  # fmt: skip
    w = r["wide_step"]
    rows.append(["MNIST-sized MLP(784,[128,10]) step, batch 32: compiled", ms(w["compiled_step"]),
                 f"eager {ms(w['eager_step'])}: {w['eager_step'] / w['compiled_step']:.1f}x",
                 TARGETS["wide compiled vs eager"]])  # fmt: skip
    rows.append(["MNIST-sized: compile time (trace, write, compile, first step)",
                 f"{w['compile_and_first_step']:.2f} s", "", TARGETS["wide compile time"]])  # fmt: skip
    rows.append(["MNIST-sized: forward of 256 samples, nn.outputs compiled (tracing included)",
                 ms(w["forward_compiled"]), f"eager {ms(w['forward_eager'])}", ""])  # fmt: skip
    return [("micrograd's demo step, median seconds per step", steps_header, steps),
            ("every measure and its target (speed-ups from the training-loop column)",
             ["measure", "chaingrad", "comparison", "target"], rows)]  # fmt: skip


def markdown(sections: list[Table], r: dict) -> str:
    setting = "" if r["frozen_imports"] else ", imports not frozen"
    lines = [f"Python {r['python']}, {r['machine']}{' (quick run)' if r['quick'] else ''}{setting}"]
    for title, header, rows in sections:
        lines += ["", f"{title}:", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
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
    sections = tables(result)
    print(f"Python {result['python']}, {result['machine']}")
    for title, header, rows in sections:
        print(f"\n{title}:\n")
        print_table(rows, header)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = {".json": json.dumps(result, indent=2) + "\n", ".md": markdown(sections, result)}
    for suffix, content in text.items():
        write_atomically(out.with_suffix(suffix), lambda f, content=content: f.write(content))
    print(f"\nwrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
    return result


if __name__ == "__main__":
    main()
