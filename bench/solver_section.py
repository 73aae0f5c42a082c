"""The solver benchmark: CP-SAT, the greedy baseline and HiGHS side by side on seeded instances."""

import json
import subprocess
import sys
from pathlib import Path

from bench.generate import DEFAULT_SIZES, SIZES, generate

OUT = Path(__file__).parent / "out"
# The 30 s targets run with 28 s, leaving room to read the instance and write the plan.
TIME_LIMITS = {"small": 10.0, "realistic": 10.0, "tight": 20.0, "large": 28.0, "dense": 28.0}
METHODS = ["cpsat", "greedy", "highs"]
RESOLVE_SIZES = {"realistic", "tight"}
TARGETS = {"realistic": (2.0, 0.0, 2048.0), "large": (30.0, 0.001, 2048.0), "dense": (30.0, 0.001, 2048.0)}


def _run(method: str, path: Path, limit: float) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run_one", method, str(path), str(limit)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    if proc.returncode != 0:
        return {"method": method, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(size: str, r: dict, best_bound: int) -> str:
    if "error" in r:
        return f"| {size} | {r['method']} | error: {r['error']} ||||||||"
    gap = r["gap"] if r["gap"] is not None else abs(best_bound - r["priority"]) / max(1, best_bound)
    bound = f"{r['bound']:,}" if r["bound"] is not None else "—"
    return (
        f"| {size} | {r['method']} | {r['status']} | {r['filled']}/{r['positions']} | {r['priority']:,} | "
        f"{bound} | {100 * gap:.3f} % | {r['wall']:.2f} s | {r['peak_mb']:.0f} MiB | {r['candidates']:,} |"
    )


def _resolve_note(size: str, r: dict) -> str | None:
    if r.get("method") != "resolve" or "error" in r:
        return None
    return (
        f"re-solve {size} after 5 % of experts withdrew: {r['changes']} previous assignments changed, "
        f"{r['forced']} of them forced, in {r['wall']:.2f} s"
    )


def _target(size: str, r: dict) -> str | None:
    if size not in TARGETS or r.get("method") != "cpsat" or "error" in r:
        return None
    wall, gap, mem = TARGETS[size]
    proven = r["status"] == "optimal" if gap == 0 else r["gap"] <= gap
    ok = proven and r["wall"] <= wall and r["peak_mb"] <= mem
    what = "proven optimal" if gap == 0 else f"gap ≤ {100 * gap:.1f} %"
    return (
        f"target {size}: {what} in ≤ {wall:.0f} s, ≤ {mem / 1024:.0f} GiB -> "
        f"{'MET' if ok else 'MISSED'} ({r['status']}, gap {100 * r['gap']:.3f} %, {r['wall']:.2f} s, "
        f"{r['peak_mb']:.0f} MiB)"
    )


def run(sizes: list[str], seed: int = 0) -> int:
    OUT.mkdir(exist_ok=True)
    lines = [
        "| instance | solver | status | filled | priority value | best bound | gap | wall | peak memory | pairs |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes, broken = [], []
    for size in sizes:
        path = OUT / f"{size}-{seed}.json"
        path.write_text(generate(size, seed).model_dump_json())
        methods = METHODS + (["resolve"] if size in RESOLVE_SIZES else [])
        results = [_run(m, path, TIME_LIMITS.get(size, 30.0)) for m in methods]
        best = max([r["bound"] for r in results if r.get("bound")] or [1])
        for r in results:
            lines.append(_fmt(size, r, best))
            print(f"  ran {size}/{r['method']}", file=sys.stderr, flush=True)
            for v in r.get("violations", [])[:10]:
                broken.append(f"{size}/{r['method']}: {v}")
            if "error" in r:
                broken.append(f"{size}/{r['method']}: crashed: {r['error']}")
            notes += [n for n in (_target(size, r), _resolve_note(size, r)) if n]
    print("\n".join(lines))
    print("\n".join(notes))
    if broken:
        print("PLAN CHECK FAILED:\n" + "\n".join(broken))
        return 1
    print("every plan passed the independent checker")
    return 0


def main(args: list[str]) -> int:
    sizes = list(DEFAULT_SIZES)
    for a in args:
        if a.startswith("--sizes"):
            sizes = a.split("=", 1)[1].split(",") if "=" in a else sizes
    if "--sizes" in args:
        sizes = args[args.index("--sizes") + 1].split(",")
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        print(f"unknown sizes {unknown}; choose from {', '.join(SIZES)}")
        return 2
    return run(sizes)
