"""Routes: the roster of experts."""

from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel, Field, WithJsonSchema

from schemas.dates import Day
from schemas.enums import Category, Level, Role, Source
from schemas.roster import ISO3, DuplicatesPublic, ExpertCreate, ExpertPublic, ExpertsPublic, ExpertUpdate
from service.platform.auth import Principal
from service.platform.deps import ContributorUser, CurrentUser, SessionDep, require
from service.platform.errors import not_found
from service.platform.etags import json_answer, set_etag
from service.platform.lean import lean_get
from service.platform.params import Id, Limit, Offset, check_range, parse_code_min
from service.platform.readcache import audience, roster_version
from service.platform.readpool import fetch
from service.platform.unit import Unit
from service.roster import repository as repo
from service.roster import search
from service.roster import service as roster_service

router = APIRouter(prefix="/experts", tags=["experts"])


# The form, as the schema can say it; parse_code_min gives the words when a value is not in it.
CodeMin = Annotated[str, WithJsonSchema({"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9-]*(:[1-5])?$"})]


class ExpertSearch(BaseModel):
    """The filters of ``GET /experts``, validated at once (one model, not a parameter each)."""

    skill: list[CodeMin] = Field([], description="CODE or CODE:MIN, repeatable; all must hold")
    min_proficiency: int = Field(1, ge=1, le=5, description="minimum for skills given without :MIN")
    language: list[CodeMin] = Field([], description="ISO 639-1 code or code:MIN, repeatable")
    level: Level | None = None
    category: Category | None = None
    nationality: str | None = Field(None, pattern=ISO3)
    state: str | None = Field(None, pattern=ISO3)
    source: Source | None = None
    active: bool | None = None
    available_from: Day | None = Field(None, description="available for all of [from, to]; alone: on that day")
    available_to: Day | None = Field(None, description="alone: available on that day")
    q: str | None = Field(None, max_length=100, description="part of the name")
    limit: Limit = 50
    offset: Offset = 0
    after: int | None = Field(None, ge=0, le=2_147_483_647, description="keyset paging: experts with a larger id")
    exact_count: bool = Field(False, description="count exactly even where an estimate is much cheaper")


@lean_get(router, "", response_model=ExpertsPublic)
async def list_experts(principal: CurrentUser, request: Request, query: Annotated[ExpertSearch, Query()]):
    """List experts, filtered, by id; Member States see only their own.

    Page with ``after`` (the previous page's ``next_after``: fast at any depth) or ``offset``. ``count`` is
    exact unless ``count_exact`` is false: then it is PostgreSQL's estimate; ``exact_count=true`` asks for an
    exact one. Search answers carry no national ids: an expert's own record does.
    """
    check_range(query.available_from, query.available_to, "available_from", "available_to")
    f = repo.ExpertFilter(
        skills=parse_code_min("skill", query.skill, query.min_proficiency, upper=True),
        languages=parse_code_min("language", query.language, 1, upper=False),
        level=query.level,
        category=query.category,
        nationality=query.nationality,
        state=query.state,
        source=query.source,
        active=query.active,
        available_from=query.available_from or query.available_to,
        available_to=query.available_to or query.available_from,
        q=query.q,
    )
    page = search.Paging(after=query.after, limit=query.limit, offset=query.offset, exact_count=query.exact_count)
    return json_answer(*await search.answer(request.app.state, principal, f, page))


@router.post("", response_model=ExpertPublic, status_code=status.HTTP_201_CREATED)
def create_expert(
    session: SessionDep, principal: ContributorUser, body: ExpertCreate, response: Response, request: Request
):
    """Add an expert to the roster (Member States nominate their own)."""
    public = roster_service.create_expert(Unit.of(session, principal, request), body=body)
    set_etag(response, public.version)
    response.headers["Location"] = f"/experts/{public.id}"
    return public


@router.get("/duplicates", response_model=DuplicatesPublic)
def list_duplicates(session: SessionDep, principal: Annotated[Principal, Depends(require(Role.admin, Role.hq))]):
    """Experts of different Member States (or UN staff) sharing an e-mail or a national id, for HQ to resolve.

    Each state's e-mails and national ids are unique within that state only, so that no state can block or
    discover another's people; the same person put forward twice shows up here instead.
    """
    return roster_service.duplicates(session, principal=principal)


@lean_get(router, "/{expert_id:int}", response_model=ExpertPublic)
async def get_expert(principal: CurrentUser, expert_id: Id, request: Request):
    """One expert, with an ETag for later updates.

    An expert read before, while the roster has not changed since, is answered after reading the
    roster's version alone; otherwise the version and the expert are read in one statement.
    """
    # who reads matters twice: which experts a Member State reaches, and which fields each role sees
    hidden = search.hidden_for(principal)
    state, key = request.app.state, ("expert", audience(principal), hidden, expert_id)
    if not (state.roster_cache.holds(key) and (kept := state.roster_cache.get(key, await roster_version(state)))):
        rows = await fetch(
            state,
            search.one_statement(principal.role == Role.member_state, hidden),
            search.one_params(principal, expert_id),
        )
        if not rows:
            raise not_found("expert", expert_id)
        roster, version, text = rows[0]
        kept = state.roster_cache.remember(key, roster, lambda: (text.encode(), version))
    if "national_id" not in hidden and not search.holds_null(kept[0], "national_id"):
        await anyio.to_thread.run_sync(partial(roster_service.audit_view, state.engine, principal, expert_id))
    return json_answer(*kept)


@router.patch("/{expert_id:int}", response_model=ExpertPublic)
def update_expert(
    session: SessionDep,
    principal: ContributorUser,
    expert_id: Id,
    body: ExpertUpdate,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """Change some fields of an expert; a stale If-Match answers 412."""
    unit = Unit.of(session, principal)
    public = roster_service.update_expert(unit, expert_id=expert_id, body=body, if_match=if_match)
    set_etag(response, public.version)
    return public


@router.delete("/{expert_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_expert(
    session: SessionDep,
    principal: ContributorUser,
    expert_id: Id,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Deactivate an expert (a soft delete: the record stays, inactive, for its deployments and plans)."""
    roster_service.delete_expert(Unit.of(session, principal), expert_id=expert_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
