"""Store the answer to an Idempotency-Key request in the same transaction as the write it answers.

Then a crash between the commit and the answer cannot make a retry write again: the retry finds
the stored answer and replays it (see ``service.middleware``).
"""

import json

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session

from service.tables import IdempotencyRecord


def claimed(request: Request) -> bool:
    """Whether the request came with an Idempotency-Key (claimed by the middleware): its answer is to be kept."""
    return _claim(request) is not None


def _claim(request: Request) -> tuple[str, str] | None:
    return request.scope.get("state", {}).get("idempotency")


def settle(session: Session, request: Request, status: int, body: object) -> None:
    claim = _claim(request)
    if claim is None:
        return
    token_hash, key = claim
    session.exec(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.token_hash == token_hash, IdempotencyRecord.key == key)
        .values(status_code=status, response_body=_json(body), content_type="application/json")
    )


def _json(body: object) -> str:
    """The body as FastAPI sends it: pydantic's JSON mode for models."""
    if isinstance(body, BaseModel):
        return body.model_dump_json()
    return json.dumps(jsonable_encoder(body), separators=(",", ":"))
