"""python -m bench [SECTION ...] [OPTIONS]: run benchmark sections (all when none is named); --help lists them.

Each section is a module with ``parser() -> argparse.ArgumentParser`` (its options) and ``main(args) -> exit code``;
add new ones to SECTIONS. Every option given must belong to at least one of the sections that run; each section
reads its own and ignores the others'.
"""

import argparse
import importlib
import sys

SECTIONS = {
    "solver": ("bench.solver_section", "CP-SAT, the greedy and HiGHS side by side on seeded instances"),
    "interactive": (
        "bench.interactive_section",
        "the planner's pace: cold solve, re-solve after one decision, alternatives for a seat",
    ),
    "import": ("bench.import_section", "a large XLSX of experts into a fresh SQLite database"),
    "api": ("bench.api_section", "API load on PostgreSQL against the bare framework, in one run"),
    "abuse": ("bench.abuse_section", "reads while large imports run"),
    "pages": ("bench.pages_section", "page speed in Chromium, cold and warm"),
}
HELP = ("-h", "--help")
EXAMPLES = """examples:
  python -m bench                                   every section, default options (make bench)
  python -m bench solver --sizes realistic,large    two instances of the solver section
  python -m bench solver interactive --sizes small  both solver sections on the small instance
  python -m bench solver --sizes huge               100,000 experts, 20,000 seats (several minutes)
  python -m bench pages --checkout /path/to/old     page speed of another checkout (a before/after run)
  python -m bench api --checkout /path/to/old       API load of another checkout (then again without: after)
  python -m bench api --experts 200000              the roster searches at 200,000 experts (seeded in bulk)
  make bench BENCH_ARGS="solver --sizes regional"
"""


def _parser(name: str) -> argparse.ArgumentParser:
    return importlib.import_module(SECTIONS[name][0]).parser()


def _shown(value: object) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def _options_text(parser: argparse.ArgumentParser) -> list[str]:
    lines = []
    for action in parser._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction):
            continue
        flag = ", ".join(action.option_strings) + (
            f" {action.metavar or action.dest.upper()}" if action.nargs != 0 else ""
        )
        default = f"(default: {_shown(action.default)})" if action.default not in (None, False) else ""
        lines.append(f"      {flag:<28} " + " ".join(t for t in (action.help, default) if t))
    return lines


def usage(names: list[str]) -> str:
    """The usage text: sections and their options, the sizes, examples."""
    from bench.generate import DEFAULT_SIZES, SIZES

    lines = [
        "usage: python -m bench [SECTION ...] [OPTIONS]",
        "",
        "Runs the named benchmark sections in turn (every section when none is named) and prints their tables",
        "and MET/MISSED lines. Exit code 1 when a plan fails the checker, a run crashes, a re-solve's objectives",
        "differ from a cold solve's, or (import, api, abuse, pages) a target is missed; 2 on a wrong argument.",
        "",
        "sections and their options:",
    ]
    for name in names:
        lines.append(f"  {name:<12} {SECTIONS[name][1]}")
        lines += _options_text(_parser(name))
    lines += ["", "sizes (--sizes a,b of the solver and interactive sections):"]
    for name, size in SIZES.items():
        default = " (default)" if name in DEFAULT_SIZES else ""
        families = f", {size.families} disjoint skill families" if size.families else ""
        lines.append(
            f"  {name:<10} {size.experts:,} experts, {size.offers:,} offers, {size.positions:,} seats, "
            f"{size.skills} skills{families}{default}"
        )
    return "\n".join(lines) + "\n\n" + EXAMPLES


def _unknown(argv: list[str], named: list[str]) -> str | None:
    """The first word that no section to run takes, as a message (None: every word is someone's)."""
    rest = [a for a in argv if a not in SECTIONS]
    leftovers = [_parser(name).parse_known_args(rest)[1] for name in named]
    for word in rest:
        if all(word in left for left in leftovers):
            if word.startswith("-"):
                return f"unknown option {word.split('=', 1)[0]} for section(s) {', '.join(named)}"
            return f"unknown section {word!r}; choose from {', '.join(SECTIONS)}"
    return None


def main(argv: list[str]) -> int:
    named = [a for a in argv if a in SECTIONS]
    if any(a in HELP for a in argv):
        print(usage(named or list(SECTIONS)))
        return 0
    problem = _unknown(argv, named or list(SECTIONS))
    if problem:
        print(f"python -m bench: {problem} (python -m bench --help lists them)", file=sys.stderr)
        return 2
    rest = [a for a in argv if a not in SECTIONS]
    code = 0
    for name in named or list(SECTIONS):
        print(f"== bench {name} ==")
        code |= importlib.import_module(SECTIONS[name][0]).main(rest)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
