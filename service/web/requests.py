"""Pages: capacity requests — list with filters, detail with fill, and HQ's create / edit form."""

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session, select

from schemas.enums import GRADE_RANK, Benchmark, Category, Level, RequestStatus
from schemas.roster import CapacityRequestCreate, CapacityRequestUpdate, PositionCreate, PositionUpdate
from service.platform import audit
from service.platform.deps import SessionDep
from service.platform.errors import PreconditionFailed, RosterError
from service.requests import repository as repo
from service.platform.tables import CapacityRequest, Mission
from service.web import forms, render
from service.web.session import CurrentViewer, HqViewer, PostedForm, Viewer

router = APIRouter(prefix="/ui/requests")
PAGE_SIZE = 50


def _choices(session: Session) -> dict:
    missions = session.exec(select(Mission).where(Mission.active.is_(True)).order_by(Mission.code)).all()
    return {"missions": missions, "levels": list(Level), "categories": list(Category),
            "statuses": list(RequestStatus), "benchmarks": list(Benchmark), "grades": list(GRADE_RANK)}


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


@router.get("")
def list_requests(request: Request, session: SessionDep, viewer: CurrentViewer, mission: str | None = None,
                  status: str | None = None, priority: str | None = None, page: int = 1):
    """Requests, most important first, filtered by mission, status and priority."""
    status_ = RequestStatus(status) if status in set(RequestStatus) else None
    filters = {"mission": mission or None, "status": status_, "priority": _int(priority)}
    data, count = repo.list_requests(session, viewer.principal, filters, PAGE_SIZE, (max(page, 1) - 1) * PAGE_SIZE)
    return render.page(request, "requests.html", viewer, title="Capacity requests", requests=data, count=count,
                       filters=filters, page=max(page, 1), pages=max(1, -(-count // PAGE_SIZE)), **_choices(session))


@router.get("/new")
def new_request(request: Request, session: SessionDep, viewer: HqViewer):
    """The empty request form."""
    return _form(request, session, viewer, None, {}, [_blank_row(0)], {})


@router.post("/new")
def create_request(request: Request, session: SessionDep, viewer: HqViewer, form: PostedForm):
    """Create a request with its positions, validated exactly as POST /requests."""
    values, rows = forms.request_values(form), forms.position_rows(form)
    wanted = [r for r in rows if not r["blank"] and not r["remove"]]
    try:
        body = CapacityRequestCreate.model_validate(values | {"positions": [r["values"] for r in wanted]})
        created = repo.create(session, body)
        audit.record(session, viewer.principal, "create", "capacity_request", created.id, after=repo.to_public(created))
        session.commit()
    except (ValidationError, RosterError) as exc:
        session.rollback()
        errors = _renumber(forms.errors_of(exc), wanted)
        return _form(request, session, viewer, None, values, rows or [_blank_row(0)], errors, 422)
    return render.redirect(f"/ui/requests/{created.id}", f"Request {created.id} created.")


@router.get("/{request_id}")
def show_request(request: Request, session: SessionDep, viewer: CurrentViewer, request_id: int):
    """One request with its positions and how filled each is."""
    found = repo.to_public(repo.get_visible(session, viewer.principal, request_id))
    return render.page(request, "request.html", viewer, title=found.title, item=found,
                       codes=forms.format_codes)


@router.get("/{request_id}/edit")
def edit_request(request: Request, session: SessionDep, viewer: HqViewer, request_id: int):
    """The request form, filled in."""
    found = repo.to_public(repo.get_visible(session, viewer.principal, request_id))
    values = found.model_dump(mode="json", include=set(forms.REQUEST_FIELDS))
    rows = [_row_of(i, p) for i, p in enumerate(found.positions)]
    return _form(request, session, viewer, found, values, rows + [_blank_row(len(rows))], {})


@router.post("/{request_id}/edit")
def update_request(request: Request, session: SessionDep, viewer: HqViewer, form: PostedForm, request_id: int):
    """Apply the edit in one transaction: the request's fields, then each position changed, added or removed."""
    stored = repo.get_visible(session, viewer.principal, request_id)
    values, rows = forms.request_values(form), forms.position_rows(form)
    try:
        if str(stored.version) != str(form.get("version")):
            raise PreconditionFailed("someone changed this request since you opened it: reload the page "
                                     "and make your change again")
        _apply(session, viewer, stored, values, rows)
        session.commit()
    except (ValidationError, RosterError, forms.FormErrors) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, forms.FormErrors) else forms.errors_of(exc)
        found = repo.to_public(repo.get_visible(session, viewer.principal, request_id))
        return _form(request, session, viewer, found, values, rows, errors, 422)
    return render.redirect(f"/ui/requests/{request_id}", "Request saved.")


def _apply(session: Session, viewer: Viewer, stored: CapacityRequest, values: dict, rows: list[dict]) -> None:
    before = repo.to_public(stored)
    current = before.model_dump(mode="json", include=set(forms.REQUEST_FIELDS))
    changes = {k: v for k, v in values.items() if str(current.get(k) or "") != v}
    changes |= {k: None for k in ("deploy_by", "benchmark") if current.get(k) and k not in values}
    if changes:
        repo.update(session, stored, CapacityRequestUpdate.model_validate(changes))
    for row in rows:
        prefix = f"positions.{row['index']}."
        try:
            _apply_row(session, viewer, stored, row)
        except (ValidationError, RosterError) as exc:
            raise forms.FormErrors(forms.errors_of(exc, prefix)) from exc
    after = repo.to_public(stored)
    if after != before:
        audit.record(session, viewer.principal, "update", "capacity_request", stored.id, before=before, after=after)


def _apply_row(session: Session, viewer: Viewer, stored: CapacityRequest, row: dict) -> None:
    if not row["id"]:
        if not row["blank"] and not row["remove"]:
            position = repo.add_position(session, stored, PositionCreate.model_validate(row["values"]))
            audit.record(session, viewer.principal, "create", "position", position.id,
                         after=repo.position_public(position))
        return
    position = repo.get_position(stored, int(row["id"]))
    if row["remove"]:
        audit.record(session, viewer.principal, "delete", "position", position.id,
                     before=repo.position_public(position))
        stored.positions.remove(position)
        repo.touch(stored)
        return
    current = _row_of(row["index"], repo.position_public(position))["values"]
    changed = {k: v for k, v in row["values"].items() if current.get(k) != v}
    changed |= {k: None for k in current if k not in row["values"] and current[k] not in (None, [], False)}
    changed |= {flag: False for flag in forms.POSITION_FLAGS if current.get(flag) and flag not in row["values"]}
    if changed:
        before = repo.position_public(position)
        repo.update_position(session, stored, position, PositionUpdate.model_validate(changed))
        audit.record(session, viewer.principal, "update", "position", position.id, before=before,
                     after=repo.position_public(position))


def _row_of(index: int, position) -> dict:
    """A stored position in the shape the form posts."""
    data = position.model_dump(mode="json")
    values = {k: data[k] for k in forms.POSITION_FIELDS if data.get(k) not in (None, "")}
    values |= {flag: True for flag in forms.POSITION_FLAGS if data.get(flag)}
    for name in ("required_skills", "desired_skills", "languages"):
        values[name] = data[name]
    return {"index": index, "id": str(position.id), "remove": False, "values": values, "blank": False,
            "filled": position.filled}


def _blank_row(index: int) -> dict:
    return {"index": index, "id": "", "remove": False, "values": {}, "blank": True}


def _renumber(errors: dict, wanted: list[dict]) -> dict:
    """Errors of positions.N (N among the rows sent) onto the form's own row numbers."""
    out = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] == "positions" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(wanted):
            parts[1] = str(wanted[int(parts[1])]["index"])
        out.setdefault(".".join(parts), []).extend(messages)
    return out


def _form(request: Request, session: Session, viewer: Viewer, item, values: dict, rows: list[dict],
          errors: dict, status_code: int = 200):
    title = f"Edit request {item.id}" if item else "New capacity request"
    return render.page(request, "request_form.html", viewer, status_code=status_code, title=title, item=item,
                       values=values, rows=rows, errors=errors, codes=forms.format_codes, **_choices(session))
