"""The benchmark stays runnable: one small run of every method, each plan checked; its command line and sizes."""

import hashlib
import subprocess
import sys

from bench.__main__ import SECTIONS
from bench.generate import DEFAULT_SIZES, SIZES, SKILLS, Size, generate
from solver import check, greedy
from solver.structure import build_structure


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


def _bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, timeout=60)


def test_help_prints_the_sections_their_options_and_the_sizes_without_running_anything():
    for flag in ("--help", "-h"):
        out = _bench(flag)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("usage: python -m bench")
        for word in (*SECTIONS, "--sizes", "--checkout", "--rows", "huge", "regional", "examples:"):
            assert word in out.stdout, word
        assert "== bench" not in out.stdout


def test_help_of_one_section_lists_only_that_section():
    out = _bench("solver", "--help")
    assert out.returncode == 0
    assert "--sizes" in out.stdout and "--warm" not in out.stdout


def test_an_unknown_section_or_option_exits_2_with_a_message():
    for args, message in (
        (["solvr"], "unknown section 'solvr'"),
        (["solver", "--rows", "3"], "unknown option --rows"),
        (["--bogus"], "unknown option --bogus"),
        (["solver", "--sizes", "galactic"], "unknown size(s) 'galactic'"),
    ):
        out = _bench(*args)
        assert out.returncode == 2, args
        assert message in out.stderr, out.stderr
        assert "== bench" not in out.stdout


def test_the_new_sizes_are_issue_21s_and_not_run_by_default():
    assert SIZES["huge"] == Size(100000, 5000, 20000, skills=200)
    assert "huge" not in DEFAULT_SIZES and "regional" not in DEFAULT_SIZES
    regional = SIZES["regional"]
    assert 6 <= regional.families <= 10 and regional.skills % regional.families == 0


def _family(skills) -> set[int]:
    return {SKILLS.index(code) // 10 for code in skills}  # 4 families of 10 skills in the small variant below


def test_regional_families_share_no_skill_and_no_candidate(monkeypatch):
    monkeypatch.setitem(SIZES, "regional-small", Size(400, 40, 200, skills=40, families=4))
    inst = generate("regional-small", 0)
    assert (len(inst.experts), len(inst.offers), len(inst.positions)) == (400, 40, 200)
    suppliers = {e.id: _family(e.skills) for e in inst.experts} | {o.id: _family(o.skills) for o in inst.offers}
    assert all(len(f) == 1 for f in suppliers.values())
    seats = {p.id: _family(p.required_skills | p.desired_skills) for p in inst.positions}
    assert all(len(f) == 1 for f in seats.values())
    groups: dict[str, set[int]] = {}
    for p in inst.positions:
        if p.group:
            groups.setdefault(p.group, set()).update(seats[p.id])
    assert groups and all(len(f) == 1 for f in groups.values())
    st = build_structure(inst)
    pairs = list(zip(st.pair_pos, st.pair_sup))
    assert pairs
    for pos, sup in pairs:
        assert seats[inst.positions[int(pos)].id] == suppliers[st.sup.ids[int(sup)]]
    assert check(inst, greedy(inst)) == []


def test_existing_sizes_keep_their_instances():
    """The seeded small instance is the one every earlier run measured (new sizes add code paths only)."""
    inst = generate("small", 0)
    text = inst.model_dump_json()
    assert hashlib.sha256(text.encode()).hexdigest()[:16] == "b24b66397c6672f4"
