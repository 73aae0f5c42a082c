"""The benchmark stays runnable: one small run of every method, each plan checked."""

import subprocess
import sys

from bench.generate import SIZES, generate
from solver import check, greedy


def test_generated_instances_are_valid_and_greedy_passes_the_checker():
    for name in ("small", "tight"):
        inst = generate(name, 1)
        assert len(inst.positions) == SIZES[name].positions
        assert check(inst, greedy(inst)) == []


def test_bench_prints_the_table_for_small():
    out = subprocess.run(
        [sys.executable, "-m", "bench", "solver", "--sizes", "small"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("| small |")]
    assert [r.split("|")[2].strip() for r in rows] == ["cpsat", "greedy", "highs"]
    assert "every plan passed the independent checker" in out.stdout
