"""Changes that may break a live deployment, and events, announced by the domain that makes them to whoever
listens.

Roster, offers and requests sit below planning, which alone knows the rules a deployment must keep: they
announce what they changed, and planning listens (``planning/risks.py``, installed by the app and the
CLI). Listeners run in the announcing transaction, before its commit, so a deployment flagged at risk and
the change that broke it commit together, or neither does.

They sit below notifications too, which keeps the event outbox: ``publish`` hands an event to it
(``notifications/outbox.install``, by the app and the CLI), in the same transaction as the change it reports.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.platform.unit import Unit


@dataclass(frozen=True)
class Changed:
    """The ids of the rows a change touched, by kind."""

    experts: frozenset[int] = frozenset()
    offers: frozenset[int] = frozenset()
    positions: frozenset[int] = frozenset()
    requests: frozenset[int] = frozenset()


Listener = Callable[["Unit", Changed], None]
_listeners: list[Listener] = []
Publisher = Callable[..., None]  # (session, type, *, state, entity, entity_id, payload)
_publishers: list[Publisher] = []


def listen(listener: Listener) -> None:
    """Call ``listener`` on every announced change from now on (once, however often it is installed)."""
    if listener not in _listeners:
        _listeners.append(listener)


def announce(
    unit: "Unit",
    *,
    experts: Iterable[int] = (),
    offers: Iterable[int] = (),
    positions: Iterable[int] = (),
    requests: Iterable[int] = (),
) -> None:
    """Tell every listener, in this transaction, that these rows changed."""
    changed = Changed(frozenset(experts), frozenset(offers), frozenset(positions), frozenset(requests))
    if not (changed.experts or changed.offers or changed.positions or changed.requests):
        return
    for listener in list(_listeners):
        listener(unit, changed)


def on_event(publisher: Publisher) -> None:
    """Hand every published event to ``publisher`` from now on (once, however often it is installed)."""
    if publisher not in _publishers:
        _publishers.append(publisher)


def publish(unit: "Unit", type: str, *, state: str | None, entity: str, entity_id: object, payload: object) -> None:
    """An event about this change, in this transaction; ``state``: the Member State concerned (None: HQ only)."""
    for publisher in list(_publishers):
        publisher(unit.session, type, state=state, entity=entity, entity_id=entity_id, payload=payload)
