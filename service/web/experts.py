"""Pages: a Member State adds, edits and deactivates its own experts (HQ: any, and UN staff), through the same
service functions as POST, PATCH and DELETE /experts; every error beside its field or row."""

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from schemas.enums import GRADE_RANK, Category, Gender, Role, Source
from schemas.roster import EXPERT_NOT_NULL, ExpertCreate, ExpertPublic, ExpertUpdate
from service.platform.deps import SessionDep
from service.platform.errors import RosterError
from service.platform.unit import Unit
from service.roster import repository as repo
from service.roster import service as roster_service
from service.web import fields, forms, render
from service.web.session import ContributorViewer, PostedForm, Viewer

router = APIRouter(prefix="/ui/experts")
SCALARS = (
    "full_name",
    "email",
    "national_id",
    "category",
    "nationality",
    "gender",
    "grade",
    "source",
    "notice_days",
)
LISTS = ("skills", "languages", "availability", "leave", "credentials")
FIELDS = (*SCALARS, *LISTS, "levels", "state", "active")
SELECTS = ("category", "nationality", "gender", "grade", "source", "state")


def _posted(form: FormData) -> tuple[dict, dict[str, list[fields.Row]]]:
    """The expert's values as posted (blank scalars left out) and its rows."""
    values: dict[str, object] = {name: fields.text(form, name) for name in (*SCALARS, "state")}
    values = {k: v for k, v in values.items() if v}
    values["levels"] = [str(v) for v in form.getlist("levels")]
    if fields.text(form, "active"):
        values["active"] = "true"
    posted = {name: fields.rows(form, name) for name in LISTS}
    return values | {name: fields.filled(found) for name, found in posted.items()}, posted


@router.get("/new")
def new_expert(request: Request, session: SessionDep, viewer: ContributorViewer):
    """The empty expert form."""
    values = {"notice_days": "30", "source": Source.secondee.value, "levels": []}
    return _form(request, session, viewer, None, values, {name: fields.blanks(name, 0) for name in LISTS}, {})


@router.post("/new")
def create_expert(request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm):
    """Add an expert, checked exactly as POST /experts (a Member State's own)."""
    values, posted = _posted(form)
    try:
        body = fields.validate(ExpertCreate, values)
        created = roster_service.create_expert(Unit.of(session, viewer.principal), body=body)
    except (ValidationError, RosterError) as exc:
        session.rollback()
        return _refused(request, session, viewer, None, values, posted, exc)
    return render.redirect(f"/ui/experts/{created.id}/edit", f"{created.full_name} added as expert {created.id}.")


@router.get("/{expert_id}/edit")
def edit_expert(request: Request, session: SessionDep, viewer: ContributorViewer, expert_id: int):
    """The expert form, filled in (a Member State's own experts only)."""
    expert = repo.to_public(repo.get_visible(session, viewer.principal, expert_id))
    values = _values_of(expert)
    return _form(request, session, viewer, expert, values, {n: fields.shown(values[n], n) for n in LISTS}, {})


@router.post("/{expert_id}/edit")
def update_expert(request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm, expert_id: int):
    """Save what changed, checked exactly as PATCH /experts/{id} (a stale form: nothing changes)."""
    before = repo.to_public(repo.get_visible(session, viewer.principal, expert_id))
    values, posted = _posted(form)
    try:
        body = fields.validate(ExpertUpdate, _changes(before, values))
        roster_service.update_expert(
            Unit.of(session, viewer.principal), expert_id=expert_id, body=body, if_match=forms.if_match(form)
        )
    except (ValidationError, RosterError) as exc:
        session.rollback()
        return _refused(request, session, viewer, before, values, posted, exc)
    return render.redirect(f"/ui/experts/{expert_id}/edit", f"{before.full_name}: saved.")


def _refused(request, session, viewer, expert, values, posted, exc: Exception):
    errors = fields.errors(exc, fields.sent_indexes(posted), FIELDS, SELECTS)
    rows = {name: fields.redrawn(found, name) for name, found in posted.items()}
    return _form(request, session, viewer, expert, values, rows, errors, 422)


def _values_of(expert: ExpertPublic) -> dict:
    """A stored expert in the shape the form posts."""
    data = expert.model_dump(mode="json")
    values = {k: str(data[k]) for k in SCALARS if data.get(k) is not None}
    return values | {"levels": data["levels"]} | {k: data[k] for k in LISTS}


def _changes(before: ExpertPublic, values: dict) -> dict:
    """What the form changes: scalars that differ (one blanked: null where the API takes it, else refused as
    required), levels and rows that differ, and "active again" for an inactive expert."""
    current = _values_of(before)
    changes: dict[str, object] = {}
    for name in SCALARS:
        posted = values.get(name, "")
        if posted != current.get(name, ""):
            changes[name] = posted if posted else ("" if name in EXPERT_NOT_NULL else None)
    if sorted(values["levels"]) != sorted(current["levels"]):
        changes["levels"] = values["levels"]
    for name in LISTS:
        if fields.validate(ExpertUpdate, {name: values[name]}).model_dump(mode="json")[name] != current[name]:
            changes[name] = values[name]
    if "active" in values and not before.active:
        changes["active"] = True
    return changes


@router.get("/{expert_id}/deactivate")
def confirm_deactivation(request: Request, session: SessionDep, viewer: ContributorViewer, expert_id: int):
    """Ask before deactivating: an inactive expert is never planned again; live deployments become at risk."""
    expert = repo.to_public(repo.get_visible(session, viewer.principal, expert_id))
    return render.page(
        request,
        "confirm.html",
        viewer,
        title=f"Deactivate {expert.full_name}?",
        action=f"/ui/experts/{expert_id}/deactivate",
        version=expert.version,
        back=f"/ui/experts/{expert_id}/edit",
        lines=[
            f"Expert {expert.id}, {expert.category.value}, nominated by {expert.state or 'the UN roster'}.",
            "An inactive expert is never proposed by plans again; the record stays, with its deployments and "
            "history, and the planners see any live deployment of this expert flagged at risk. You can put the "
            "expert back on the roster from the edit form.",
        ],
        confirm="Deactivate the expert",
        keep="Keep on the roster",
    )


@router.post("/{expert_id}/deactivate")
def deactivate_expert(
    request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm, expert_id: int
):
    """Deactivate the expert, as DELETE /experts/{id} (a stale confirmation: nothing changes)."""
    expert = repo.to_public(repo.get_visible(session, viewer.principal, expert_id))
    try:
        roster_service.delete_expert(
            Unit.of(session, viewer.principal), expert_id=expert_id, if_match=forms.if_match(form)
        )
    except RosterError as exc:
        session.rollback()
        message = fields.STALE if exc.status_code == 412 else forms.summary(exc)
        return render.redirect(f"/ui/experts/{expert_id}/edit", problem="Not deactivated: " + message)
    return render.redirect("/ui/offers", f"{expert.full_name} deactivated: no longer planned.")


def _form(
    request: Request,
    session: Session,
    viewer: Viewer,
    expert: ExpertPublic | None,
    values: dict,
    rows: dict,
    errors: dict,
    status_code: int = 200,
):
    return render.page(
        request,
        "expert_form.html",
        viewer,
        status_code=status_code,
        title=f"Edit {expert.full_name}" if expert else "Add an expert",
        expert=expert,
        values=values,
        rows=rows,
        errors=errors,
        categories=list(Category),
        genders=list(Gender),
        sources=list(Source),
        grades=list(GRADE_RANK),
        names_state=viewer.principal.role != Role.member_state and expert is None,
        **fields.choices(session),
    )
