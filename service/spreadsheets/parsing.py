"""Everything an import does without the database, in a child process with a memory and a time limit.

Reading the file, the header check, cells into rows and each row through the API's model run in a child; only
the rows come back. A file that makes the reader allocate without end (issue 17: 1.5 KB asked for 549 GB) or
loop then kills a child, not the API process: the child's address space is capped (``RLIMIT_AS``) and it is
killed when its time is up, and the caller gets a file error that says what to do.

Children come from a forkserver: a small process started once (0.75 s, at the server's start), single-threaded,
that has imported this module (pydantic, the models, calamine) and forks a child per import: a one-row file takes
17-28 ms in a child against under 1 ms in the calling process (median of 30, on the shared 2-core machine).
Not a plain fork of the API process: that process runs threads (the server's pool, the plan worker, webhooks)
and a fork copies their held locks, which can deadlock the child, and would copy the whole server's memory under
the cap. Not spawn: a fresh interpreter imports everything again, about a second per import. Not a pool of
long-lived workers: a child that hit its memory cap must be thrown away; a fresh child per import leaves nothing.
"""

import functools
import multiprocessing
import os
import resource
import signal
import time
import types
import typing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from pydantic import BaseModel

from schemas.roster import ExpertCreate, OfferCreate
from service.spreadsheets.cells import Row, to_rows, validate
from service.spreadsheets.columns import Kind
from service.spreadsheets.reading import Limits, check_header, read_rows
from service.spreadsheets.report import FileError, RowError, file_error

MODELS: dict[str, type[BaseModel]] = {"experts": ExpertCreate, "offers": OfferCreate}
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["__main__", __name__, "python_calamine"])  # __main__ once, not per child
NICENESS = 5  # the child yields the CPU to the API's reads on a busy machine
CHUNK_ROWS = 100  # rows a message from the child (see _receive)


def start_readers() -> None:
    """Start the forkserver now (about a second), so that the first import does not wait for it."""
    from multiprocessing import forkserver

    forkserver.ensure_running()


@dataclass
class Parsed:
    """The file's rows, each validated with the API's model (payload) or carrying its errors."""

    header_line: int
    names: list[str | None]
    rows: list[Row]


def parse(content: bytes, kind: Kind, limits: Limits | None = None) -> Parsed:
    """Read, check the header, type the cells and validate each row; a file that cannot be read raises FileError."""
    header, header_line, data = read_rows(content, kind, limits)
    names = check_header(header, kind, header_line)
    rows = to_rows(names, data, kind)
    validate(rows, MODELS[kind], kind)
    return Parsed(header_line, names, rows)


@dataclass(frozen=True)
class Budget:
    """What one child may use: its address space in bytes and its time in seconds."""

    memory_bytes: int
    seconds: float


TOO_BIG = (
    "reading this file needed more than {mb:,} MB of memory: split it into smaller files, "
    "or send CSV (which takes less to read than XLSX)"
)
TOO_SLOW = "reading this file took more than {seconds:g} s: split it into smaller files, or send CSV"
DIED = "reading this file stopped the reader: save it again from Excel as .xlsx, or send CSV"


def parse_in_child(content: bytes, kind: Kind, budget: Budget) -> Parsed:
    """``parse`` in a forkserver child within the budget; its death, memory or time out become a FileError."""
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(
        target=_child, args=(sender, content, kind, Limits.current(), budget.memory_bytes), daemon=True
    )
    child.start()
    sender.close()  # the child holds the only sending end: its death reads as end of file
    try:
        outcome, value = _receive(receiver, kind, time.monotonic() + budget.seconds)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "died" and child.exitcode == -signal.SIGABRT:
        outcome = "memory"  # native code (calamine) aborts when an allocation fails under the cap
    if outcome == "parsed":
        return value
    if outcome == "errors":
        raise FileError(value)
    message = {"memory": TOO_BIG, "time": TOO_SLOW, "died": DIED}[outcome]
    raise file_error(message.format(mb=budget.memory_bytes >> 20, seconds=budget.seconds))


def _receive(receiver: Connection, kind: Kind, deadline: float) -> tuple[str, Any]:
    """The child's rows, a chunk a message, then its last word; ("time", None) or ("died", None) if none came.

    Unpickling is one call that holds the interpreter lock throughout: 20,000 rows in one message stalled every
    request of the process for most of a second, a chunk of CHUNK_ROWS takes a few milliseconds.
    """
    rows: list = []
    while True:
        left = deadline - time.monotonic()
        try:
            if left <= 0 or not receiver.poll(left):
                return "time", None
            word, value = receiver.recv()
        except EOFError:
            return "died", None
        if word == "rows":
            rows += value
        elif word == "parsed":
            header_line, names = value
            return word, Parsed(header_line, names, [_unpacked_row(MODELS[kind], *row) for row in rows])
        else:
            return word, value


def _child(sender: Connection, content: bytes, kind: Kind, limits: Limits, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    os.nice(NICENESS)
    try:
        parsed = parse(content, kind, limits)
        rows = [_packed_row(row) for row in parsed.rows]
    except FileError as exc:
        sender.send(("errors", exc.errors))
        return
    except MemoryError:
        sender.send(("memory", None))
        return
    for start in range(0, len(rows), CHUNK_ROWS):
        sender.send(("rows", rows[start : start + CHUNK_ROWS]))
    sender.send(("parsed", (parsed.header_line, parsed.names)))
    sender.close()


# --- The rows between the processes -----------------------------------------------------------
# Pickled as models, 20,000 rows took 3.2 s to send and 5.4 s to receive (every nested model through
# __reduce__), and validating them again in the API process 3 s: they travel as plain dicts and tuples
# (0.4 s and 0.2 s), and the models, valid already, are put together again without a second validation.


def _packed_row(row: Row) -> tuple:
    errors = [(e.line, e.column, e.value, e.message) for e in row.errors]
    if row.errors:
        return row.line, row.cells, None, row.payload, errors
    return row.line, row.cells, sorted(row.payload.model_fields_set), row.payload.model_dump(), errors


def _unpacked_row(
    model: type[BaseModel], line: int, cells: dict, given: list | None, payload: Any, errors: list
) -> Row:
    if given is not None:
        payload = rebuilt(model, payload, set(given))
    problems = [RowError.model_construct(line=e[0], column=e[1], value=e[2], message=e[3]) for e in errors]
    return Row(line, cells, payload, problems)


def rebuilt(model: type[BaseModel], values: dict, given: set[str] | None = None) -> BaseModel:
    """A model from the dump of one that was validated, nested models included, without validating again."""
    for name, value in values.items():
        inner = _field_model(model, name)
        if inner is not None and isinstance(value, list):
            values[name] = [rebuilt(inner, v) if isinstance(v, dict) else v for v in value]
        elif inner is not None and isinstance(value, dict):
            values[name] = rebuilt(inner, value)
    # what model_construct does, less its search for defaults (a dump has every field): 3 times faster
    made = model.__new__(model)
    object.__setattr__(made, "__dict__", values)
    object.__setattr__(made, "__pydantic_fields_set__", set(values) if given is None else given)
    object.__setattr__(made, "__pydantic_extra__", None)
    object.__setattr__(made, "__pydantic_private__", None)
    return made


@functools.cache
def _field_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    field = model.model_fields.get(name)
    return None if field is None else _model_in(field.annotation)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, alone, in a list or optional (``list[SkillLevel]``, ``Window | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
        return next((m for a in typing.get_args(annotation) if (m := _model_in(a)) is not None), None)
    return None
