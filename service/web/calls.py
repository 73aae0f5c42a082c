"""Pages: calls for nominations. A Member State reads the open calls it is invited to, nominates its own experts
or offers and withdraws them; HQ and planners open a call from a request, read every nomination, record stage
results, turn nominations down and close the call."""

import re
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlmodel import Session

from schemas.enums import AssessmentResult, CallStatus, OfferStatus, Role
from schemas.nominations import (
    CallCreate,
    ExpertNomination,
    NominationCreate,
    NominationDecision,
    OfferNomination,
    StageResultCreate,
)
from schemas.roster import ISO3
from service.nominations import service as nominations
from service.offers import repository as offers_repo
from service.platform.deps import SessionDep
from service.platform.errors import Invalid, RosterError
from service.platform.unit import Unit
from service.requests import repository as requests_repo
from service.roster import repository as experts_repo
from service.web import forms, render
from service.web.session import CurrentViewer, PostedForm, StaffViewer, Viewer, require

ISO3_CODE = re.compile(ISO3)
router = APIRouter(prefix="/ui")
StateViewer = Annotated[Viewer, Depends(require(Role.member_state))]
AssessorViewer = Annotated[Viewer, Depends(require(Role.admin, Role.hq))]
DeciderViewer = Annotated[Viewer, Depends(require(Role.hq, Role.planner))]
MAX_ROWS = 500
DEFAULT_DEADLINE = timedelta(days=14)


@router.get("/calls")
def calls(request: Request, session: SessionDep, viewer: CurrentViewer):
    """Calls: a Member State's open calls it is invited to; every call for HQ and planners."""
    found = nominations.list_calls(session, principal=viewer.principal, filters={}, limit=MAX_ROWS, offset=0)
    return render.page(
        request, "calls.html", viewer, title="Calls for nominations", calls=found.data, count=found.count
    )


# --- Opening a call -----------------------------------------------------------------------------------------


@router.get("/requests/{request_id}/call")
def new_call(request: Request, session: SessionDep, viewer: StaffViewer, request_id: int):
    """The form that opens a call on a request's positions."""
    values = {"deadline": (date.today() + DEFAULT_DEADLINE).isoformat(), "invite": "all", "states": "", "note": ""}
    return _call_form(request, session, viewer, request_id, values, None, {})


@router.post("/requests/{request_id}/call")
def open_call(request: Request, session: SessionDep, viewer: StaffViewer, form: PostedForm, request_id: int):
    """Open the call, validated exactly as POST /calls; every problem beside its field."""
    values = {k: str(form.get(k, "")).strip() for k in ("deadline", "invite", "states", "note")}
    chosen = [str(p) for p in form.getlist("position_ids")]
    written = [s.strip() for s in values["states"].replace(";", ",").split(",") if s.strip()]
    unreadable = [s for s in written if not ISO3_CODE.fullmatch(s.upper())] if values["invite"] == "list" else []
    body = {
        "request_id": request_id,
        "position_ids": [int(p) for p in chosen if p.isdigit()],
        "deadline": values["deadline"],
        # the rest is checked as ever while unreadable codes are said beside the field, all at once
        "states": [s.upper() for s in written] if values["invite"] == "list" and not unreadable else None,
        "note": values["note"],
    }
    wrong = {"states": [f"{', '.join(unreadable)}: not a three-letter ISO code (write NOR, FRA, SEN)"]}
    try:
        data = CallCreate.model_validate(body)
        if unreadable:
            raise forms.FormErrors(wrong)
        call = nominations.open_call(Unit.of(session, viewer.principal), body=data)
    except forms.FormErrors as exc:
        return _call_form(request, session, viewer, request_id, values, chosen, exc.errors, 422)
    except (ValidationError, RosterError) as exc:
        errors = forms.errors_of(exc) | (wrong if unreadable else {})
        return _call_form(request, session, viewer, request_id, values, chosen, errors, 422)
    return render.redirect(f"/ui/calls/{call.id}", f"Call {call.id} opened until {call.deadline}.")


def _call_form(
    request: Request,
    session: Session,
    viewer: Viewer,
    request_id: int,
    values: dict,
    chosen: list[str] | None,
    errors: dict,
    status_code: int = 200,
):
    found = requests_repo.to_public(requests_repo.get_visible(session, viewer.principal, request_id))
    return render.page(
        request,
        "call_form.html",
        viewer,
        status_code=status_code,
        title=f"Open a call on request {found.id}",
        item=found,
        values=values,
        chosen=[str(p.id) for p in found.positions] if chosen is None else chosen,  # all, until the form says
        errors=errors,
        codes=forms.format_codes,
    )


# --- One call ---------------------------------------------------------------------------------------------


def _suppliers(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """A Member State's own active experts and live offers, as (E17 / O5, label) choices."""
    if viewer.principal.role != Role.member_state:
        return []
    experts = experts_repo.page_experts(session, viewer.principal, experts_repo.ExpertFilter(), MAX_ROWS, 0)
    offers, _ = offers_repo.list_offers(session, viewer.principal, {}, MAX_ROWS, 0)
    not_nominable = (OfferStatus.draft, OfferStatus.withdrawn, OfferStatus.expired)
    today = date.today()
    return [(f"E{e.id}", f"{e.full_name} (expert {e.id})") for e in experts if e.active] + [
        (f"O{o.id}", f"{o.title} (offer {o.id}, {o.slots} slots)")
        for o in offers
        if o.status not in not_nominable and o.expires_on >= today
    ]


def _call_page(request: Request, session: Session, viewer: Viewer, call_id: int, status_code: int = 200, **state):
    call = nominations.get_call(session, principal=viewer.principal, call_id=call_id)
    positions = nominations.call_positions(session, principal=viewer.principal, call_id=call_id)
    found = nominations.list_nominations(
        session, principal=viewer.principal, filters={"call_id": call_id}, limit=MAX_ROWS, offset=0
    )
    by_position: dict[int, list] = {p.id: [] for p in positions}
    for n in found.data:
        by_position.setdefault(n.position_id, []).append(n)
    return render.page(
        request,
        "call.html",
        viewer,
        status_code=status_code,
        title=f"Call {call.id}: {call.request_title}",
        call=call,
        positions=positions,
        position_choices=[(p.id, f"{p.title} (position {p.id})") for p in positions],
        by_position=by_position,
        suppliers=_suppliers(session, viewer),
        results=[r.value for r in AssessmentResult],
        is_open=call.status == CallStatus.open and date.today() <= call.deadline,
        nominate=state.get("nominate", {}),
        nominate_errors=state.get("nominate_errors", {}),
        stage=state.get("stage", {}),
        stage_errors=state.get("stage_errors", {}),
        stage_for=state.get("stage_for"),
        codes=forms.format_codes,
    )


@router.get("/calls/{call_id}")
def call_page(request: Request, session: SessionDep, viewer: CurrentViewer, call_id: int):
    """One call: each position's needs, and the nominations the viewer may see."""
    return _call_page(request, session, viewer, call_id)


def _nomination_body(values: dict) -> NominationCreate:
    """The posted nomination as POST /calls/{id}/nominations takes it; every blank or bad field at once."""
    errors: dict[str, list[str]] = {}
    if not values["position_id"].isdigit():
        errors["position_id"] = ["choose the position you nominate for"]
    supplier = values["supplier"]
    if not (supplier[:1] in ("E", "O") and supplier[1:].isdigit()):
        errors["supplier"] = ["choose one of your experts or offers"]
    if len(values["note"]) > 1000:
        errors["note"] = [f"the note has {len(values['note'])} characters: keep it to 1000"]
    if errors:
        raise forms.FormErrors(errors)
    common = {"position_id": int(values["position_id"]), "note": values["note"]}
    if supplier[0] == "E":
        return ExpertNomination.model_validate(common | {"expert_id": int(supplier[1:])})
    return OfferNomination.model_validate(common | {"offer_id": int(supplier[1:])})


def _nomination_errors(exc: Exception) -> dict[str, list[str]]:
    """Errors of a nomination beside the form's fields: an expert or offer named is the supplier field."""
    if isinstance(exc, forms.FormErrors):
        return exc.errors
    found = forms.errors_of(exc)
    for name in ("expert_id", "offer_id"):
        if name in found:
            found.setdefault("supplier", []).extend(found.pop(name))
    if isinstance(exc, RosterError) and not isinstance(exc, Invalid) and "form" in found:
        found["form"] = [str(exc.detail)]
    return found


@router.post("/calls/{call_id}/nominations")
def nominate(request: Request, session: SessionDep, viewer: StateViewer, form: PostedForm, call_id: int):
    """Nominate one of the state's own experts or offers, as POST /calls/{id}/nominations."""
    values = {k: str(form.get(k, "")).strip() for k in ("position_id", "supplier", "note")}
    try:
        body = _nomination_body(values)
        made = nominations.nominate(Unit.of(session, viewer.principal), call_id=call_id, body=body)
    except (forms.FormErrors, ValidationError, RosterError) as exc:
        session.rollback()
        errors = _nomination_errors(exc)
        return _call_page(request, session, viewer, call_id, 422, nominate=values, nominate_errors=errors)
    return render.redirect(f"/ui/calls/{call_id}", f"{made.supplier_name} nominated for position {made.position_id}.")


@router.post("/calls/{call_id}/close")
def close(request: Request, session: SessionDep, viewer: StaffViewer, form: PostedForm, call_id: int):
    """Close the call, as POST /calls/{id}/close."""
    try:
        nominations.close_call(Unit.of(session, viewer.principal), call_id=call_id)
    except RosterError as exc:
        return render.redirect(f"/ui/calls/{call_id}", problem="Not closed: " + forms.summary(exc))
    return render.redirect(f"/ui/calls/{call_id}", f"Call {call_id} closed.")


# --- One nomination -----------------------------------------------------------------------------------------


@router.post("/nominations/{nomination_id}/withdraw")
def withdraw(request: Request, session: SessionDep, viewer: StateViewer, form: PostedForm, nomination_id: int):
    """Withdraw the state's nomination, as POST /nominations/{id}/withdraw."""
    found = nominations.get_nomination(session, principal=viewer.principal, nomination_id=nomination_id)
    try:
        done = nominations.withdraw(Unit.of(session, viewer.principal), nomination_id=nomination_id)
    except RosterError as exc:
        return render.redirect(f"/ui/calls/{found.call_id}", problem="Not withdrawn: " + forms.summary(exc))
    return render.redirect(f"/ui/calls/{found.call_id}", f"Nomination of {done.supplier_name} withdrawn.")


@router.post("/nominations/{nomination_id}/decision")
def not_selected(request: Request, session: SessionDep, viewer: DeciderViewer, form: PostedForm, nomination_id: int):
    """Turn the nomination down, as POST /nominations/{id}/decision with `not_selected`."""
    found = nominations.get_nomination(session, principal=viewer.principal, nomination_id=nomination_id)
    body = NominationDecision.model_validate({"decision": "not_selected", "note": str(form.get("note", ""))[:1000]})
    try:
        done = nominations.decide(Unit.of(session, viewer.principal), nomination_id=nomination_id, body=body)
    except RosterError as exc:
        return render.redirect(f"/ui/calls/{found.call_id}", problem="Not changed: " + forms.summary(exc))
    return render.redirect(f"/ui/calls/{found.call_id}", f"{done.supplier_name}: not selected.")


@router.post("/nominations/{nomination_id}/stages")
def record_stage(request: Request, session: SessionDep, viewer: AssessorViewer, form: PostedForm, nomination_id: int):
    """Record a stage result, as POST /nominations/{id}/stages; problems beside the fields of that nomination."""
    found = nominations.get_nomination(session, principal=viewer.principal, nomination_id=nomination_id)
    values = {k: str(form.get(k, "")).strip() for k in ("stage", "result", "assessed_on", "assessor", "note")}
    try:
        body = StageResultCreate.model_validate(values)
        nominations.record_stage(Unit.of(session, viewer.principal), nomination_id=nomination_id, body=body)
    except (ValidationError, RosterError) as exc:
        session.rollback()
        errors = forms.errors_of(exc)
        page_state = {"stage": values, "stage_errors": errors, "stage_for": nomination_id}
        return _call_page(request, session, viewer, found.call_id, 422, **page_state)
    done = f"{render.words(body.stage)} of {found.supplier_name} recorded ({body.result.value})."
    return render.redirect(f"/ui/calls/{found.call_id}", done)
