"""Pages: capacity requests — list with filters, detail with fill, the create / edit form (HQ's, and a Member
State's for its own government), HQ's decision on a state's request and the state's withdrawal."""

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session

from schemas.enums import GRADE_RANK, AssessmentStage, Benchmark, Category, Level, RequestDecision, RequestStatus, Role
from schemas.roster import CapacityRequestCreate, CapacityRequestPublic, PositionPublic, RequestDecisionCreate
from service.nominations import service as nominations
from service.platform.deps import SessionDep
from service.platform.errors import RosterError
from service.platform.unit import Unit
from service.reference import credentials
from service.reference import repository as reference
from service.requests import repository as repo
from service.requests import service as requests_service
from service.requests.service import PositionEdit, PositionRejected
from service.web import fields, forms, render
from service.web.session import ContributorViewer, CurrentViewer, DeciderViewer, PostedForm, Viewer

router = APIRouter(prefix="/ui/requests")
PAGE_SIZE = 50
CALLS_SHOWN = 20


def _choices(session: Session) -> dict:
    missions = reference.missions(session, active=True)
    return {
        "missions": missions,
        "state_names": repo.state_names(session),
        "levels": list(Level),
        "categories": list(Category),
        "statuses": list(RequestStatus),
        "benchmarks": list(Benchmark),
        "grades": list(GRADE_RANK),
        "stages": list(AssessmentStage),
        "credential_types": credentials.types(session),
        "credential_names": credentials.names(session),
        # a new position's boxes start ticked with the defaults of "any category" (the script follows the category)
        "any_defaults": credentials.defaults_for(session, None),
        "language_options": fields.language_options(),
        "proficiencies": list(enumerate(fields.PROFICIENCY, 1)),
    }


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


@router.get("")
def list_requests(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    mission: str | None = None,
    status: str | None = None,
    priority: str | None = None,
    requested_by_state: str | None = None,
    page: int = 1,
):
    """Requests, those awaiting HQ first, then most important first, filtered by mission, status, priority and
    requesting state."""
    status_ = RequestStatus(status) if status in set(RequestStatus) else None
    filters = {
        "mission": mission or None,
        "status": status_,
        "priority": _int(priority),
        "requested_by_state": requested_by_state or None,
    }
    data, count = repo.list_requests(session, viewer.principal, filters, PAGE_SIZE, (max(page, 1) - 1) * PAGE_SIZE)
    names = repo.state_names(session)
    return render.page(
        request,
        "requests.html",
        viewer,
        title="Capacity requests",
        requests=data,
        places={r.id: repo.place(r, names) for r in data},
        count=count,
        filters=filters,
        page=max(page, 1),
        pages=max(1, -(-count // PAGE_SIZE)),
        **_choices(session),
    )


@router.get("/new")
def new_request(request: Request, session: SessionDep, viewer: ContributorViewer):
    """The empty request form (a Member State's: "Ask for capacity", for its own government)."""
    return _form(request, session, viewer, None, {}, [_blank_row(0)], {})


@router.post("/new")
def create_request(request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm):
    """Create a request with its positions, validated exactly as POST /requests (a state's is proposed to HQ)."""
    values, rows, errors = _read(form, fields.skill_options(session))
    wanted = [r for r in rows if not r["blank"] and not r["remove"]]
    if errors := _all_errors(values, wanted, errors, for_state=viewer.principal.role == Role.member_state):
        return _form(request, session, viewer, None, values, rows or [_blank_row(0)], errors, 422)
    try:
        body = CapacityRequestCreate.model_validate(values | {"positions": [r["values"] for r in wanted]})
        created = requests_service.create_request(Unit.of(session, viewer.principal), body=body)
    except (ValidationError, RosterError) as exc:
        errors = forms.worded(_renumber(forms.errors_of(exc), wanted))
        return _form(request, session, viewer, None, values, rows or [_blank_row(0)], errors, 422)
    done = "sent to HQ, which accepts or declines it" if created.status == RequestStatus.proposed else "created"
    return render.redirect(f"/ui/requests/{created.id}", f"Request {created.id} {done}.")


@router.get("/{request_id}")
def show_request(request: Request, session: SessionDep, viewer: CurrentViewer, request_id: int):
    """One request with its positions and how filled each is; HQ decides here on a state's proposed request."""
    return _request_page(request, session, viewer, request_id)


def _request_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    request_id: int,
    status_code: int = 200,
    decision: dict | None = None,
    decision_errors: dict | None = None,
):
    found = repo.get_visible(session, viewer.principal, request_id)
    principal, names = viewer.principal, repo.state_names(session)
    own_proposal = found.status == RequestStatus.proposed and found.requested_by_state == principal.state
    return render.page(
        request,
        "request.html",
        viewer,
        status_code=status_code,
        title=found.title,
        item=repo.to_public(found),
        place=repo.place(found, names),
        asking_state_name=names.get(found.requested_by_state or "", found.requested_by_state),
        skill_names={code: label.removesuffix(f" ({code})") for code, label in fields.skill_options(session)},
        language_names=dict(fields.language_options()),
        credential_names=credentials.names(session),
        can_edit=found.status != RequestStatus.declined
        and (principal.role == Role.hq or (principal.role == Role.member_state and own_proposal)),
        can_withdraw=principal.role == Role.member_state and own_proposal,
        calls=nominations.list_calls(
            session, principal=principal, filters={"request_id": request_id}, limit=CALLS_SHOWN, offset=0
        ).data,
        can_decide=principal.role in (Role.hq, Role.admin) and found.status == RequestStatus.proposed,
        decisions=[d.value for d in RequestDecision],
        decision=decision or {},
        decision_errors=decision_errors or {},
    )


@router.post("/{request_id}/decision")
def decide_request(request: Request, session: SessionDep, viewer: DeciderViewer, form: PostedForm, request_id: int):
    """Accept or decline a state's proposed request, as POST /requests/{id}/decision (stale form: nothing changes)."""
    values = {k: str(form.get(k, "")).strip() for k in ("decision", "note")}
    try:
        body = RequestDecisionCreate.model_validate(values)
        done = requests_service.decide_request(
            Unit.of(session, viewer.principal),
            request_id=request_id,
            body=body,
            if_match=forms.if_match(form),
        )
    except (ValidationError, RosterError) as exc:
        session.rollback()
        errors = forms.errors_of(exc)
        return _request_page(request, session, viewer, request_id, 422, decision=values, decision_errors=errors)
    if done.status == RequestStatus.declined:
        return render.redirect(
            f"/ui/requests/{request_id}", f"Request {request_id} declined: the state reads your note."
        )
    return render.redirect(f"/ui/requests/{request_id}", f"Request {request_id} accepted: it can now be planned.")


@router.post("/{request_id}/withdraw")
def withdraw_request(
    request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm, request_id: int
):
    """The requesting state takes back its proposed request, as POST /requests/{id}/withdraw."""
    try:
        requests_service.withdraw_request(
            Unit.of(session, viewer.principal), request_id=request_id, if_match=forms.if_match(form)
        )
    except RosterError as exc:
        return render.redirect(f"/ui/requests/{request_id}", "Not withdrawn: " + forms.summary(exc))
    return render.redirect(f"/ui/requests/{request_id}", f"Request {request_id} withdrawn.")


@router.get("/{request_id}/edit")
def edit_request(request: Request, session: SessionDep, viewer: ContributorViewer, request_id: int):
    """The request form, filled in (a Member State's: only its own request, while HQ has not decided)."""
    stored = repo.get_visible(session, viewer.principal, request_id)
    repo.check_writable(viewer.principal, stored)
    found = repo.to_public(stored)
    values = found.model_dump(mode="json", include=set(forms.REQUEST_FIELDS))
    rows = [_row_of(i, p) for i, p in enumerate(found.positions)]
    return _form(request, session, viewer, found, values, [*rows, _blank_row(len(rows))], {})


@router.post("/{request_id}/edit")
def update_request(request: Request, session: SessionDep, viewer: ContributorViewer, form: PostedForm, request_id: int):
    """Apply the edit in one transaction: the request's fields, then each position changed, added or removed; every
    error of the form at once, a required field cleared among them, before anything is tried."""
    values, rows, errors = _read(form, fields.skill_options(session))
    kept = [r for r in rows if not r["remove"] and (r["id"] or not r["blank"])]
    stored = repo.to_public(repo.get_visible(session, viewer.principal, request_id))
    if errors := _all_errors(values, kept, errors, for_state=stored.requested_by_state is not None):
        return _form(request, session, viewer, stored, values, rows, errors, 422)
    edits = (
        PositionEdit(row["index"], int(row["id"]) if row["id"] else None, row["remove"], row["values"])
        for row in rows
        if row["id"] or not (row["blank"] or row["remove"])
    )
    try:
        requests_service.edit_request(
            Unit.of(session, viewer.principal),
            request_id=request_id,
            version=form.get("version"),
            request_changes=lambda before: _changes(before, values),
            positions=edits,
            position_changes=_position_changes,
        )
    except (ValidationError, RosterError, PositionRejected) as exc:
        errors = forms.worded(_errors(exc))
        found = repo.to_public(repo.get_visible(session, viewer.principal, request_id))
        return _form(request, session, viewer, found, values, rows, errors, 422)
    return render.redirect(f"/ui/requests/{request_id}", "Request saved.")


def _read(form, skills: list[tuple[str, str]]) -> tuple[dict, list[dict], dict[str, list[str]]]:
    """The request's fields and its positions as posted, each position's lists read as rows with the skills picked
    mapped back to their codes; and the entries that are no skill or lack one, beside their rows."""
    values, rows = forms.request_values(form), forms.position_rows(form)
    errors: dict[str, list[str]] = {}
    for row in rows:
        prefix = f"positions.{row['index']}."
        row["lists"] = {n: fields.rows(form, prefix + n, names) for n, names in forms.POSITION_LISTS.items()}
        for name, found in row["lists"].items():
            items = (_item(prefix + name, r, skills, errors) for r in found if not r.blank)
            row["values"][name] = [item for item in items if item]
    return values, rows, errors


def _item(name: str, row: fields.Row, skills: list[tuple[str, str]], errors: dict[str, list[str]]) -> dict | None:
    """One row of a position's list as the API takes it ({code, min_…}); a skill typed or picked by its name or
    code; none for a row whose entry is missing or not known, said beside it."""
    typed, key = row.values["code"], f"{name}.{row.index}.code"
    code = typed if name.endswith(".languages") else fields.pick(typed, skills)
    if not typed:
        errors[key] = [f"{forms.CHOOSE}, or set the level back to “—” to leave the row out"]
    elif code is None:
        errors[key] = [fields.not_known(typed, skills, "skill")]
    if not code:
        return None
    return {"code": code} | {k: int(v) if v.isdigit() else v for k, v in row.values.items() if k != "code" and v}


def _all_errors(
    values: dict, positions: list[dict], errors: dict[str, list[str]], *, for_state: bool
) -> dict[str, list[str]]:
    """Every error of the form at once, as the API would find them: the request's fields (HQ's names a mission),
    each position's fields and rules, the skills not known; what only the stored rows can tell, the service says."""
    found = forms.request_errors(values)
    if not for_state and not values.get("mission"):
        forms.merge(found, {"mission": [forms.CHOOSE]})
    for row in positions:
        forms.merge(found, forms.position_errors(row["values"], f"positions.{row['index']}."))
    return forms.worded(forms.merge(found, errors))


def _changes(before: CapacityRequestPublic, values: dict) -> dict:
    """The request's fields posted that differ from the stored ones; dates and benchmark left blank are cleared."""
    current = before.model_dump(mode="json", include=set(forms.REQUEST_FIELDS))
    changes = {k: v for k, v in values.items() if str(current.get(k) or "") != v}
    return changes | {k: None for k in ("mission", "deploy_by", "benchmark") if current.get(k) and k not in values}


def _position_changes(position: PositionPublic, values: dict) -> dict:
    """A stored position's fields posted that differ; those left blank are cleared, flags unticked are false."""
    current = _row_of(0, position)["values"]
    changed = {k: v for k, v in values.items() if current.get(k) != v}
    changed |= {k: None for k in current if k not in values and current[k] not in (None, [], False)}
    return changed | {flag: False for flag in forms.POSITION_FLAGS if current.get(flag) and flag not in values}


def _errors(exc: Exception) -> dict:
    """Form errors, those of a position under its row's fields."""
    if isinstance(exc, PositionRejected):
        return forms.errors_of(exc.cause, f"positions.{exc.index}.")
    return forms.errors_of(exc)


def _row_of(index: int, position) -> dict:
    """A stored position in the shape the form posts."""
    data = position.model_dump(mode="json")
    values = {k: data[k] for k in forms.POSITION_FIELDS if data.get(k) not in (None, "")}
    values |= {flag: True for flag in forms.POSITION_FLAGS if data.get(flag)}
    for name in ("required_skills", "desired_skills", "languages", "assessment_stages", "required_credentials"):
        values[name] = data[name]
    return {
        "index": index,
        "id": str(position.id),
        "remove": False,
        "values": values,
        "blank": False,
        "filled": position.filled,
    }


def _lists(row: dict, labels: dict[str, str]) -> dict[str, list[fields.Row]]:
    """A position's lists as rows to draw: as posted after a refusal (what was typed kept), else as stored, a skill
    shown by its name and code; with blank rows to fill in."""
    if "lists" in row:
        return {name: fields.redrawn(found, name, forms.POSITION_LISTS[name]) for name, found in row["lists"].items()}
    drawn = {}
    for name, names in forms.POSITION_LISTS.items():
        items = row["values"].get(name) or []
        if name != "languages":
            items = [item | {"code": labels.get(item["code"], item["code"])} for item in items]
        drawn[name] = fields.shown(items, name, names)
    return drawn


def _blank_row(index: int) -> dict:
    return {"index": index, "id": "", "remove": False, "values": {}, "blank": True}


def _renumber(errors: dict, wanted: list[dict]) -> dict:
    """Errors of positions.N (N among the rows sent) onto the form's own row numbers."""
    out: dict[str, list[str]] = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] == "positions" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(wanted):
            parts[1] = str(wanted[int(parts[1])]["index"])
        out.setdefault(".".join(parts), []).extend(messages)
    return out


def _form(
    request: Request,
    session: Session,
    viewer: Viewer,
    item,
    values: dict,
    rows: list[dict],
    errors: dict,
    status_code: int = 200,
):
    asking = viewer.principal.role == Role.member_state
    title = f"Edit request {item.id}" if item else ("Ask for capacity" if asking else "New capacity request")
    skills = fields.skill_options(session)
    for row in rows:
        row["lists"] = _lists(row, dict(skills))
    return render.page(
        request,
        "request_form.html",
        viewer,
        status_code=status_code,
        title=title,
        item=item,
        values=values,
        rows=rows,
        errors=errors,
        skills=skills,
        asking_state=viewer.principal.state if asking else None,
        **_choices(session),
    )
