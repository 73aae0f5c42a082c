"""Importing experts: reference, ownership and key checks on every row, then bulk inserts and audited updates."""

from dataclasses import dataclass

from sqlmodel import Session

from schemas.enums import SCREENING, Role
from schemas.roster import CredentialIn, ExpertCreate, ExpertUpdate
from service.platform import audit
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid
from service.platform.tables import (
    AuditEntry,
    Credential,
    CredentialType,
    Expert,
    ExpertLanguage,
    ExpertLevel,
    ExpertSkill,
    ExpertWindow,
    utcnow,
)
from service.reference import credentials
from service.roster import repository as expert_repo
from service.spreadsheets import repository
from service.spreadsheets.cells import Row, changes, roster_error
from service.spreadsheets.report import Progress, tell


@dataclass
class References:
    """Reference codes loaded once, so that rows are checked without a query each."""

    skills: set[str]
    states: set[str]
    credential_types: dict[str, CredentialType]

    @classmethod
    def load(cls, session: Session) -> "References":
        types = {t.code: t for t in credentials.types(session)}
        return cls(repository.skill_codes(session), repository.state_codes(session), types)

    def check(self, row: Row, skills: list[str], nationality: str | None, state: str | None) -> None:
        """Unknown codes go on the row, in columns not already reported."""
        bad = {e.column for e in row.errors}
        missing = sorted(set(skills) - self.skills)
        if missing and "skills" not in bad:
            row.error(
                "skills", f"unknown skill code(s) {', '.join(missing)}: see GET /reference/skills for valid codes"
            )
        for name, code in (("nationality", nationality), ("state", state)):
            if code and code not in self.states and name not in bad:
                row.error(
                    name, f"unknown Member State code(s) {code}: use ISO3 codes from GET /reference/member-states"
                )

    def check_credentials(self, session: Session, row: Row, items: list[CredentialIn]) -> None:
        """Types known and active, and no longer than a type allows: the API's check and words, on the row."""
        try:
            credentials.check(session, "credentials", items, self.credential_types)
        except Invalid as exc:
            roster_error(row, exc, "credentials")

    def check_cells(self, row: Row) -> None:
        """The same checks on a row that failed validation, so that one pass reports every bad cell."""
        skills = [s.get("code") for s in row.payload.get("skills", []) if isinstance(s, dict)]
        self.check(row, skills, row.payload.get("nationality"), row.payload.get("state"))
        if "credentials" not in {e.column for e in row.errors}:
            codes = [c.get("code", "") for c in row.payload.get("credentials", [])]
            try:
                credentials.known_codes("credentials", codes, self.credential_types)
            except Invalid as exc:
                roster_error(row, exc, "credentials")


@dataclass
class ExpertKeys:
    """Who already holds each natural key within its owner: e-mails and (nationality, national id) by state.

    Keys are unique within the owning state only (see roster.repository._check_unique): a row is matched
    against its own state's experts, and learns nothing of another state's.
    """

    by_email: dict[tuple[str | None, str], int]
    by_national: dict[tuple[str | None, str, str], int]

    @classmethod
    def load(cls, session: Session) -> "ExpertKeys":
        rows = repository.expert_keys(session)
        return cls({(s, e): i for i, e, _, _, s in rows if e}, {(s, n, nid): i for i, _, n, nid, s in rows if nid})


def _match_expert(row: Row, data: ExpertCreate, keys: ExpertKeys, owner: str | None, claimed: dict) -> int | None:
    """The id of the owner's existing expert the row updates, or None for a new one; key clashes go on the row."""
    email = (owner, data.email) if data.email else None
    national = (owner, data.nationality, data.national_id) if data.national_id else None
    by_email = keys.by_email.get(email) if email else None
    by_national = keys.by_national.get(national) if national else None
    for key, column in ((email, "email"), (national, "national_id")):
        if key is not None and key in claimed:
            row.error(column, f"{column} also on line {claimed[key]}: list each expert once per file")
        elif key is not None:
            claimed[key] = row.line
    if by_email and by_national and by_email != by_national:
        row.error(
            "national_id",
            f"national id {data.national_id} ({data.nationality}) belongs to another expert "
            "than the e-mail: correct one of them",
        )
        return None
    return by_email or by_national


def _owner(row: Row, principal: Principal, data: ExpertCreate) -> str | None:
    try:
        return expert_repo.owner_state(principal, data.state)
    except Invalid as exc:
        roster_error(row, exc, "state")
        return None


def plan(session: Session, principal: Principal, rows: list[Row], present: set[str]) -> None:
    """Reference, ownership and key checks for every valid row; sets row.target (id or None) and row.state."""
    refs, keys = References.load(session), ExpertKeys.load(session)
    claimed: dict[object, int] = {}
    for row in rows:
        if row.errors:
            refs.check_cells(row)
            continue
        data: ExpertCreate = row.payload
        row.state = _owner(row, principal, data)
        refs.check(row, [s.code for s in data.skills], data.nationality, row.state)
        refs.check_credentials(session, row, data.credentials)
        row.target = _match_expert(row, data, keys, row.state, claimed)


UPDATABLE_EXPERT = set(ExpertUpdate.model_fields)


def write(
    session: Session, principal: Principal, rows: list[Row], present: set[str], counts: dict, progress: Progress | None
) -> None:
    good = [r for r in rows if not r.errors]
    new = [r for r in good if r.target is None]
    for start in range(0, len(new), CHUNK):
        _insert_experts(session, principal, new[start : start + CHUNK])
        tell(progress, "writing", min(start + CHUNK, len(new)), len(good))
    counts["created"] = len(new)
    updates = [(r, r.target) for r in good if r.target is not None]
    fields = (present & UPDATABLE_EXPERT) - {"state"}
    for start in range(0, len(updates), CHUNK):
        chunk = updates[start : start + CHUNK]
        stored = repository.stored_experts(session, [target for _, target in chunk])
        for row, target in chunk:
            _update_expert(session, principal, row, stored[target], fields, counts)
        tell(progress, "writing", len(new) + start + len(chunk), len(good))


CHUNK = 1000


def _insert_experts(session: Session, principal: Principal, rows: list[Row]) -> None:
    """New experts, their lists and their audit entries, inserted in bulk."""
    now = utcnow()
    ids = repository.new_expert_ids(session, len(rows))
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    children: dict[type, list[dict]] = {
        Expert: [],
        ExpertSkill: [],
        ExpertLanguage: [],
        ExpertLevel: [],
        ExpertWindow: [],
        Credential: [],
        AuditEntry: [],
    }
    for expert_id, row in zip(ids, rows):
        data: ExpertCreate = row.payload
        children[Expert].append(
            data.model_dump(exclude=expert_repo.LIST_FIELDS | expert_repo.CREDENTIAL_FIELDS | {"state"})
            | {"id": expert_id, "state": row.state}
            | stamps
        )
        children[ExpertSkill] += [
            {"expert_id": expert_id, "code": s.code, "proficiency": s.proficiency} for s in data.skills
        ]
        children[ExpertLanguage] += [{"expert_id": expert_id, "code": x.code, "level": x.level} for x in data.languages]
        children[ExpertLevel] += [{"expert_id": expert_id, "level": lv} for lv in dict.fromkeys(data.levels)]
        children[ExpertWindow] += [
            {"expert_id": expert_id, "kind": kind, "start": w.start, "end": w.end}
            for kind, windows in (("available", data.availability), ("leave", data.leave))
            for w in windows
        ]
        held = credentials.new_holder(data.credentials, data.screening_valid_until, principal)
        children[Credential] += [c.model_dump(exclude={"id"}) | {"expert_id": expert_id} for c in held]
        after = data.model_dump(mode="json") | {"id": expert_id, "state": row.state, "version": 1}
        children[AuditEntry].append(audit.row(principal, "import", "expert", expert_id, after=after, at=now))
    repository.insert_rows(session, children)


def _update_expert(
    session: Session, principal: Principal, row: Row, stored: dict, fields: set[str], counts: dict
) -> None:
    if "state" in row.cells and principal.role != Role.member_state and row.state != stored["state"]:
        row.error(
            "state",
            f"the expert is nominated by {stored['state'] or 'nobody (UN staff)'}; an import cannot "
            "change that: put that state, or leave the state column out",
        )
        return
    diff = changes(stored, _wanted(row, stored, fields), fields)
    if not diff:
        counts["unchanged"] += 1
        return
    expert = repository.expert(session, row.target)
    before = expert_repo.to_public(expert)
    try:
        with session.begin_nested():
            expert_repo.update(session, principal, expert, ExpertUpdate.model_validate(diff))
    except (Invalid, Conflict) as exc:
        roster_error(row, exc, "email")
        return
    audit.record(session, principal, "import", "expert", expert.id, before=before, after=expert_repo.to_public(expert))
    counts["updated"] += 1


def _wanted(row: Row, stored: dict, fields: set[str]) -> dict:
    """The row as the stored record would read once imported. With both columns in the file there is one
    screening: the credentials cell's HR-SCREENING if it lists one, else the screening column's date (its issue
    day kept while its expiry stays), so that a list without it does not remove the screening given beside it."""
    wanted = row.payload.model_dump(mode="json")
    if not {"credentials", "screening_valid_until"} <= fields:
        return wanted
    listed = next((c for c in wanted["credentials"] if c["code"] == SCREENING), None)
    until = wanted["screening_valid_until"]
    if listed is not None:
        wanted["screening_valid_until"] = listed["expires_on"]  # the schema made the two agree if both were given
    elif until is not None:
        held = next((c for c in stored["credentials"] if c["code"] == SCREENING and c["expires_on"] == until), None)
        screening = {"code": SCREENING, "issued_on": held["issued_on"] if held else None, "expires_on": until}
        wanted["credentials"].append(screening | {"verified_by": None, "verified_on": None})
    return wanted
