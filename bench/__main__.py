"""python -m bench [SECTION ...] [--sizes small,tight]: run benchmark sections (all when none is named).

Each section is a module with ``main(args) -> exit code``; add new ones to SECTIONS.
"""

import importlib
import sys

SECTIONS = {
    "solver": "bench.solver_section",
    "import": "bench.import_section",
    "api": "bench.api_section",
    "abuse": "bench.abuse_section",
    "pages": "bench.pages_section",
}


def main(argv: list[str]) -> int:
    named = [a for a in argv if a in SECTIONS]
    rest = [a for a in argv if a not in SECTIONS]
    code = 0
    for name in named or list(SECTIONS):
        print(f"== bench {name} ==")
        code |= importlib.import_module(SECTIONS[name]).main(rest)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
