"""PostgreSQL's plans for each shape of roster search: ``python -m bench.roster_plans --database URL``.

Prints, as Markdown, ``EXPLAIN (ANALYZE, BUFFERS)`` of the statements the service sends (``service.roster.search``,
their values bound) for one query of each shape, on a seeded database (for example one the API bench kept with
``--database``). docs/roster-search.md holds its output.
"""

import argparse
import sys
from datetime import date

import psycopg
from sqlalchemy import make_url

from schemas.enums import Category, Level, Role
from service.platform.auth import Principal
from service.platform.readpool import _sql
from service.roster import search
from service.roster.repository import ExpertFilter

PLANNER = Principal(token_id=0, name="plans", role=Role.planner)
NORWAY = Principal(token_id=0, name="plans", role=Role.member_state, state="NOR")
# (title, who asks, filter, after, offset)
SHAPES = [
    ("one skill with a minimum, first page", PLANNER, ExpertFilter(skills=[("RECRUITMENT", 3)]), None, 0),
    (
        "skill, language and a period (the kept-answer query of the bench)",
        PLANNER,
        ExpertFilter(
            skills=[("RECRUITMENT", 3)],
            languages=[("en", 3)],
            available_from=date(2027, 3, 1),
            available_to=date(2027, 9, 30),
        ),
        None,
        0,
    ),
    (
        "two skills, the next page by keyset",
        PLANNER,
        ExpertFilter(skills=[("DDR-DESIGN", 2), ("SSR-STRATEGY", 2)]),
        5000,
        0,
    ),
    (
        "level of engagement and category",
        PLANNER,
        ExpertFilter(level=Level.strategic, category=Category.police),
        None,
        0,
    ),
    ("a Member State's own experts, by nationality", NORWAY, ExpertFilter(nationality="NOR"), None, 0),
    ("part of a name, a common one", PLANNER, ExpertFilter(q="son"), None, 0),
    ("part of a name, a rare one (the trigram index)", PLANNER, ExpertFilter(q="bekov"), None, 0),
    ("a deep page by keyset", PLANNER, ExpertFilter(languages=[("fr", 3)]), 15000, 0),
    ("the same depth by offset (why keyset)", PLANNER, ExpertFilter(languages=[("fr", 3)]), None, 2000),
]


def _explain(connection: psycopg.Connection, sql: str, params: dict) -> str:
    rows = connection.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
    return "\n".join(row[0] for row in rows)


def plans(url: str) -> str:
    """Every shape's page plan, and its count's: estimate (``EXPLAIN``) and, for reference, the exact count."""
    out = []
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        for title, who, f, after, offset in SHAPES:
            shape, params = search.shape_of(who, f)
            sql, literals = _sql(search.page_statement(shape, search.hidden_in_lists(who)))
            values = literals | search.page_params(params, after=after, limit=50, offset=offset)
            count_sql, count_literals = _sql(search.count_statement(shape))
            estimate = connection.execute("EXPLAIN (FORMAT JSON) " + count_sql, count_literals | params).fetchone()
            exact = connection.execute(count_sql, count_literals | params).fetchone()
            top = estimate[0][0]["Plan"] if estimate and exact else {}
            shown = {k: v for k, v in values.items() if k in params or k in ("after", "offset")}
            out += [
                f"### {title}",
                "",
                f"Values: `{shown}`. Count: the planner's estimate {top.get('Plans', [top])[0].get('Plan Rows')} at "
                f"cost {top.get('Total Cost')}, exactly {exact[0] if exact else '?'}.",
                "",
                "```",
                _explain(connection, sql, values),
                "```",
                "",
            ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roster_plans", description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a seeded PostgreSQL database URL (kept)")
    options = parser.parse_args(argv)
    print(plans(options.database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
