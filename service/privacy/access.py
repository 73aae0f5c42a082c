"""Subject access (issue 23): everything the roster holds about one person, as JSON or as an XLSX workbook.

The record is shown as the field matrix lets the asker see it (``personal.redact_expert``): the owning Member State
and an admin export it whole, national id included, for the person; HQ exports it without the national id, which
it never sees. Each export is recorded in the audit trail, with no personal data in the entry.
The audit section says who changed (or was shown, or exported) the record and which fields, never the values: the
trail guards the data and must not become a second copy of it.
"""

from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel
from sqlmodel import Session

from schemas.enums import Role
from schemas.ids import SupplierId
from schemas.roster import CredentialPublic, ExpertPublic, LanguageLevel, SkillLevel
from service.platform import audit
from service.platform.auth import Principal
from service.platform.errors import Forbidden
from service.platform.personal import AUDITED, EXPORT, IDENTIFYING, VIEW, redact_expert
from service.platform.tables import AuditEntry, Expert, utcnow
from service.privacy import repository as repo
from service.privacy.schemas import (
    ErasurePublic,
    SubjectAccess,
    SubjectAssignment,
    SubjectAuditEntry,
    SubjectDeployment,
    SubjectFormat,
    SubjectNomination,
    SubjectStageResult,
)
from service.roster import repository as roster
from service.spreadsheets.writing import Table, render

EXPORT_SUBJECT = "export_subject"
ASKERS = (Role.admin, Role.hq, Role.member_state)
# What every change of a record touches: not a field the person gave, so not named among the changed ones.
BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at"})
# Entries that record fields shown rather than changed: their ``after`` names them.
SHOWN = frozenset({VIEW, EXPORT, EXPORT_SUBJECT})
# The record's lists, each a sheet of its own in the workbook.
RECORD_LISTS = ("credentials", "skills", "languages", "levels", "availability", "leave")
M = TypeVar("M", bound=BaseModel)


def subject_access(
    session: Session, *, principal: Principal, expert_id: int, format: SubjectFormat = "json"
) -> SubjectAccess:
    """Everything held about one expert (admin, HQ, the owning Member State); the export is audited."""
    if principal.role not in ASKERS:
        raise Forbidden("admin, HQ and the expert's own Member State export a person's data; a planner does not")
    expert = roster.get_visible(session, principal, expert_id)
    answer = gather(session, expert)
    answer.record = redact_expert(answer.record, principal)
    shown = sorted(name for name in AUDITED if getattr(answer.record, name) is not None)
    audit.record(session, principal, EXPORT_SUBJECT, "expert", expert_id, after={"format": format, "fields": shown})
    session.commit()
    return answer


def subject_access_file(session: Session, *, principal: Principal, expert_id: int) -> tuple[bytes, str]:
    """The same as an XLSX workbook, a sheet per section, and its file name."""
    answer = subject_access(session, principal=principal, expert_id=expert_id, format="xlsx")
    return render(sheets(answer), "xlsx"), f"subject-access-{SupplierId(expert=expert_id)}.xlsx"


def gather(session: Session, expert: Expert) -> SubjectAccess:
    """Every row naming the expert, oldest first, in the answer's sections."""
    expert_id = expert.id
    assert expert_id is not None
    return SubjectAccess(
        expert_id=expert_id,
        exported_at=utcnow(),
        record=roster.to_public(expert),
        deployments=_rows(SubjectDeployment, repo.deployments_of(session, expert_id)),
        nominations=_rows(SubjectNomination, repo.nominations_of(session, expert_id)),
        stage_results=_rows(SubjectStageResult, repo.stage_results_of(session, expert_id)),
        assignments=[
            SubjectAssignment.model_validate(a.model_dump() | {"plan_status": p.status})
            for a, p in repo.assignments_of(session, expert_id)
        ],
        erasures=[repo.to_public(e) for e in repo.erasures_of(session, expert_id)],
        audit=[_audit_entry(e) for e in repo.audit_of(session, expert_id)],
    )


def _rows(model: type[M], rows: Sequence[object]) -> list[M]:
    return [model.model_validate(row, from_attributes=True) for row in rows]


def _audit_entry(entry: AuditEntry) -> SubjectAuditEntry:
    assert entry.id is not None
    return SubjectAuditEntry(
        id=entry.id,
        at=entry.at,
        actor_name=entry.actor_name,
        actor_role=entry.actor_role,
        actor_state=entry.actor_state,
        action=entry.action,
        fields=changed_fields(entry.action, entry.before, entry.after),
    )


def changed_fields(action: str, before: dict | None, after: dict | None) -> list[str]:
    """The names of the fields an audit entry changed (a creation: every field it set; a view: those shown)."""
    if action == "erase":  # its entry names the erasure, not the fields: these are what an erasure changes
        return sorted({*IDENTIFYING, "active"})
    if action in SHOWN:
        return [str(name) for name in (after or {}).get("fields", [])]
    before, after = before or {}, after or {}
    return sorted(name for name in (before.keys() | after.keys()) - BOOKKEEPING if before.get(name) != after.get(name))


# --- The workbook ----------------------------------------------------------------------------------------------------


def sheets(answer: SubjectAccess) -> list[Table]:
    """One sheet per section, a header row each: the record's scalar fields, its lists, then the rows naming it."""
    record = answer.record
    scalars = [name for name in ExpertPublic.model_fields if name not in RECORD_LISTS]
    return [
        Table("record", scalars, [[getattr(record, name) for name in scalars]]),
        _table("credentials", CredentialPublic, record.credentials),
        _table("skills", SkillLevel, record.skills),
        _table("languages", LanguageLevel, record.languages),
        Table("levels", ["level"], [[level] for level in record.levels]),
        Table("windows", ["kind", "start", "end"], _windows(record)),
        _table("deployments", SubjectDeployment, answer.deployments),
        _table("nominations", SubjectNomination, answer.nominations),
        _table("stage_results", SubjectStageResult, answer.stage_results),
        _table("assignments", SubjectAssignment, answer.assignments),
        _table("erasures", ErasurePublic, answer.erasures),
        _table("audit", SubjectAuditEntry, answer.audit),
    ]


def _windows(record: ExpertPublic) -> list[list[object]]:
    """Availability and leave in one sheet, told apart by their kind."""
    kinds = (("available", record.availability), ("leave", record.leave))
    return [[kind, w.start, w.end] for kind, windows in kinds for w in windows]


def _table(name: str, model: type[BaseModel], rows: Sequence[BaseModel]) -> Table:
    """A section as a sheet: its model's fields as the header (even when it has no rows)."""
    columns = list(model.model_fields)
    return Table(name, columns, [[getattr(row, column) for column in columns] for row in rows])
