"""Store the answer to an Idempotency-Key request in the same transaction as the write it answers.

Then a crash between the commit and the answer cannot make a retry write again: the retry finds
the stored answer and replays it (see ``service.platform.middleware``).
"""

import json
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlmodel import Session

from service.platform.tables import IdempotencyRecord, utcnow


@dataclass(frozen=True, slots=True)
class Claim:
    """An Idempotency-Key reserved by the middleware for this request: (token hash, key)."""

    token_hash: str
    key: str


def claim_of(request: Request | None) -> Claim | None:
    """The request's claim, if it came with an Idempotency-Key: its answer is to be kept."""
    if request is None:
        return None
    found = request.scope.get("state", {}).get("idempotency")
    return Claim(*found) if found is not None else None


def claimed(request: Request) -> bool:
    """Whether the request came with an Idempotency-Key (claimed by the middleware): its answer is to be kept."""
    return claim_of(request) is not None


def keep(session: Session, claim: Claim | None, status: int, body: object) -> None:
    """Store the answer under the claim, in the session's transaction (nothing without a claim)."""
    if claim is None:
        return
    session.exec(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.token_hash == claim.token_hash, IdempotencyRecord.key == claim.key)
        .values(status_code=status, response_body=_json(body), content_type="application/json")
    )


def settle(session: Session, request: Request, status: int, body: object) -> None:
    keep(session, claim_of(request), status, body)


def _json(body: object) -> str:
    """The body as FastAPI sends it: pydantic's JSON mode for models."""
    if isinstance(body, BaseModel):
        return body.model_dump_json()
    return json.dumps(jsonable_encoder(body), separators=(",", ":"))


def purge(session: Session, keep_hours: float) -> int:
    """Delete the answers kept for longer than ``keep_hours`` (they are no longer replayed); how many went.

    They hold what the write answered (personal data included), so they are kept no longer than a retry needs.
    """
    cutoff = utcnow() - timedelta(hours=keep_hours)
    gone = session.exec(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount
    session.commit()
    return gone
