"""The ids of seats and suppliers in a solver instance: written and read here, and nowhere else.

A seat is ``P{position}-{n}``: seat n (from 1) of a position. A supplier is ``E{id}`` (an expert) or
``O{id}`` (an offer); an offer's slots are booked apart, as ``O{id}#{slot}``.
"""

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

# A row id as it may enter the service: a positive 32-bit integer, what every engine's id column holds
# (a larger one made SQLite raise OverflowError: a 500 instead of a 422).
RowId = Annotated[int, Field(ge=1, le=2_147_483_647)]


@dataclass(frozen=True, slots=True)
class SeatId:
    """Seat ``seat`` (from 1) of position ``position``."""

    position: int
    seat: int

    def __str__(self) -> str:
        return f"P{self.position}-{self.seat}"

    @classmethod
    def parse(cls, text: str) -> "SeatId":
        """``P12-3`` → SeatId(12, 3); ValueError on anything else."""
        head, dash, seat = text.partition("-")
        if head[:1] != "P" or not dash or not head[1:].isdigit() or not seat.isdigit():
            raise ValueError(f"not a seat id: {text!r} (P<position>-<seat>)")
        return cls(int(head[1:]), int(seat))

    def of_position(self, position: int) -> bool:
        return self.position == position


@dataclass(frozen=True, slots=True)
class SupplierId:
    """An expert or an offer, never both."""

    expert: int | None = None
    offer: int | None = None

    def __post_init__(self) -> None:
        if (self.expert is None) == (self.offer is None):
            raise ValueError("a supplier is an expert or an offer")

    @classmethod
    def of(cls, expert_id: int | None, offer_id: int | None) -> "SupplierId":
        """The expert if given, else the offer (as the assignment and deployment rows hold them)."""
        return cls(expert=expert_id) if expert_id is not None else cls(offer=offer_id)

    @classmethod
    def parse(cls, text: str) -> "SupplierId":
        """``E17`` → an expert, ``O4`` → an offer; ValueError on anything else."""
        kind, number = text[:1], text[1:]
        if kind not in ("E", "O") or not number.isdigit():
            raise ValueError(f"not a supplier id: {text!r} (E<expert> or O<offer>)")
        return cls(expert=int(number)) if kind == "E" else cls(offer=int(number))

    @property
    def kind(self) -> Literal["expert", "offer"]:
        return "expert" if self.expert is not None else "offer"

    @property
    def number(self) -> int:
        return self.expert if self.expert is not None else self.offer  # type: ignore[return-value]

    def __str__(self) -> str:
        return f"E{self.expert}" if self.expert is not None else f"O{self.offer}"

    def booking_key(self, slot: int) -> str:
        """What double-booking compares: a person, or one slot of an offer."""
        return str(self) if self.expert is not None else f"{self}#{slot}"
