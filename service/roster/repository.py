"""Experts: persistence, filtering and the Member State scope."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from schemas.enums import Category, Level, Role, Source
from schemas.roster import (
    EXPERT_NOT_NULL,
    ExpertCreate,
    ExpertPublic,
    ExpertUpdate,
    LanguageLevel,
    SkillLevel,
    Window,
)
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid
from service.platform.queries import get_scoped
from service.platform.tables import (
    Credential,
    Expert,
    ExpertLanguage,
    ExpertLevel,
    ExpertSkill,
    ExpertWindow,
    utcnow,
)
from service.reference import credentials
from service.reference.repository import check
from service.roster import search

LIST_FIELDS = {"skills", "languages", "levels", "availability", "leave"}
# Not columns of the expert: its credentials, and the screening (the HR-SCREENING credential, seen as a field).
CREDENTIAL_FIELDS = {"credentials", "screening_valid_until"}


@dataclass
class ExpertFilter:
    skills: list[tuple[str, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    level: Level | None = None
    category: Category | None = None
    nationality: str | None = None
    state: str | None = None
    source: Source | None = None
    active: bool | None = None
    available_from: date | None = None
    available_to: date | None = None
    q: str | None = None


def _code(item) -> str:
    return item.code


def to_public(expert: Expert) -> ExpertPublic:
    """The public record; nested lists come sorted (skills and languages by code) whatever the input order."""
    windows: dict[str, list[Window]] = {"available": [], "leave": []}
    for w in sorted(expert.windows, key=lambda w: (w.start, w.end)):
        windows[w.kind].append(Window(start=w.start, end=w.end))
    held = credentials.public(expert.credentials)
    return ExpertPublic(
        **expert.model_dump(),
        skills=[SkillLevel(code=s.code, proficiency=s.proficiency) for s in sorted(expert.skills, key=_code)],
        languages=[LanguageLevel(code=x.code, level=x.level) for x in sorted(expert.languages, key=_code)],
        levels=sorted({lv.level for lv in expert.levels}, key=list(Level).index),
        availability=windows["available"],
        leave=windows["leave"],
        credentials=held,
        screening_valid_until=credentials.screening_of(held),
    )


def scope(statement, principal: Principal):
    """Member States see only the experts they nominated."""
    if principal.role == Role.member_state:
        return statement.where(Expert.state == principal.state)
    return statement


def get_visible(session: Session, principal: Principal, expert_id: int) -> Expert:
    """The expert, or 404 alike for a missing id and another state's expert."""
    return get_scoped(session, Expert, expert_id, principal, scope, "expert")


def count_experts(session: Session, principal: Principal, f: ExpertFilter) -> int:
    """How many visible experts match the filter: an exact count."""
    shape, params = search.shape_of(principal, f)
    return session.execute(search.count_statement(shape), params).scalar_one()


def page_experts(
    session: Session, principal: Principal, f: ExpertFilter, limit: int, offset: int, after: int | None = None
) -> list[ExpertPublic]:
    """One page of visible experts matching the filter, by id, as ``principal`` may see them: one query."""
    return [ExpertPublic.model_validate(r) for r in page_records(session, principal, f, limit, offset, after)]


def page_records(
    session: Session, principal: Principal, f: ExpertFilter, limit: int, offset: int, after: int | None = None
) -> list[dict]:
    """The same page as plain records (``search.record``): no model built per expert."""
    shape, params = search.shape_of(principal, f)
    statement = search.page_statement(shape, search.hidden_for(principal))
    rows = session.execute(statement, search.page_params(params, after=after, limit=limit, offset=offset))
    return [search.record(text) for _, text in rows]


def _check_references(session: Session, data: ExpertCreate | ExpertUpdate, *also: tuple) -> None:
    """The skills, nationality and ``also`` (field, kind, codes) exist: one query for all."""
    check(
        session,
        ("skills", "skill", [s.code for s in data.skills or []]),
        ("nationality", "state", [data.nationality]),
        *also,
    )


def _check_unique(session: Session, expert: Expert) -> None:
    """E-mail and national id are unique within the owning state only: a clash is always with a record the
    caller may see, and no state can block or discover another's people (HQ sees those in duplicates())."""
    clash = select(Expert.id).where(Expert.state.is_(None) if expert.state is None else Expert.state == expert.state)
    if expert.id:
        clash = clash.where(Expert.id != expert.id)
    if expert.email and session.exec(clash.where(Expert.email == expert.email)).first():
        raise Conflict(f"an expert with e-mail {expert.email} already exists: update that record instead")
    if (
        expert.national_id
        and session.exec(
            clash.where(Expert.nationality == expert.nationality, Expert.national_id == expert.national_id)
        ).first()
    ):
        raise Conflict(
            f"an expert of nationality {expert.nationality} with national id {expert.national_id} already exists"
        )


def duplicates(session: Session) -> list[tuple[str, list[Expert]]]:
    """Experts of different owners who share an e-mail or a national id, grouped: (what they share, who)."""
    groups: list[tuple[str, list[Expert]]] = []
    for reason, columns in (("e-mail", (Expert.email,)), ("national id", (Expert.nationality, Expert.national_id))):
        shared = (
            select(*columns)
            .where(*(c.is_not(None) for c in columns))
            .group_by(*columns)
            .having(func.count(func.distinct(func.coalesce(Expert.state, ""))) > 1)
        )
        for key in session.exec(shared).all():
            values = tuple(key) if len(columns) > 1 else (key,)
            same = [c == v for c, v in zip(columns, values)]
            groups.append((reason, list(session.exec(select(Expert).where(*same).order_by(Expert.id)).all())))
    return groups


def _set_lists(expert: Expert, data: dict) -> None:
    if "skills" in data:
        expert.skills = [ExpertSkill(code=s["code"], proficiency=s["proficiency"]) for s in data["skills"]]  # type: ignore[call-arg]  # expert_id: set by the relationship
    if "languages" in data:
        expert.languages = [ExpertLanguage(code=lang["code"], level=lang["level"]) for lang in data["languages"]]  # type: ignore[call-arg]  # expert_id: set by the relationship
    if "levels" in data:
        expert.levels = [ExpertLevel(level=lv) for lv in dict.fromkeys(data["levels"])]  # type: ignore[call-arg]  # expert_id: set by the relationship
    if "availability" in data or "leave" in data:
        kinds = {"available": data.get("availability"), "leave": data.get("leave")}
        kept = [w for w in expert.windows if kinds[w.kind] is None]
        new = [ExpertWindow(kind=k, start=w["start"], end=w["end"]) for k, ws in kinds.items() for w in ws or []]  # type: ignore[call-arg]  # expert_id: set by the relationship
        expert.windows = kept + new


def owner_state(principal: Principal, requested: str | None) -> str | None:
    """Member States always act for themselves; HQ may name a state or none (UN staff)."""
    if principal.role == Role.member_state:
        if requested not in (None, principal.state):
            raise Invalid("state", f"a {principal.state} token can only nominate experts for {principal.state}")
        return principal.state
    return requested


def build(data: ExpertCreate, state: str | None, principal: Principal) -> Expert:
    """A new expert row with its skills, languages, levels, windows and credentials (not yet checked or added)."""
    expert = Expert(**data.model_dump(exclude=LIST_FIELDS | CREDENTIAL_FIELDS | {"state"}), state=state)
    _set_lists(expert, data.model_dump(include=LIST_FIELDS))
    expert.credentials = credentials.new_holder(data.credentials, data.screening_valid_until, principal)
    return expert


def _set_credentials(principal: Principal, expert: Expert, changes: dict, data: ExpertUpdate) -> None:
    """The whole list when given; the screening field sets or (null) removes the HR-SCREENING credential."""
    screening = data.screening_valid_until
    if data.credentials is not None and "screening_valid_until" in changes:
        items = credentials.listing_screening(data.credentials, screening, expert.credentials)
        expert.credentials = credentials.replace(expert.credentials, items, principal)
    elif data.credentials is not None:
        expert.credentials = credentials.replace(expert.credentials, data.credentials, principal)
    elif "screening_valid_until" in changes:
        expert.credentials = credentials.with_screening(expert.credentials, screening, principal)


def create(session: Session, principal: Principal, data: ExpertCreate) -> Expert:
    state = owner_state(principal, data.state)
    _check_references(session, data, ("state", "state", [state]))
    credentials.check(session, "credentials", data.credentials)
    expert = build(data, state, principal)
    _check_unique(session, expert)
    session.add(expert)
    session.flush()
    return expert


def update(session: Session, principal: Principal, expert: Expert, data: ExpertUpdate) -> Expert:
    _check_references(session, data)
    credentials.check(session, "credentials", data.credentials or [])
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name in EXPERT_NOT_NULL:
            raise Invalid(name, f"{name} cannot be null: leave it out to keep the current value")
    expert.sqlmodel_update({k: v for k, v in changes.items() if k not in LIST_FIELDS | CREDENTIAL_FIELDS})
    _set_lists(expert, {k: v for k, v in changes.items() if k in LIST_FIELDS and v is not None})
    _set_credentials(principal, expert, changes, data)
    _check_unique(session, expert)
    expert.version += 1
    expert.updated_at = utcnow()
    session.add(expert)
    session.flush()
    return expert


def deactivate(session: Session, expert: Expert) -> None:
    """Off the roster: never planned again; the row stays for its deployments, plans and audit trail."""
    expert.active = False
    expert.version += 1
    expert.updated_at = utcnow()
    session.add(expert)
    session.flush()


def lapsing_credentials(session: Session, principal: Principal, until: date) -> list[tuple[int, str, str, date]]:
    """(expert id, name, credential code, expiry) of the visible active experts' credentials that expire by
    ``until``: one query, where reading every expert's whole record took the offers page 55 ms for 382 experts."""
    statement = (
        select(Expert.id, Expert.full_name, Credential.code, Credential.expires_on)
        .join(Credential, Credential.expert_id == Expert.id)
        .where(Expert.active.is_(True), Credential.expires_on <= until)
        .order_by(Credential.expires_on, Expert.full_name)
    )
    return [tuple(row) for row in session.exec(scope(statement, principal)).all()]
