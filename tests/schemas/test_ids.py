"""Seat and supplier ids: written and read in one place, each the inverse of the other."""

import pytest

from schemas.ids import SeatId, SupplierId


@pytest.mark.parametrize("seat", [SeatId(1, 1), SeatId(12, 3), SeatId(4051, 17)])
def test_a_seat_id_reads_back_as_written(seat):
    assert SeatId.parse(str(seat)) == seat


def test_a_seat_id_names_position_and_seat():
    assert str(SeatId(12, 3)) == "P12-3"
    assert SeatId.parse("P12-3").position == 12 and SeatId.parse("P12-3").seat == 3


def test_seats_of_position_1_are_not_those_of_position_12():
    """The old test ``startswith("P1-")`` held; ``startswith("P1")`` would not have."""
    assert SeatId.parse("P12-1").position != 1


@pytest.mark.parametrize("text", ["", "P", "P12", "P-3", "Q12-3", "P12-x", "E12", "P12-3-4", "P1 2-3"])
def test_anything_else_is_not_a_seat_id(text):
    with pytest.raises(ValueError, match="not a seat id"):
        SeatId.parse(text)


@pytest.mark.parametrize("supplier", [SupplierId(expert=17), SupplierId(offer=5)])
def test_a_supplier_id_reads_back_as_written(supplier):
    assert SupplierId.parse(str(supplier)) == supplier


def test_an_expert_is_booked_as_a_person_and_an_offer_by_slot():
    assert SupplierId.of(17, None).booking_key(1) == "E17"
    assert SupplierId.of(None, 5).booking_key(2) == "O5#2"
    assert SupplierId.of(None, 5).kind == "offer" and SupplierId.of(17, None).kind == "expert"


def test_a_supplier_is_one_or_the_other():
    with pytest.raises(ValueError):
        SupplierId()
    with pytest.raises(ValueError):
        SupplierId(expert=1, offer=2)


@pytest.mark.parametrize("text", ["", "E", "X17", "E-1", "O5#2", "17"])
def test_anything_else_is_not_a_supplier_id(text):
    with pytest.raises(ValueError, match="not a supplier id"):
        SupplierId.parse(text)
