"""Schemathesis against the live app: every operation, once per role and once without a token.

Checks: no 5xx, every response matches its documented schema, every status code is documented.
The examples are derandomised so CI is repeatable; raise ROSTER_FUZZ_EXAMPLES to explore further.
"""

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from sqlmodel import Session

from schemas.enums import Role
from service.app import create_app
from service.platform.auth import issue_token
from service.platform.settings import Settings
from service.seeding import seed_demo

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
ROLES = ("none", "admin", "hq", "planner", "member_state")
EXAMPLES = int(os.environ.get("ROSTER_FUZZ_EXAMPLES", "6"))
# The SSE stream stays open until its plan ends (no worker runs here), and revoking tokens would
# only fuzz the fuzzer's own credentials away; both are covered by their own tests.
EXCLUDED = {("GET", "/plans/{plan_id}/events"), ("DELETE", "/tokens/{token_id}")}
RAN: Counter = Counter()
HEADERS: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="module")
def fuzzed_app(databases, template_url):
    url = databases.clone(template_url)
    app = create_app(Settings(database_url=url, environment="test", worker="external"))
    with Session(app.state.engine) as session:
        seed_demo(session, experts=30, offers=6, requests=6)
        for role in ROLES[1:]:
            _, secret = issue_token(
                session, role=Role(role), name=f"fuzz {role}", state="NOR" if role == "member_state" else None
            )
            HEADERS[role] = {"Authorization": f"Bearer {secret}"}
        session.commit()
    HEADERS["none"] = {}
    yield app
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def operations(fuzzed_app) -> list:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if (op.method.upper(), op.path) not in EXCLUDED]


def _fuzz(operation, headers: dict[str, str]) -> int:
    """Run the generated cases of one operation; the number run (raises on the first failure)."""
    ran = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case) -> None:
        nonlocal ran
        merged = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"} | headers
        case.call_and_validate(headers=merged, checks=CHECKS)
        ran += 1

    run()
    return ran


@pytest.mark.parametrize("role", ROLES)
def test_every_operation(operations, role):
    failures = []
    for operation in operations:
        try:
            RAN[role] += _fuzz(operation, HEADERS[role])
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_enough_cases_ran():
    """At least 1,000 generated cases in all, and every role fuzzed."""
    assert sum(RAN.values()) >= 1000, RAN
    assert set(RAN) == set(ROLES), RAN
