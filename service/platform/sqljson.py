"""JSON written by the database, the same on PostgreSQL and SQLite: for answers sent as the database wrote them.

Building a page of 50 experts as Python objects and serialising it took most of a search's CPU (issue 22);
the database writes the same JSON in C while it reads the rows. Each construct compiles to each engine's
functions; a value reads as ``ExpertPublic`` (pydantic) writes it: dates as ISO days, times as pydantic
writes them (UTC, with a ``Z``),
booleans as ``true``/``false``, an empty list as ``[]``.
"""

from sqlalchemy import String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class _Json(FunctionElement):
    type = String()
    inherit_cache = True


class json_object(_Json):
    """``{"k1": v1, ...}`` from ``json_object("k1", v1, ...)``: keys as plain strings, values as SQL."""

    inherit_cache = True

    def __init__(self, *pairs) -> None:
        keys = pairs[0::2]
        values = pairs[1::2]
        items: list = []
        for key, value in zip(keys, values):
            items += [literal_column(f"'{key}'"), value]
        super().__init__(*items)


@compiles(json_object)
def _object_sqlite(element, compiler, **kw) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object, "postgresql")
def _object_postgresql(element, compiler, **kw) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


class json_agg(_Json):
    """The JSON values of a subquery's rows as one array, in the subquery's order (a JSON value on SQLite's
    side is text once it leaves a subquery: ``json()`` makes it JSON again)."""

    inherit_cache = True


@compiles(json_agg)
def _agg_sqlite(element, compiler, **kw) -> str:
    return f"json_group_array(json({compiler.process(element.clauses, **kw)}))"


@compiles(json_agg, "postgresql")
def _agg_postgresql(element, compiler, **kw) -> str:
    return f"json_agg({compiler.process(element.clauses, **kw)})"


class json_agg_values(_Json):
    """The plain values (strings, numbers) of a subquery's rows as one JSON array, in the subquery's order."""

    inherit_cache = True


@compiles(json_agg_values)
def _agg_values_sqlite(element, compiler, **kw) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(json_agg_values, "postgresql")
def _agg_values_postgresql(element, compiler, **kw) -> str:
    return f"json_agg({compiler.process(element.clauses, **kw)})"


class json_list(_Json):
    """A scalar subquery's JSON array, ``[]`` where it has no rows, as a value inside another JSON value."""

    inherit_cache = True


@compiles(json_list)
def _list_sqlite(element, compiler, **kw) -> str:
    return f"json(coalesce({compiler.process(element.clauses, **kw)}, '[]'))"


@compiles(json_list, "postgresql")
def _list_postgresql(element, compiler, **kw) -> str:
    return f"coalesce({compiler.process(element.clauses, **kw)}, '[]'::json)"


class json_bool(_Json):
    """A boolean column as ``true`` / ``false`` (SQLite stores 1 and 0)."""

    inherit_cache = True


@compiles(json_bool)
def _bool_sqlite(element, compiler, **kw) -> str:
    return f"json(CASE WHEN {compiler.process(element.clauses, **kw)} THEN 'true' ELSE 'false' END)"


@compiles(json_bool, "postgresql")
def _bool_postgresql(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


class json_time(_Json):
    """A time stamp in UTC (sqlmodel's ``UTCDateTime``: ``timestamptz`` on PostgreSQL, UTC without a zone on
    SQLite) as pydantic writes it: ``2026-12-07T10:09:13.123000Z``, the fraction left out when it is zero."""

    inherit_cache = True


@compiles(json_time)
def _time_sqlite(element, compiler, **kw) -> str:
    value = compiler.process(element.clauses, **kw)  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'
    whole = f"replace(substr({value}, 1, 19), ' ', 'T')"
    return f"CASE WHEN substr({value}, 21) IN ('', '000000') THEN {whole} ELSE replace({value}, ' ', 'T') END || 'Z'"


@compiles(json_time, "postgresql")
def _time_postgresql(element, compiler, **kw) -> str:
    utc = f"({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        f"|| CASE WHEN mod(date_part('microseconds', {utc})::int, 1000000) = 0 THEN '' ELSE to_char({utc}, '.US') END"
        " || 'Z'"
    )


class folded(FunctionElement):
    """Text in lower case, every letter of it: PostgreSQL's ``lower()``; on SQLite, whose ``lower()`` folds ASCII
    letters only, Python's (``unicode_lower``, made on each connection by ``service.platform.db``)."""

    type = String()
    inherit_cache = True


@compiles(folded)
def _folded_sqlite(element, compiler, **kw) -> str:
    return f"unicode_lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element, compiler, **kw) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"
