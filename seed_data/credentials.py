"""Credential types (reference data) and the demo's credentials: experts' own and offers' attestations.

The types follow what is checked before anyone travels to a UN peace operation: the human-rights screening, the
core pre-deployment training, a medical clearance, the hostile-environment training (SSAFE) for civilians, a
language test, and for police the UN driving and firearms tests.
"""

import random
from datetime import date, timedelta

from schemas.enums import SCREENING, Category
from schemas.roster import CredentialIn, CredentialTypeCreate, ExpertCreate, OfferCreate

ALL = list(Category)
TYPES = [
    CredentialTypeCreate(
        code=SCREENING,
        name="human-rights screening",
        description="the UN's human-rights screening of personnel: no involvement in violations",
        default_for=ALL,
    ),
    CredentialTypeCreate(
        code="CPTM",
        name="core pre-deployment training",
        description="the UN's core pre-deployment training materials, completed",
        validity_months=60,
        default_for=ALL,
    ),
    CredentialTypeCreate(code="MEDICAL", name="medical clearance", validity_months=24, default_for=ALL),
    CredentialTypeCreate(
        code="SSAFE",
        name="hostile-environment training (SSAFE)",
        description="safe and secure approaches in field environments",
        validity_months=36,
        default_for=[Category.civilian],
    ),
    CredentialTypeCreate(code="LANGUAGE-TEST", name="UN language proficiency test"),
    CredentialTypeCreate(
        code="DRIVING-TEST", name="UN driving test", validity_months=36, default_for=[Category.police]
    ),
    CredentialTypeCreate(
        code="FIREARMS-TEST", name="firearms proficiency test", validity_months=24, default_for=[Category.police]
    ),
]
VALIDITY = {t.code: t.validity_months for t in TYPES}
# code: share of the demo's people who hold it, the categories it is drawn for (None: everyone)
HELD = [
    ("CPTM", 0.97, None),
    ("MEDICAL", 0.97, None),
    ("SSAFE", 0.95, {Category.civilian}),
    ("LANGUAGE-TEST", 0.3, None),
    ("DRIVING-TEST", 0.95, {Category.police}),
    ("FIREARMS-TEST", 0.95, {Category.police}),
]


def _credential(rng: random.Random, code: str, today: date) -> CredentialIn:
    """Issued in the past and valid as long as its type allows; a few expired, a few expiring within two months
    (the pages flag them), most valid for a year or more."""
    months = VALIDITY.get(code)
    lasts = (months or 60) * 28  # days, within the type's validity whatever the months
    r = rng.random()
    if r < 0.03:
        issued = today - timedelta(days=lasts + rng.randint(1, 300))
    elif r < 0.07:
        issued = today - timedelta(days=lasts - rng.randint(1, 60))
    else:
        issued = today - timedelta(days=rng.randint(0, lasts // 3))
    return CredentialIn(
        code=code,
        issued_on=issued,
        expires_on=issued + timedelta(days=lasts),
        verified_by="demo data",
        verified_on=issued,
    )


def _held(rng: random.Random, category: Category, today: date) -> list[CredentialIn]:
    return [
        _credential(rng, code, today)
        for code, share, categories in HELD
        if (categories is None or category in categories) and rng.random() < share
    ]


def experts_with_credentials(rng: random.Random, experts: list[ExpertCreate], today: date) -> list[ExpertCreate]:
    """The demo's people with credentials (their screening stays the field it was drawn as)."""
    return [e.model_copy(update={"credentials": _held(rng, e.category, today)}) for e in experts]


def offers_with_credentials(rng: random.Random, offers: list[OfferCreate], today: date) -> list[OfferCreate]:
    """Each offer with its team's attestations, the screening through the end of its availability."""
    screening = "demo data"
    return [
        o.model_copy(
            update={
                "credentials": [
                    CredentialIn(code=SCREENING, expires_on=o.available_to, verified_by=screening),
                    *_held(rng, o.category, today),
                ]
            }
        )
        for o in offers
    ]
