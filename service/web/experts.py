"""Pages: a Member State adds, edits and deactivates its own experts (HQ: any, and UN staff), through the same
service functions as POST, PATCH and DELETE /experts; every error beside its field or row."""

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session

from schemas.enums import GRADE_RANK, Category, Gender, Role, Source
from schemas.roster import EXPERT_NOT_NULL, ExpertCreate, ExpertPublic, ExpertUpdate
from service.platform.deps import SessionDep
from service.platform.errors import RosterError
from service.platform.personal import hidden_fields, redact_expert
from service.platform.personal import viewer as personal_viewer
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
SHAPE = fields.Shape(
    scalars=SCALARS,
    chosen=("levels",),
    lists=("skills", "languages", "availability", "leave", "credentials"),
    nullable=frozenset(SCALARS) - EXPERT_NOT_NULL,
    selects=("category", "nationality", "gender", "grade", "source", "state"),
    posted_only=("state", "active"),  # active: "put back on the roster", for an inactive expert
)


@router.get("/new")
def new_expert(request: Request, session: SessionDep, viewer: ContributorViewer):
    """The empty expert form."""
    values = {"notice_days": "30", "source": Source.secondee.value, "levels": []}
    return _form(request, session, viewer, None, values, {name: fields.blanks(name, 0) for name in SHAPE.lists}, {})


@router.post("/new")
def create_expert(request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm):
    """Add an expert, checked exactly as POST /experts (a Member State's own)."""
    values, posted = SHAPE.read(form)
    try:
        body = fields.validate(ExpertCreate, values)
        created = roster_service.create_expert(Unit.of(session, viewer.principal), body=body)
    except (ValidationError, RosterError) as exc:
        session.rollback()
        errors, rows = SHAPE.refused(exc, posted)
        return _form(request, session, viewer, None, values, rows, errors, 422)
    return render.redirect(f"/ui/experts/{created.id}/edit", f"{created.full_name} added as expert {created.id}.")


@router.get("/{expert_id}/edit")
def edit_expert(request: Request, session: SessionDep, viewer: ContributorViewer, expert_id: int):
    """The expert form, filled in (a Member State's own experts only)."""
    expert = roster_service.expert_shown(session, principal=viewer.principal, expert_id=expert_id)
    values = SHAPE.stored(expert)
    return _form(request, session, viewer, expert, values, {n: fields.shown(values[n], n) for n in SHAPE.lists}, {})


@router.post("/{expert_id}/edit")
def update_expert(request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm, expert_id: int):
    """Save what changed, checked exactly as PATCH /experts/{id} (a stale form: nothing changes)."""
    # As the viewer saw it: a field hidden from the form is not posted, and must not read as blanked.
    before = redact_expert(repo.to_public(repo.get_visible(session, viewer.principal, expert_id)), viewer.principal)
    values, posted = SHAPE.read(form)
    changes = {"active": True} if "active" in values and not before.active else {}
    try:
        body = fields.validate(ExpertUpdate, SHAPE.changes(before, values, ExpertUpdate) | changes)
        roster_service.update_expert(
            Unit.of(session, viewer.principal), expert_id=expert_id, body=body, if_match=forms.if_match(form)
        )
    except (ValidationError, RosterError) as exc:
        session.rollback()
        errors, rows = SHAPE.refused(exc, posted)
        return _form(request, session, viewer, before, values, rows, errors, 422, version=fields.text(form, "version"))
    return render.redirect(f"/ui/experts/{expert_id}/edit", f"{before.full_name}: saved.")


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
    version: str = "",
):
    """The form; after a refusal it keeps the version it was drawn from, so that a stale form stays stale."""
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
        version=version,
        categories=list(Category),
        genders=list(Gender),
        sources=list(Source),
        grades=list(GRADE_RANK),
        names_state=viewer.principal.role != Role.member_state and expert is None,
        hidden=hidden_fields(personal_viewer(viewer.principal, expert.state)) if expert else frozenset(),
        **fields.choices(session),
    )
