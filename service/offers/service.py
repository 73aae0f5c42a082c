"""Use cases of offers: registered, changed, renewed and withdrawn."""

from schemas.ids import SupplierId
from schemas.roster import AssessmentCreate, AssessmentPublic, OfferCreate, OfferPublic, OfferUpdate, ReadinessChange
from service.offers import repository as repo
from service.platform import hooks, locks
from service.platform.auth import Principal
from service.platform.etags import check_if_match
from service.platform.readpool import ReadPool
from service.platform.unit import Unit
from service.platform.usecase import use_case


@use_case
def create_offer(unit: Unit, *, body: OfferCreate) -> OfferPublic:
    """Register an offer, its audit entry and the answer kept for its Idempotency-Key, in one transaction."""
    public = repo.create(unit.session, unit.principal, body)
    unit.audit("create", "offer", public.id, after=public)
    return unit.commit(public, status=201)


async def create_offer_at_once(pool: ReadPool, *, principal: Principal, body: OfferCreate) -> OfferPublic | None:
    """The offer and its audit entry in one statement on the event loop, or None: then ``create_offer``."""
    return await repo.create_on_loop(pool, principal, body)


@use_case
def update_offer(unit: Unit, *, offer_id: int, body: OfferUpdate, if_match: str | None) -> OfferPublic:
    """Change, renew (new ``expires_on``) or withdraw an offer unless If-Match is stale (412); live deployments
    it breaks are flagged."""
    locks.lock_suppliers(unit.session, [str(SupplierId(offer=offer_id))])
    offer = repo.get_visible(unit.session, unit.principal, offer_id)

    def change() -> None:
        repo.update(unit.session, unit.principal, offer, body)
        hooks.announce(unit, offers=[offer_id])

    return unit.update(offer, entity="offer", if_match=if_match, public=repo.to_public, change=change)


@use_case
def record_assessment(unit: Unit, *, offer_id: int, visit: AssessmentCreate) -> AssessmentPublic:
    """HQ records an assessment visit; a passed one raises the offer to `assessed`. Audited (the visit, and the
    offer before and after when its readiness rose)."""
    locks.lock_suppliers(unit.session, [str(SupplierId(offer=offer_id))])
    offer = repo.get_visible(unit.session, unit.principal, offer_id)
    before = repo.to_public(offer)
    recorded = repo.add_assessment(unit.session, unit.principal, offer, visit)
    unit.audit("assess", "offer_assessment", recorded.id, after=recorded)
    event = {"offer_id": offer_id, "title": offer.title, "visited_on": recorded.visited_on, "result": recorded.result}
    hooks.publish(unit, "offer.assessed", state=offer.state, entity="offer", entity_id=offer_id, payload=event)
    if offer.readiness != before.readiness:
        _readiness_changed(unit, offer, before, f"assessment visit of {recorded.visited_on} passed")
    return unit.commit(recorded, status=201)


def list_assessments(session, principal: Principal, *, offer_id: int) -> list[AssessmentPublic]:
    """An offer's visits (404 for another state's offer, as for the offer itself)."""
    repo.get_visible(session, principal, offer_id)
    return repo.assessments(session, offer_id)


@use_case
def change_readiness(unit: Unit, *, offer_id: int, body: ReadinessChange, if_match: str | None) -> OfferPublic:
    """HQ sets an offer's readiness (above `pledged` only on a passed visit), the reason in the audit trail."""
    locks.lock_suppliers(unit.session, [str(SupplierId(offer=offer_id))])
    offer = repo.get_visible(unit.session, unit.principal, offer_id)
    check_if_match(if_match, offer.version)
    before = repo.to_public(offer)
    if body.readiness == offer.readiness:
        return before
    repo.set_readiness(unit.session, offer, body.readiness)
    _readiness_changed(unit, offer, before, body.reason)
    return unit.commit(repo.to_public(offer))


def _readiness_changed(unit: Unit, offer, before: OfferPublic, reason: str) -> None:
    """Audited with its reason, announced (deployments of the offer are rechecked) and published as an event."""
    after = repo.to_public(offer).model_dump(mode="json") | {"reason": reason}
    unit.audit("readiness", "offer", offer.id, before=before, after=after)
    hooks.announce(unit, offers=[offer.id])
    change = {"offer_id": offer.id, "title": offer.title, "from": before.readiness, "to": offer.readiness}
    hooks.publish(
        unit,
        "offer.readiness_changed",
        state=offer.state,
        entity="offer",
        entity_id=offer.id,
        payload=change | {"reason": reason},
    )
