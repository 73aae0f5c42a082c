"""Page: a Member State's offers and experts — readiness, expiry, one-click renewal, status."""

from datetime import date, timedelta

from fastapi import APIRouter, Request

from schemas.dates import LAST_DAY
from schemas.roster import OfferUpdate
from service.offers import repository as repo
from service.offers import service as offers_service
from service.platform.deps import SessionDep
from service.platform.errors import RosterError
from service.platform.unit import Unit
from service.roster import repository as expert_repo
from service.web import forms, render
from service.web.session import ContributorViewer, CurrentViewer, PostedForm

router = APIRouter(prefix="/ui/offers")
MAX_ROWS = 200
RENEWAL = timedelta(days=365)
SOON = timedelta(days=60)


def renewed_until(expires_on: date, today: date) -> date:
    """A renewal runs a year from the later of today and the current expiry (kept within the dates the service
    takes, whatever an older release let in)."""
    return min(max(expires_on, today), LAST_DAY) + RENEWAL


@router.get("")
def offers(request: Request, session: SessionDep, viewer: CurrentViewer):
    """Offers and experts in the viewer's scope (a Member State sees only its own)."""
    data, count = repo.list_offers(session, viewer.principal, {}, MAX_ROWS, 0)
    everyone = expert_repo.ExpertFilter()
    experts = expert_repo.page_experts(session, viewer.principal, everyone, MAX_ROWS, 0)
    expert_count = expert_repo.count_experts(session, viewer.principal, everyone)
    today = date.today()
    return render.page(
        request,
        "offers.html",
        viewer,
        title="Offers",
        offers=data,
        count=count,
        experts=experts,
        expert_count=expert_count,
        soon=today + SOON,
        renewal={o.id: renewed_until(o.expires_on, today) for o in data},
    )


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
