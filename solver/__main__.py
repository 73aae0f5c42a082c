"""python -m solver INSTANCE.json [--time-limit S] [--workers N] [--seed N] | --schema"""

import argparse
import json
import sys
from pathlib import Path

from schemas.instance import Instance
from schemas.plan import Plan


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m solver", description="Propose a plan for an instance.")
    ap.add_argument("instance", nargs="?", help="instance JSON file ('-' for stdin)")
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--schema", action="store_true", help="print the JSON Schema of both formats")
    args = ap.parse_args(argv)
    if args.schema:
        schema = {"instance": Instance.model_json_schema(), "plan": Plan.model_json_schema()}
        print(json.dumps(schema, indent=2))
        return 0
    if not args.instance:
        ap.error("an instance file is required")
    text = sys.stdin.read() if args.instance == "-" else Path(args.instance).read_text()
    from solver import solve

    plan = solve(Instance.model_validate_json(text), time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    print(plan.model_dump_json(indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
