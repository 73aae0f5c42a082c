"""What needs a Member State's attention on its offers page: credentials expired or expiring soon (its experts'
and its offers' attestations), offers about to expire, and deployments a later change put at risk."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session

from schemas.enums import OfferStatus
from schemas.planning import DeploymentPublic
from schemas.roster import OfferPublic
from service.deployments import service as deployments_service
from service.platform.auth import Principal
from service.roster import repository as expert_repo

AT_RISK_SHOWN = 2000  # deployments at risk listed at most (a state has far fewer)
LIVE_OFFERS = {OfferStatus.draft, OfferStatus.submitted, OfferStatus.accepted}


@dataclass(frozen=True)
class Lapse:
    """A credential expired or expiring soon, and whose it is."""

    holder: str
    link: str
    code: str
    expires_on: date
    expired: bool


@dataclass
class Attention:
    credentials: list[Lapse] = field(default_factory=list)
    offers: list[OfferPublic] = field(default_factory=list)
    at_risk: list[DeploymentPublic] = field(default_factory=list)

    @property
    def expired(self) -> int:
        return sum(1 for c in self.credentials if c.expired)

    @property
    def expiring(self) -> int:
        return len(self.credentials) - self.expired

    @property
    def any(self) -> bool:
        return bool(self.credentials or self.offers or self.at_risk)


def of(
    session: Session,
    principal: Principal,
    offers: list[OfferPublic],
    *,
    today: date,
    credential_days: int,
    offer_days: int,
    editable: bool,
) -> Attention:
    """Everything in the viewer's scope that needs attention as of ``today``: credentials within
    ``credential_days`` of expiry, live offers within ``offer_days``, deployments at risk."""
    soon = today + timedelta(days=credential_days)
    found = Attention()
    for expert_id, name, code, expires_on in expert_repo.lapsing_credentials(session, principal, soon):
        link = f"/ui/experts/{expert_id}/edit" if editable else f"/ui/offers#expert-{expert_id}"
        found.credentials.append(Lapse(name, link, code, expires_on, expires_on < today))
    live = [o for o in offers if o.status in LIVE_OFFERS]
    for o in live:
        found.credentials += [
            Lapse(f"offer “{o.title}”", f"/ui/offers/{o.id}", c.code, c.expires_on, c.expires_on < today)
            for c in o.credentials
            if c.expires_on <= soon
        ]
    found.credentials.sort(key=lambda c: (c.expires_on, c.holder))
    found.offers = sorted(
        (o for o in live if o.expires_on <= today + timedelta(days=offer_days)), key=lambda o: o.expires_on
    )
    found.at_risk = deployments_service.list_deployments(
        session,
        principal=principal,
        conditions=deployments_service.conditions(at_risk=True),
        limit=AT_RISK_SHOWN,
        offset=0,
    ).data
    return found
