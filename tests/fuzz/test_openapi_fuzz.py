"""Schemathesis against the live app as its command line runs it: every phase (examples, coverage, fuzzing,
stateful) and every check it has, once per role and once without a token, each on its own seeded database.

The checks are all of ``schemathesis.checks.CHECKS``: besides no 5xx and answers that match their schema and
documented status codes, schema-valid requests must be accepted (positive_data_acceptance), invalid ones
refused (negative_data_rejection), a method a path lacks answered 405 with the right ``Allow``, a bad token
refused (ignored_auth), a deleted resource gone and a created one there (use_after_free,
ensure_resource_availability), and so on. The run is seeded so CI is repeatable; raise ROSTER_FUZZ_EXAMPLES
to explore further.
"""

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from schemathesis.checks import CHECKS
from schemathesis.config import HealthCheck
from schemathesis.engine import Status, events, from_schema
from sqlmodel import Session

from schemas.enums import Role
from service.app import create_app
from service.platform.auth import issue_token
from service.platform.ratelimit import SignInThrottle
from service.platform.settings import Settings
from service.seeding import seed_demo

ROLES = ("none", "admin", "hq", "planner", "member_state")
EXAMPLES = int(os.environ.get("ROSTER_FUZZ_EXAMPLES", "6"))
SEED = 20261206
# The SSE stream stays open until its plan ends (no worker runs here), and revoking tokens would
# only fuzz the fuzzer's own credentials away; both are covered by their own tests.
EXCLUDED = (("GET", "/plans/{plan_id}/events"), ("DELETE", "/tokens/{token_id}"))
RAN: Counter = Counter()
PHASES = {"examples", "coverage", "fuzzing", "stateful"}
# The engine runs in threads of its own: one that dies must fail the test, not leave it green with less run.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

# positive_data_acceptance takes every request the schema allows for one the service must accept. A few rules
# of the service cannot be written in an OpenAPI schema, so a request that breaks one is schema-valid and is
# still refused, with a 422 that names the rule: these, and only these, are not counted as failures.
RULES = (
    r"unknown .*(code|mission|id)|see GET /|does not exist",  # codes and ids must name rows that exist
    r"is not a live deployment",  # ids in a body must name rows that exist (and still live)
    r"is (before|above) .*: (swap them|change both)",  # a period, a grade range in order (fields, or field and row)
    r"is longer than \d+ years",  # a report's period is at most five years long (the same: two fields)
    r"is in the past|is after today",  # an offer expires after today, a visit took place (today is no schema's)
    r"more than once|pinned twice",  # each id once across lists (uniqueItems holds within one list only)
    r"^nothing to review",  # a review decides at least one assignment (across four optional lists)
    r"^name the offering Member State|token can only",  # what a role may send depends on the token (its state)
    r"exceeds trainees|needs trainees|trainees at|need a group label",  # a position's fields that go together
    r"^readiness changes only through",  # PATCH may send an offer's readiness back unchanged, not change it
    r"record a passed one first",  # readiness above pledged needs a passed assessment visit (stored state)
    r"is closed: requests go to active missions",  # a request names a mission still active (stored state)
    r"^name the mission: only a Member State|^a proposed request is a Member State's",  # HQ's request: by role
    r"starts proposed, until HQ accepts|withdraws its request with POST",  # a Member State's request: by role
    r"goes from or to proposed only through HQ's decision",  # a status change that depends on the stored one
    r"^say why in 'note'",  # a note is required to decline (one field's rule depends on another's value)
    r"await HQ's decision|were declined by HQ",  # a plan names requests HQ accepted (stored state)
    r"webhooks go to public addresses only",  # a webhook's host must resolve, to public addresses only (DNS)
    r"is valid for at most \d+ months|are no longer in use",  # a credential type's validity, in use (stored rows)
    r"disagree: give the screening once",  # the screening field and an HR-SCREENING credential (two fields)
)
# use_after_free takes a DELETE for a removal. DELETE /subscriptions/{id} is documented as a deactivation: the
# subscription stays readable (active false, listed with ?active=false) with its delivery history, the record
# of what was sent where.
SOFT_DELETES = ("/subscriptions/",)
RULE = re.compile("|".join(f"(?:{rule})" for rule in RULES))


def _a_rule_the_schema_cannot_say(response) -> bool:
    """A 422 whose every problem is one of RULES, a 412 (If-Match names a version that is no longer current:
    the schema says what an ETag looks like, not which one is current), or an import refused for its content
    (the schema says a file is sent, not what a spreadsheet must hold)."""
    if response is None or response.status_code not in (412, 422):
        return False
    if response.status_code == 412:
        return True
    body = json.loads(response.content or b"{}")
    if body.get("error") == "import_rejected":
        return True
    problems = body.get("detail") if isinstance(body.get("detail"), list) else []
    return bool(problems) and all(RULE.search(p.get("message", "")) for p in problems)


@dataclass
class Outcome:
    cases: int = 0
    checks: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    ruled: Counter = field(default_factory=Counter)  # refusals by one of RULES
    phases: Counter = field(default_factory=Counter)  # scenarios finished in each phase


def _app(databases, template_url: str, role: str):
    """A seeded app and the headers of one token of ``role`` (none for ``"none"``)."""
    app = create_app(Settings(database_url=databases.clone(template_url), environment="test", worker="external"))
    # ignored_auth sends hundreds of bad tokens from one address on purpose; the throttle would rightly answer
    # the eleventh with 429 (tests/service/test_security.py), which says nothing about the auth of the operation.
    app.state.sign_in_throttle = SignInThrottle(app.state.engine, limit=1_000_000)
    headers = {}
    with Session(app.state.engine) as session:
        seed_demo(session, experts=30, offers=6, requests=6)
        if role != "none":
            state = "NOR" if role == "member_state" else None
            _, secret = issue_token(session, role=Role(role), name=f"fuzz {role}", state=state)
            headers = {"Authorization": f"Bearer {secret}"}
        session.commit()
    return app, headers


def _schema(app, headers: dict[str, str]):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.update(headers=headers)
    schema.config.checks.update(included_check_names=["all"])
    schema.config.generation.update(max_examples=EXAMPLES)
    schema.config.seed = SEED
    # Dates are a format and a pattern (their 1900-2100 range) at once: generating them filters many draws.
    schema.config.update(suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
    for method, path in EXCLUDED:
        schema = schema.exclude(method=method, path=path)
    return schema


def _documented_exception(check: str, failure: object, response) -> bool:
    """A failure that the service's documented behaviour explains (see RULES and SOFT_DELETES)."""
    if check == "positive_data_acceptance":
        return _a_rule_the_schema_cannot_say(response)
    return check == "use_after_free" and any(f"deleted with `DELETE {p}" in str(failure) for p in SOFT_DELETES)


def _response(event: events.ScenarioFinished, case_id: str):
    interaction = event.recorder.interactions.get(case_id)
    return interaction.response if interaction else None


def _failure(event: events.ScenarioFinished, case_id: str, check: str, failure: object) -> str:
    node = event.recorder.cases.get(case_id)
    response = _response(event, case_id)
    request = f"{node.value.method} {node.value.formatted_path}" if node else "?"
    sent = f" query={node.value.query} body={str(node.value.body)[:400]}" if node else ""
    answer = f" -> {response.status_code} {(response.content or b'')[:600]!r}" if response else ""
    return f"[{event.phase.value}] {check}: {request}{sent}{answer}\n{str(failure)[:600]}"


def _run(schema) -> Outcome:
    outcome = Outcome()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            outcome.cases += len(event.recorder.cases)
            outcome.phases[event.phase.value] += 1
            for case_id, nodes in event.recorder.checks.items():
                for node in nodes:
                    outcome.checks[node.name] += 1
                    if node.status == Status.FAILURE and node.failure_info is not None:
                        if _documented_exception(node.name, node.failure_info.failure, _response(event, case_id)):
                            outcome.ruled[node.name] += 1
                            continue
                        outcome.failures.append(_failure(event, case_id, node.name, node.failure_info.failure))
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            outcome.failures.append(f"error: {event}")
    return outcome


def test_every_check_is_on():
    schema = schemathesis.openapi.from_dict({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}})
    schema.config.checks.update(included_check_names=["all"])
    names = set(CHECKS.get_all_names())
    assert {"positive_data_acceptance", "negative_data_rejection", "use_after_free", "ignored_auth"} <= names
    assert all(schema.config.checks.get_by_name(name=name).enabled for name in names)


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_every_check(databases, template_url, role):
    app, headers = _app(databases, template_url, role)
    try:
        outcome = _run(_schema(app, headers))
    finally:
        app.state.engine.dispose()
        app.state.read_engine.dispose()
    RAN[role] = outcome.cases
    assert not outcome.failures, f"{len(outcome.failures)} failures:\n\n" + "\n\n".join(outcome.failures[:40])
    assert outcome.checks["not_a_server_error"] >= 200, outcome.checks
    assert set(outcome.phases) >= PHASES, outcome.phases


def test_enough_cases_ran():
    """At least 1,000 generated cases in all, and every role fuzzed."""
    assert sum(RAN.values()) >= 1000, RAN
    assert set(RAN) == set(ROLES), RAN
