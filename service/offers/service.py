"""Use cases of offers: registered, changed, renewed and withdrawn."""

from schemas.ids import SupplierId
from schemas.roster import OfferCreate, OfferPublic, OfferUpdate
from service.offers import repository as repo
from service.platform import hooks, locks
from service.platform.auth import Principal
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
