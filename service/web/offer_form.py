"""Pages: a Member State registers, edits and withdraws its offers (HQ records them for a named state), through
the same service functions as POST and PATCH /offers; every error beside its field."""

from datetime import date, timedelta

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session

from schemas.enums import Category, CostBearer, OfferKind, OfferStatus, Role
from schemas.roster import OFFER_NULLABLE, OfferCreate, OfferPublic, OfferUpdate
from service.offers import repository as repo
from service.offers import service as offers_service
from service.offers.repository import MEMBER_STATE_STATUSES
from service.platform.deps import SessionDep
from service.platform.errors import RosterError
from service.platform.unit import Unit
from service.roster import repository as expert_repo
from service.web import fields, forms, render
from service.web.session import ContributorViewer, PostedForm, Viewer

# Included before service.web.offers: /ui/offers/new is not an offer's id.
router = APIRouter(prefix="/ui/offers")
SHAPE = fields.Shape(
    scalars=(
        "title",
        "kind",
        "slots",
        "category",
        "status",
        "available_from",
        "available_to",
        "max_duration_days",
        "notice_days",
        "expires_on",
        "cost_bearer",
    ),
    chosen=("levels", "excluded_missions", "excluded_states", "expert_ids"),
    lists=("skills", "languages", "credentials"),
    nullable=OFFER_NULLABLE,
    selects=("kind", "category", "status", "cost_bearer", "state"),
    posted_only=("state", "readiness"),
)
MAX_EXPERTS = 500
YEAR = timedelta(days=365)


@router.get("/new")
def new_offer(request: Request, session: SessionDep, viewer: ContributorViewer):
    """The empty offer form: pledged, available from today for a year, to renew within the year."""
    today = date.today()
    values = {
        "kind": OfferKind.individual.value,
        "slots": "1",
        "status": OfferStatus.submitted.value,
        "available_from": today.isoformat(),
        "available_to": (today + YEAR).isoformat(),
        "notice_days": "60",
        "expires_on": (today + YEAR).isoformat(),
        "cost_bearer": CostBearer.member_state.value,
    }
    rows = {name: fields.blanks(name, 0) for name in SHAPE.lists}
    return _form(request, session, viewer, None, values, rows, {})


@router.post("/new")
def create_offer(request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm):
    """Register an offer, checked exactly as POST /offers (a new offer is pledged)."""
    values, posted = SHAPE.read(form)
    try:
        body = fields.validate(OfferCreate, values)
        created = offers_service.create_offer(Unit.of(session, viewer.principal), body=body)
    except (ValidationError, RosterError) as exc:
        session.rollback()
        errors, rows = SHAPE.refused(exc, posted)
        return _form(request, session, viewer, None, values, rows, errors, 422)
    return render.redirect(
        f"/ui/offers/{created.id}",
        f"“{created.title}” registered as offer {created.id}: it is pledged; HQ raises its readiness after "
        "the UN's assessment visit.",
    )


@router.get("/{offer_id}/edit")
def edit_offer(request: Request, session: SessionDep, viewer: ContributorViewer, offer_id: int):
    """The offer form, filled in (a Member State's own offers only)."""
    offer = repo.to_public(repo.get_visible(session, viewer.principal, offer_id))
    values = SHAPE.stored(offer)
    rows = {name: fields.shown(values[name], name) for name in SHAPE.lists}
    return _form(request, session, viewer, offer, values, rows, {})


@router.post("/{offer_id}/edit")
def update_offer(request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm, offer_id: int):
    """Save what changed, checked exactly as PATCH /offers/{id} (a stale form: nothing changes)."""
    before = repo.to_public(repo.get_visible(session, viewer.principal, offer_id))
    values, posted = SHAPE.read(form)
    try:
        body = fields.validate(OfferUpdate, SHAPE.changes(before, values, OfferUpdate))
        offers_service.update_offer(
            Unit.of(session, viewer.principal), offer_id=offer_id, body=body, if_match=forms.if_match(form)
        )
    except (ValidationError, RosterError) as exc:
        session.rollback()
        errors, rows = SHAPE.refused(exc, posted)
        return _form(request, session, viewer, before, values, rows, errors, 422, version=fields.text(form, "version"))
    return render.redirect(f"/ui/offers/{offer_id}", "Offer saved.")


@router.get("/{offer_id}/withdraw")
def confirm_withdrawal(request: Request, session: SessionDep, viewer: ContributorViewer, offer_id: int):
    """Ask before withdrawing: a withdrawn offer is no longer planned, and its live deployments become at risk."""
    offer = repo.to_public(repo.get_visible(session, viewer.principal, offer_id))
    return render.page(
        request,
        "confirm.html",
        viewer,
        title=f"Withdraw “{offer.title}”?",
        action=f"/ui/offers/{offer_id}/withdraw",
        version=offer.version,
        back=f"/ui/offers/{offer_id}",
        lines=[
            f"Offer {offer.id} of {offer.state}: {offer.slots_used} of {offer.slots} slots in use.",
            "A withdrawn offer is no longer proposed by plans; its live deployments are flagged at risk for the "
            "planners. You can submit it again later by editing it.",
        ],
        confirm="Withdraw the offer",
        keep="Keep it",
    )


@router.post("/{offer_id}/withdraw")
def withdraw_offer(request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm, offer_id: int):
    """Withdraw the offer, as PATCH /offers/{id} with status withdrawn (a stale confirmation: nothing changes)."""
    repo.get_visible(session, viewer.principal, offer_id)  # another state's: 404, as for an id that does not exist
    try:
        done = offers_service.update_offer(
            Unit.of(session, viewer.principal),
            offer_id=offer_id,
            body=OfferUpdate(status=OfferStatus.withdrawn),
            if_match=forms.if_match(form),
        )
    except RosterError as exc:
        session.rollback()
        message = fields.STALE if exc.status_code == 412 else forms.summary(exc)
        return render.redirect(f"/ui/offers/{offer_id}", problem="Not withdrawn: " + message)
    return render.redirect(f"/ui/offers/{offer_id}", f"“{done.title}” withdrawn.")


def _statuses(viewer: Viewer, current: str | None) -> list[str]:
    """The statuses the viewer may set (a Member State: draft or submitted; withdrawing has its own button)."""
    if viewer.principal.role != Role.member_state:
        return [s.value for s in OfferStatus]
    allowed = [s.value for s in OfferStatus if s in MEMBER_STATE_STATUSES and s != OfferStatus.withdrawn]
    return allowed + ([current] if current and current not in allowed else [])


def _experts(session: Session, viewer: Viewer, state: str | None) -> list[tuple[int, str]]:
    """The experts an offer may name: the offering state's own (for HQ's new offer, every state's, labelled)."""
    found = expert_repo.page_experts(session, viewer.principal, expert_repo.ExpertFilter(state=state), MAX_EXPERTS, 0)
    return [(e.id, f"{e.full_name} (#{e.id}{'' if state else ', ' + str(e.state)})") for e in found if e.state]


def _form(
    request: Request,
    session: Session,
    viewer: Viewer,
    offer: OfferPublic | None,
    values: dict,
    rows: dict,
    errors: dict,
    status_code: int = 200,
    version: str = "",
):
    """The form; after a refusal it keeps the version it was drawn from, so that a stale form stays stale."""
    state = offer.state if offer else viewer.principal.state
    return render.page(
        request,
        "offer_form.html",
        viewer,
        status_code=status_code,
        title=f"Edit offer {offer.id}" if offer else "Register an offer",
        offer=offer,
        values=values,
        rows=rows,
        errors=errors,
        version=version,
        kinds=list(OfferKind),
        categories=list(Category),
        cost_bearers=list(CostBearer),
        statuses=_statuses(viewer, values.get("status")),
        experts=_experts(session, viewer, state),
        names_state=viewer.principal.role != Role.member_state and offer is None,
        **fields.choices(session),
    )
