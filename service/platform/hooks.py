"""Changes that may break a live deployment, announced by the domain that makes them to whoever listens.

Roster, offers and requests sit below planning, which alone knows the rules a deployment must keep: they
announce what they changed, and planning listens (``planning/risks.py``, installed by the app and the
CLI). Listeners run in the announcing transaction, before its commit, so a deployment flagged at risk and
the change that broke it commit together, or neither does.
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
