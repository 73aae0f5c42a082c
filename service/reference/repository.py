"""Reference data (skills, Member States, missions): its queries, and checks that a payload names codes that exist."""

from collections.abc import Iterable, Sequence
from functools import cache

from sqlalchemy import Integer, any_, bindparam, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session
from sqlmodel import select as select_model

from service.platform.errors import Invalid
from service.platform.tables import CredentialType, MemberState, Mission, Skill

# kind: (the codes' column, what to say about unknown ones)
KINDS = {
    "skill": (Skill.__table__.c.code, "unknown skill code(s) {}: see GET /reference/skills for valid codes"),
    "state": (
        MemberState.__table__.c.iso3,
        "unknown Member State code(s) {}: use ISO3 codes from GET /reference/member-states",
    ),
    "mission": (Mission.__table__.c.code, "unknown mission code(s) {}: see GET /reference/missions"),
}


@cache
def _look_up(kinds: tuple[str, ...]):
    """(i, code) for each code found of the i-th kind: built once per sequence of kinds asked."""
    parts = [
        select(literal(i), KINDS[kind][0]).where(KINDS[kind][0].in_(bindparam(f"codes_{i}", expanding=True)))
        for i, kind in enumerate(kinds)
    ]
    return union_all(*parts) if len(parts) > 1 else parts[0]


def asked_for(wanted: Iterable[tuple[str, str, Iterable[str | None]]]) -> list[tuple[str, str, set[str]]]:
    """(field, kind, codes) for each field that names any code, the codes without repeats or blanks."""
    return [(field, kind, codes) for field, kind, given in wanted if (codes := {c for c in given if c})]


@cache
def all_exist(kinds: tuple[str, ...]):
    """A PostgreSQL condition: every code of ``codes_{i}`` (an array) exists as reference data of the i-th
    kind, ``wanted_{i}`` being how many there are; with ``all_exist_params`` for a write made in one
    statement (which field names an unknown code, ``check`` says)."""

    def found(i: int, column) -> object:
        codes = bindparam(f"codes_{i}", type_=ARRAY(column.type))
        return select(func.count()).where(column == any_(codes)).scalar_subquery()

    return tuple(found(i, KINDS[kind][0]) == bindparam(f"wanted_{i}", type_=Integer) for i, kind in enumerate(kinds))


def all_exist_params(asked: list[tuple[str, str, set[str]]]) -> dict[str, object]:
    params: dict[str, object] = {}
    for i, (_, _, codes) in enumerate(asked):
        params[f"codes_{i}"], params[f"wanted_{i}"] = sorted(codes), len(codes)
    return params


def check(session: Session, *wanted: tuple[str, str, Iterable[str | None]]) -> None:
    """Each (field, kind, codes) names reference data that exists, all looked up in one query;
    else Invalid for the first field, in the order given, that names a code that does not."""
    asked = asked_for(wanted)
    if not asked:
        return
    statement = _look_up(tuple(kind for _, kind, _ in asked))
    found: dict[int, set[str]] = {}
    # A code with a NUL character names nothing (PostgreSQL's text cannot even hold one to compare): unknown.
    looked_up = {f"codes_{i}": [c for c in codes if "\x00" not in c] for i, (_, _, codes) in enumerate(asked)}
    for i, code in session.connection().execute(statement, looked_up):
        found.setdefault(i, set()).add(code)
    for i, (field, kind, codes) in enumerate(asked):
        if missing := sorted(codes - found.get(i, set())):
            raise Invalid(field, KINDS[kind][1].format(", ".join(missing)))


def check_skills(session: Session, field: str, codes: Iterable[str]) -> None:
    check(session, (field, "skill", codes))


def check_states(session: Session, field: str, codes: Iterable[str | None]) -> None:
    check(session, (field, "state", codes))


def check_missions(session: Session, field: str, codes: Iterable[str]) -> None:
    check(session, (field, "mission", codes))


def skills(session: Session) -> Sequence[Skill]:
    return session.exec(select_model(Skill).order_by(Skill.code)).all()


def member_states(session: Session) -> Sequence[MemberState]:
    return session.exec(select_model(MemberState).order_by(MemberState.name)).all()


def missions(session: Session, active: bool | None = None) -> Sequence[Mission]:
    statement = select_model(Mission).order_by(Mission.code)
    if active is not None:
        statement = statement.where(Mission.active == active)
    return session.exec(statement).all()


def get_skill(session: Session, code: str) -> Skill | None:
    return session.get(Skill, code)


def get_mission(session: Session, code: str) -> Mission | None:
    return session.get(Mission, code)


def add(session: Session, row: Skill | Mission | CredentialType) -> None:
    session.add(row)
