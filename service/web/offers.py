"""Pages: a Member State's offers and experts — readiness, expiry, one-click renewal, status — and one offer
with its assessment visits, where HQ records a visit and sets readiness."""

from datetime import date, timedelta

from fastapi import APIRouter, Request
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from schemas.dates import LAST_DAY
from schemas.enums import AssessmentResult, Readiness, Role
from schemas.planning import ConsentDecision
from schemas.roster import AssessmentCreate, OfferUpdate, ReadinessChange
from service.deployments import service as deployments_service
from service.offers import repository as repo
from service.offers import service as offers_service
from service.platform.deps import SessionDep
from service.platform.errors import Forbidden, RosterError
from service.platform.unit import Unit
from service.roster import repository as expert_repo
from service.web import attention, forms, render
from service.web.session import ContributorViewer, CurrentViewer, HqViewer, PostedForm, Viewer

router = APIRouter(prefix="/ui/offers")
MAX_ROWS = 200
RENEWAL = timedelta(days=365)
SOON = timedelta(days=60)
CONSENT_ROLES = (Role.member_state, Role.hq, Role.admin)  # as POST /deployments/{id}/consent
CONTRIBUTORS = (Role.member_state, Role.hq)  # register and change offers and experts, as the API's ContributorUser
CONSENT: TypeAdapter = TypeAdapter(ConsentDecision)


def renewed_until(expires_on: date, today: date) -> date:
    """A renewal runs a year from the later of today and the current expiry (kept within the dates the service
    takes, whatever an older release let in)."""
    return min(max(expires_on, today), LAST_DAY) + RENEWAL


@router.get("")
def offers(request: Request, session: SessionDep, viewer: CurrentViewer):
    """Offers and experts in the viewer's scope (a Member State sees only its own), and the selections awaiting
    its consent."""
    return _offers_page(request, session, viewer)


def _offers_page(request: Request, session: Session, viewer: Viewer, status_code: int = 200, **consent_form):
    data, count = repo.list_offers(session, viewer.principal, {}, MAX_ROWS, 0)
    everyone = expert_repo.ExpertFilter()
    experts = expert_repo.page_experts(session, viewer.principal, everyone, MAX_ROWS, 0)
    expert_count = expert_repo.count_experts(session, viewer.principal, everyone)
    today = date.today()
    answers = viewer.principal.role in CONSENT_ROLES
    needs = attention.of(
        session,
        viewer.principal,
        data,
        today=today,
        credential_days=request.app.state.settings.credential_reminder_days,
        offer_days=SOON.days,
        editable=viewer.can(*CONTRIBUTORS),
    )
    return render.page(
        request,
        "offers.html",
        viewer,
        status_code=status_code,
        consents=deployments_service.awaiting_consent(session, principal=viewer.principal) if answers else [],
        consent_answers=answers,
        consent_errors=consent_form.get("errors", {}),
        consent_notes=consent_form.get("notes", {}),
        title="Offers",
        contributes=viewer.can(*CONTRIBUTORS),
        attention=needs,
        credential_days=request.app.state.settings.credential_reminder_days,
        credential_soon=today + timedelta(days=request.app.state.settings.credential_reminder_days),
        offers=data,
        count=count,
        experts=experts,
        expert_count=expert_count,
        soon=today + SOON,
        renewal={o.id: renewed_until(o.expires_on, today) for o in data},
    )


@router.post("/consent/{deployment_id}")
def decide_consent(request: Request, session: SessionDep, viewer: CurrentViewer, form: PostedForm, deployment_id: int):
    """Confirm or decline a selection, as POST /deployments/{id}/consent (a decline needs the state's reason)."""
    if viewer.principal.role not in CONSENT_ROLES:
        raise Forbidden("only the contributing Member State, or HQ on its behalf, answers a selection")
    decision, note = str(form.get("decision", "")), str(form.get("note", "")).strip()
    try:
        body = CONSENT.validate_python({"decision": decision, "note": note})
        done = deployments_service.decide_consent(
            Unit.of(session, viewer.principal), deployment_id=deployment_id, body=body, if_match=None
        )
    except (ValidationError, RosterError) as exc:
        session.rollback()
        message = (
            "Write the reason for declining (3 to 1000 characters): the planners see it."
            if decision == "decline" and isinstance(exc, ValidationError)
            else forms.summary(exc)
        )
        errors, notes = {deployment_id: message}, {deployment_id: note}
        return _offers_page(
            request,
            session,
            viewer,
            exc.status_code if isinstance(exc, RosterError) else 422,
            errors=errors,
            notes=notes,
        )
    words = (
        "confirmed: it is planned" if done.status == "planned" else "declined: the planners will fill the seat again"
    )
    return render.redirect("/ui/offers", f"{done.supplier.name} for deployment {done.id} {words}.")


@router.post("/{offer_id}/renew")
def renew(request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm, offer_id: int):
    """Renew an offer for a year, as PATCH /offers/{id} with a new expires_on."""
    offer = repo.get_visible(session, viewer.principal, offer_id)
    body = OfferUpdate(expires_on=renewed_until(offer.expires_on, date.today()))
    try:
        renewed = offers_service.update_offer(
            Unit.of(session, viewer.principal), offer_id=offer_id, body=body, if_match=None
        )
    except RosterError as exc:
        return render.redirect("/ui/offers", "Not renewed: " + forms.summary(exc))
    return render.redirect("/ui/offers", f"“{renewed.title}” renewed until {renewed.expires_on}.")


def _offer_page(
    request: Request, session: Session, viewer: Viewer, offer_id: int, status_code: int = 200, **forms_state
):
    offer = repo.get_visible(session, viewer.principal, offer_id)
    return render.page(
        request,
        "offer.html",
        viewer,
        status_code=status_code,
        title=offer.title,
        offer=repo.to_public(offer),
        contributes=viewer.can(*CONTRIBUTORS),
        expert_names=_named_experts(session, viewer, offer.expert_ids),
        visits=repo.assessments(session, offer_id),
        results=[r.value for r in AssessmentResult],
        levels=[r.value for r in Readiness],
        visit=forms_state.get("visit", {"visited_on": date.today().isoformat()}),
        visit_errors=forms_state.get("visit_errors", {}),
        change=forms_state.get("change", {"readiness": offer.readiness.value}),
        change_errors=forms_state.get("change_errors", {}),
    )


def _named_experts(session: Session, viewer: Viewer, ids: list[int]) -> dict[int, str]:
    """The names of the experts an offer names (its own state's: visible to whoever sees the offer)."""
    return {i: expert_repo.get_visible(session, viewer.principal, i).full_name for i in ids}


@router.get("/{offer_id}")
def offer_page(request: Request, session: SessionDep, viewer: CurrentViewer, offer_id: int):
    """One offer and its assessment visits; HQ records a visit or sets readiness here."""
    return _offer_page(request, session, viewer, offer_id)


@router.post("/{offer_id}/assessments")
def record_visit(request: Request, session: SessionDep, viewer: HqViewer, form: PostedForm, offer_id: int):
    """Record an assessment visit, as POST /offers/{id}/assessments."""
    values = {k: str(form.get(k, "")).strip() for k in ("visited_on", "team", "result", "note")}
    try:
        visit = AssessmentCreate.model_validate(values)
        offers_service.record_assessment(Unit.of(session, viewer.principal), offer_id=offer_id, visit=visit)
    except (ValidationError, RosterError) as exc:
        session.rollback()
        errors = forms.errors_of(exc)
        return _offer_page(request, session, viewer, offer_id, 422, visit=values, visit_errors=errors)
    return render.redirect(f"/ui/offers/{offer_id}", f"Visit of {visit.visited_on} recorded ({visit.result.value}).")


@router.post("/{offer_id}/readiness")
def set_readiness(request: Request, session: SessionDep, viewer: HqViewer, form: PostedForm, offer_id: int):
    """Set the offer's readiness with a reason, as POST /offers/{id}/readiness (stale form: nothing changes)."""
    values = {k: str(form.get(k, "")).strip() for k in ("readiness", "reason")}
    try:
        change = ReadinessChange.model_validate(values)
        done = offers_service.change_readiness(
            Unit.of(session, viewer.principal),
            offer_id=offer_id,
            body=change,
            if_match=forms.if_match(form),
        )
    except (ValidationError, RosterError) as exc:
        session.rollback()
        errors = forms.errors_of(exc)
        return _offer_page(request, session, viewer, offer_id, 422, change=values, change_errors=errors)
    return render.redirect(f"/ui/offers/{offer_id}", f"Readiness is now {render.words(done.readiness)}.")
