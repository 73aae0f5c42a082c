"""The events of calls and nominations, scoped so that a Member State learns nothing about another's.

An event to a Member State carries its ``state`` (it and HQ see it in /events). A call to every state is one
event without a state, of a type the feed shows to every Member State (``outbox.PUBLIC_TYPES``): one row, not
193; a call to a list of states is one event per invited state, and no payload names the others.
"""

from typing import Any

from sqlmodel import Session

from schemas.nominations import CallPublic, NominationPublic
from service.notifications.outbox import emit
from service.platform.tables import Nomination, NominationCall


def call_event(
    session: Session, call: NominationCall, type: str, public: CallPublic, invited: list[str], **extra: Any
) -> None:
    """``call.opened`` or ``call.closed``: to every state at once, or to each invited state."""
    payload = public.model_dump(mode="json", exclude={"states", "opened_by", "closed_by", "version"})
    payload = {"call_id": call.id, **payload, **extra}
    payload.pop("id")
    states: list[str | None] = [None] if call.all_states else list(invited)
    for state in states:
        emit(session, type, state=state, entity="nomination_call", entity_id=call.id, payload=payload)


def nomination_event(session: Session, row: Nomination, type: str, public: NominationPublic, **extra: Any) -> None:
    """An event about a nomination, to its state (and to HQ, who sees every event)."""
    payload = public.model_dump(
        mode="json",
        include={"call_id", "position_id", "supplier_key", "supplier_name", "status", "decision_note", "stages"},
    )
    payload = {"nomination_id": row.id, **payload, **extra}
    emit(session, type, state=row.state, entity="nomination", entity_id=row.id, payload=payload)
