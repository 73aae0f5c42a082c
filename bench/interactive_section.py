"""The planner's pace (issue 21): a cold solve, a re-solve after one decision, alternatives for a seat.

Per size, in a fresh process with OR-Tools and the solver imported before any clock starts
(bench/run_interactive.py): the cold ``solve_kept`` (median of up to 3), then from that plan and its kept state,
each on a deep copy of the instance with the plan as the previous one, 5 seeded rejections (a forbidden pair
for an assigned seat) and 5 seeded pins (an eligible supplier from ``alternatives`` that does not hold the seat),
each re-solved with ``before=kept`` and solved cold as well: when both are proven optimal, their five objective
levels must be equal. Then ``alternatives`` for 20 seeded seats with the kept structure and without it. Every
plan is checked. Exit code 1 on a checker violation, an objective mismatch or a crash; targets print MET/MISSED.
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench.generate import generate, sizes_parser
from bench.solver_section import OUT, TIME_LIMITS

DEFAULT_SIZES = ["realistic", "large"]
RESOLVE_SHARE = 0.2  # a re-solve after one decision: ≤ 20 % of the cold solve (median of the 5)
RESOLVE_SIZES = ("realistic", "large")
ALTERNATIVES_MS = {"large": 100.0}  # alternatives for one seat with the kept structure (median of 20)


def parser() -> argparse.ArgumentParser:
    """The section's options (``python -m bench --help`` lists them too)."""
    return sizes_parser("interactive", __doc__ or "", DEFAULT_SIZES)


def measure(size: str, seed: int = 0) -> dict:
    """One size's figures from a fresh process (``error``: its last line of stderr when it crashed)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{size}-{seed}.json"
    path.write_text(generate(size, seed).model_dump_json())
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run_interactive", str(path), str(TIME_LIMITS.get(size, 30.0))],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    if proc.returncode != 0:
        return {"size": size, "error": proc.stderr.strip().splitlines()[-1:]}
    return {"size": size} | json.loads(proc.stdout.strip().splitlines()[-1])


def _seconds(x: float | None) -> str:
    if x is None:
        return "—"
    if x < 0.01:
        return f"{1000 * x:.1f} ms"
    return f"{1000 * x:.0f} ms" if x < 1 else f"{x:.2f} s"


def _decisions(walls: list[float], cold: float) -> str:
    if not walls:
        return "—"
    median = statistics.median(walls)
    return f"{_seconds(median)}, {_seconds(max(walls))}, {median / cold:.2f} × ({len(walls)})"


def row(r: dict) -> str:
    """One line of the table."""
    if "error" in r:
        return f"| {r['size']} | error: {r['error']} |||||"
    cold = statistics.median(r["cold"])
    exact = "yes" if r["equal"] == r["compared"] else "NO"
    return (
        f"| {r['size']} | {_seconds(cold)} ({r['status']}, {len(r['cold'])} runs) | {_decisions(r['reject'], cold)} | "
        f"{_decisions(r['pin'], cold)} | {_seconds(r['alt_kept'])} | {_seconds(r['alt_plain'])} | "
        f"{exact} ({r['equal']}/{r['compared']} compared) |"
    )


def targets(r: dict) -> list[str]:
    """Issue 21's MET/MISSED lines for one size."""
    if "error" in r:
        return []
    cold, lines = statistics.median(r["cold"]), []
    if r["size"] in RESOLVE_SIZES:
        for key, what in (("reject", "a rejection"), ("pin", "a pin")):
            share = statistics.median(r[key]) / cold if r[key] else float("inf")
            lines.append(
                f"target {r['size']}: re-solve after {what} ≤ {100 * RESOLVE_SHARE:.0f} % of the cold solve -> "
                f"{'MET' if share <= RESOLVE_SHARE else 'MISSED'} (median {100 * share:.0f} % of {cold:.2f} s)"
            )
    if r["size"] in ALTERNATIVES_MS:
        limit, ms = ALTERNATIVES_MS[r["size"]], 1000 * (r["alt_kept"] or float("inf"))
        lines.append(
            f"target {r['size']}: alternatives for one seat ≤ {limit:.0f} ms -> "
            f"{'MET' if ms <= limit else 'MISSED'} (median {ms:.0f} ms with the kept structure)"
        )
    return lines


def run(sizes: list[str]) -> int:
    lines = [
        "| instance | cold solve | re-solve after a rejection (median, max, × cold) | after a pin (median, max, "
        "× cold) | alternatives, kept (median) | without | exact |",
        "|---|---|---|---|---|---|---|",
    ]
    notes, problems = [], []
    for size in sizes:
        r = measure(size)
        print(f"  ran {size}/interactive", file=sys.stderr, flush=True)
        lines.append(row(r))
        notes += targets(r)
        problems += [f"{size}: {p}" for p in r.get("problems", [])]
        problems += [f"{size}: crashed: {r['error']}"] if "error" in r else []
    print("\n".join(lines + notes))
    if problems:
        print("INTERACTIVE CHECK FAILED:\n" + "\n".join(problems))
        return 1
    print("every plan passed the independent checker; re-solves equal cold solves wherever both are proven optimal")
    return 0


def main(args: list[str]) -> int:
    return run(parser().parse_known_args(args)[0].sizes)
