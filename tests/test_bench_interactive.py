"""The interactive section (issue 21): end to end on the small instance, and its MET/MISSED lines."""

import subprocess
import sys

from bench import interactive_section, solver_section


def test_interactive_section_runs_on_small_and_every_re_solve_equals_a_cold_solve():
    out = subprocess.run(
        [sys.executable, "-m", "bench", "interactive", "--sizes", "small"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    row = next(line for line in out.stdout.splitlines() if line.startswith("| small |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert len(cells) == 7 and "optimal" in cells[1]
    assert cells[2].endswith("(5)") and cells[3].endswith("(5)")  # 5 rejections, 5 pins re-solved
    assert cells[6].startswith("yes (10/10")
    assert "every plan passed the independent checker" in out.stdout


def _result(size: str, cold: float, resolve: float, alt: float) -> dict:
    return {
        "size": size,
        "status": "optimal",
        "cold": [cold],
        "reject": [resolve] * 5,
        "pin": [resolve] * 5,
        "alt_kept": alt,
        "alt_plain": 1.0,
        "compared": 10,
        "equal": 10,
        "problems": [],
    }


def test_targets_re_solve_share_and_alternatives_on_large():
    met = interactive_section.targets(_result("large", 10.0, 1.5, 0.05))
    assert [line.split(" -> ")[1].split()[0] for line in met] == ["MET", "MET", "MET"]
    missed = interactive_section.targets(_result("large", 10.0, 2.5, 0.2))
    assert [line.split(" -> ")[1].split()[0] for line in missed] == ["MISSED", "MISSED", "MISSED"]
    assert interactive_section.targets(_result("small", 1.0, 1.0, 1.0)) == []


def test_a_mismatch_or_violation_fails_the_section_loudly(monkeypatch, capsys):
    bad = _result("small", 1.0, 0.1, 0.01) | {"equal": 9, "problems": ["OBJECTIVES DIFFER after rejecting E1"]}
    monkeypatch.setattr(interactive_section, "measure", lambda size: bad)
    assert interactive_section.run(["small"]) == 1
    out = capsys.readouterr().out
    assert "INTERACTIVE CHECK FAILED" in out and "OBJECTIVES DIFFER" in out
    assert "| NO (9/10 compared) |" in out


def test_solver_targets_give_the_ratio_to_highs():
    cpsat = {"method": "cpsat", "status": "optimal", "gap": 0.0, "wall": 0.9, "peak_mb": 150.0}
    lines = solver_section._target("realistic", cpsat, {"method": "highs", "wall": 0.6})
    assert lines[0].startswith("target realistic: proven optimal in ≤ 1 s") and "-> MET" in lines[0]
    assert "-> MISSED (CP-SAT 0.90 s / HiGHS 0.60 s = 1.50 ×)" in lines[1]
    huge = {"method": "cpsat", "status": "time_limit", "gap": 0.0005, "wall": 59.0, "peak_mb": 5000.0}
    assert "-> MISSED" in solver_section._target("huge", huge, None)[0]  # over 4 GiB
    assert "-> MET" in solver_section._target("huge", huge | {"peak_mb": 3000.0}, None)[0]
