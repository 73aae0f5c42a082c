"""Retention (issue 23): each data class is purged once past its period, and only then; a dry run changes nothing;
the worker purges when due; /metrics shows the counts."""

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from service.cli import app as cli
from service.planning import worker
from service.platform import audit
from service.platform.settings import Settings, get_settings
from service.platform.tables import (
    AuditEntry,
    Delivery,
    Deployment,
    Erasure,
    Expert,
    IdempotencyRecord,
    OutboxEvent,
    Plan,
    Subscription,
    utcnow,
)
from service.privacy import retention
from service.privacy.erasure import pseudonym_of
from tests.service import factories
from tests.service.test_erasure import _dump

PERIODS = retention.Periods()  # the defaults: 730, 365, 180, 365, 30 days; 24 hours
OLD, RECENT = timedelta(days=800), timedelta(days=10)  # past every period but the answers' / within the shortest
pytestmark = pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")


def _age(engine, model, ids, column: str, by: timedelta, **values) -> None:
    """Rows made older (``column`` moved back ``by``), as if that time had passed; other ``values`` set too."""
    with Session(engine) as session:
        session.exec(update(model).where(col(model.id).in_(ids)).values({column: utcnow() - by, **values}))
        session.commit()


def _purge(engine, periods: retention.Periods = PERIODS) -> dict[str, int]:
    with Session(engine) as session:
        return {line.data_class: line.count for line in retention.purge(session, periods=periods)}


def _report(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {line.data_class: line.count for line in retention.report(session, periods=PERIODS)}


def _expert(client, auth, **overrides) -> int:
    made = client.post("/experts", json=factories.expert_in(2027, **overrides), headers=auth("hq"))
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _position(client, auth) -> dict:
    made = client.post("/requests", json=factories.capacity_request(), headers=auth("hq"))
    assert made.status_code == 201, made.text
    return made.json()["positions"][0]


class TestInactiveExperts:
    def test_erased_past_their_period_unless_active_recent_deployed_or_erased(self, client, auth, engine):
        gone, recent, active, deployed, erased = (_expert(client, auth) for _ in range(5))
        factories.deploy(engine, _position(client, auth)["id"], expert=deployed)
        done = client.post("/privacy/erasures", json={"expert_id": erased, "reason": "asked"}, headers=auth("admin"))
        assert done.status_code == 201, done.text
        _age(engine, Expert, [gone, deployed, erased], "updated_at", OLD, active=False)
        _age(engine, Expert, [recent], "updated_at", RECENT, active=False)
        _age(engine, Expert, [active], "updated_at", OLD)

        assert _report(engine)["inactive experts"] == 1
        assert _purge(engine)["inactive experts"] == 1
        assert _purge(engine)["inactive experts"] == 0
        with Session(engine) as session:
            names = dict(session.exec(select(Expert.id, Expert.full_name)).all())
            marks = session.exec(select(Erasure.expert_id, Erasure.requested_by).order_by(col(Erasure.id))).all()
        assert names[gone] == pseudonym_of(gone)
        assert all(not names[i].startswith("Erased") for i in (recent, active, deployed))
        assert marks == [(erased, "test admin "), (gone, "retention")]
        again = client.post("/privacy/erasures", json={"expert_id": gone, "reason": "x"}, headers=auth("admin"))
        assert again.status_code == 409 and "erased already" in again.json()["detail"]


class TestDeploymentNotes:
    def test_final_deployments_past_their_period_lose_their_notes_live_ones_keep_them(self, client, auth, engine):
        ids = [factories.deploy(engine, _position(client, auth)["id"], expert=_expert(client, auth)) for _ in range(3)]
        old_done, recent_done, old_live = ids
        notes = {"note": "Call Ms Example at home", "override_reason": "Ms Example is the only one"}
        _age(engine, Deployment, ids, "updated_at", timedelta(0), **notes)
        _age(engine, Deployment, [old_done, recent_done], "updated_at", timedelta(0), status="cancelled")
        _age(engine, Deployment, [old_done, old_live], "updated_at", OLD)
        _age(engine, Deployment, [recent_done], "updated_at", RECENT)

        assert _purge(engine)["completed deployments"] == 1
        with Session(engine) as session:
            rows = {d.id: d for d in session.exec(select(Deployment)).all()}
        assert (rows[old_done].note, rows[old_done].override_reason, rows[old_done].version) == ("", None, 2)
        assert rows[recent_done].note == rows[old_live].note == notes["note"]
        assert rows[old_live].override_reason == notes["override_reason"]


class TestPlans:
    def test_superseded_plans_past_their_period_lose_instance_and_result(self, engine):
        with Session(engine) as session:
            plans = [
                Plan(status="succeeded", created_by="t", instance="{}", result="{}", superseded_by=superseded)
                for superseded in (2, 3, None)
            ]
            session.add_all(plans)
            session.commit()
            old, recent, current = (p.id for p in plans)
        _age(engine, Plan, [old, current], "finished_at", timedelta(days=200))
        _age(engine, Plan, [recent], "finished_at", RECENT)

        assert _purge(engine)["plans"] == 1
        with Session(engine) as session:
            kept = dict(session.exec(select(Plan.id, Plan.instance)).all())
        assert kept == {old: None, recent: "{}", current: "{}"}


class TestAuditPersonalFields:
    def test_entries_past_their_period_keep_who_did_what_without_the_personal_fields(self, client, auth, engine):
        expert_id = _expert(client, auth, full_name="Ottoline Vasquez-Marr", email="ovm@example.org")
        with Session(engine) as session:
            (record,) = session.exec(select(AuditEntry.after).where(AuditEntry.entity == "expert")).all()
            principal = retention.SYSTEM
            old = {"before": None, "after": record, "at": utcnow() - OLD}
            session.execute(
                AuditEntry.__table__.insert(),
                [
                    audit.row(principal, "update", "expert", expert_id, **old),
                    audit.row(principal, "view_personal", "expert", expert_id, after={"fields": ["national_id"]}),
                ],
            )
            session.commit()

        assert _purge(engine)["audit personal fields"] == 1
        with Session(engine) as session:
            entries = session.exec(select(AuditEntry).where(AuditEntry.entity == "expert").order_by(AuditEntry.id))
            created, purged, viewed = entries.all()
        assert created.after == record and "ovm@example.org" in str(created.after)
        assert purged.after == {k: v for k, v in record.items() if k not in retention.PERSONAL_KEYS}
        assert {"id", "category", "skills"} <= set(purged.after) and "ovm@example.org" not in str(purged.after)
        assert (purged.action, purged.actor_name) == ("update", "retention")
        assert viewed.after == {"fields": ["national_id"]}

    def test_the_audit_log_is_append_only_again_after_a_purge(self, client, auth, engine):
        _expert(client, auth)
        with Session(engine) as session:
            entry = AuditEntry(actor_name="t", actor_role="admin", action="update", entity="expert", entity_id="1")
            entry.after, entry.at = {"email": "x@example.org", "category": "police"}, utcnow() - OLD
            session.add(entry)
            session.commit()
        assert _purge(engine)["audit personal fields"] == 1
        with Session(engine) as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(text("UPDATE audit_log SET after = NULL"))
            session.commit()


class TestWebhooksAndAnswers:
    def test_done_deliveries_go_and_old_event_bodies_empty_unless_pending(self, client, auth, engine):
        made = client.post("/subscriptions", json={"url": "https://hooks.example.org/h"}, headers=auth("hq"))
        assert made.status_code == 201, made.text
        with Session(engine) as session:
            subscription = session.exec(select(Subscription.id)).one()
            events = [
                OutboxEvent(type="expert.created", entity="expert", entity_id="1", payload={"x": i}) for i in range(3)
            ]
            session.add_all(events)
            session.flush()
            statuses = ("delivered", "pending", "delivered")
            deliveries = [
                Delivery(subscription_id=subscription, event_id=e.id, status=s, delivered_at=utcnow())
                for e, s in zip(events, statuses)
            ]
            session.add_all(deliveries)
            session.commit()
            event_ids, delivery_ids = [e.id for e in events], [d.id for d in deliveries]
        _age(engine, OutboxEvent, event_ids[:2], "at", timedelta(days=40))
        _age(engine, Delivery, delivery_ids[:2], "delivered_at", timedelta(days=40))

        counts = _purge(engine)
        assert (counts["webhook deliveries"], counts["event bodies"]) == (1, 1)
        with Session(engine) as session:
            left = session.exec(select(Delivery.id).order_by(col(Delivery.id))).all()
            payloads = dict(session.exec(select(OutboxEvent.id, OutboxEvent.payload)).all())
        assert left == delivery_ids[1:]
        assert [payloads[i] for i in event_ids] == [{}, {"x": 1}, {"x": 2}]

    def test_stored_answers_past_their_hours_are_deleted(self, client, auth, engine):
        for key in ("old", "new"):
            client.post("/experts", json=factories.expert(), headers=auth("hq") | {"Idempotency-Key": key})
        with Session(engine) as session:
            session.exec(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.key == "old")
                .values(created_at=utcnow() - timedelta(hours=25))
            )
            session.commit()
        assert _purge(engine)["stored idempotent answers"] == 1
        with Session(engine) as session:
            assert session.exec(select(IdempotencyRecord.key)).all() == ["new"]


class TestRuns:
    def test_a_dry_run_changes_nothing_and_counts_what_the_purge_then_does(self, client, auth, engine):
        expert = _expert(client, auth)
        _age(engine, Expert, [expert], "updated_at", OLD, active=False)
        before = _dump(engine)
        would = _report(engine)
        assert _dump(engine) == before
        assert would["inactive experts"] == 1 and would["audit personal fields"] == 0
        assert _purge(engine) == would

    def test_each_run_is_audited_with_its_counts_only(self, client, auth, engine):
        expert = _expert(client, auth, email="quiet@example.org")
        _age(engine, Expert, [expert], "updated_at", OLD, active=False)
        _purge(engine)
        _purge(engine)
        with Session(engine) as session:
            runs = session.exec(select(AuditEntry).where(AuditEntry.action == "purge")).all()
        assert [r.after["purged"]["inactive experts"] for r in runs] == [1, 0]
        assert runs[0].after["periods"]["closed requests"] == "kept: holds no personal data"
        assert "quiet@example.org" not in str(runs[0].after) and runs[0].entity == "retention"

    def test_a_zero_period_keeps_a_class_for_ever(self, client, auth, engine):
        expert = _expert(client, auth)
        _age(engine, Expert, [expert], "updated_at", OLD, active=False)
        with Session(engine) as session:
            lines = retention.purge(session, periods=retention.Periods(inactive_experts=0))
        assert ("inactive experts", "kept for ever", 0) in [(x.data_class, x.period, x.count) for x in lines]

    def test_the_worker_purges_when_a_day_has_gone_since_the_last_run(self, app, client, auth, monkeypatch):
        engine = app.state.engine
        expert = _expert(client, auth)
        _age(engine, Expert, [expert], "updated_at", OLD, active=False)
        _, _, last = worker._chores["retention purge"]

        def runs() -> int:
            last.pop(engine, None)  # this worker's hourly check is due
            worker.tick(engine, "retention-test", lease_seconds=30, reminder_days=30)
            with Session(engine) as session:
                return session.exec(select(func.count()).where(AuditEntry.action == "purge")).one()

        assert runs() == 1
        assert runs() == 1  # a worker ran one within the day
        monkeypatch.setattr(retention, "RUN_EVERY", timedelta(0))
        assert runs() == 2
        with Session(engine) as session:
            assert session.get(Expert, expert).full_name == pseudonym_of(expert)

    def test_metrics_show_rows_purged_per_class_and_the_last_run(self, client, auth, engine):
        expert = _expert(client, auth)
        _age(engine, Expert, [expert], "updated_at", OLD, active=False)
        _purge(engine)
        _purge(engine)
        metrics = client.get("/metrics", headers=auth("admin")).text
        assert 'roster_retention_purged_rows_total{data_class="inactive experts"} 1.0' in metrics
        assert 'roster_retention_last_run_rows{data_class="inactive experts"} 0.0' in metrics
        assert "roster_retention_last_run_timestamp_seconds 1." in metrics

    def test_the_command_prints_the_table_and_a_dry_run_purges_nothing(self, client, auth, db_url, engine):
        expert = _expert(client, auth)
        _age(engine, Expert, [expert], "updated_at", OLD, active=False)
        get_settings.cache_clear()
        try:
            dry = CliRunner().invoke(cli, ["privacy", "purge", "--dry-run"], env={"ROSTER_DATABASE_URL": db_url})
            done = CliRunner().invoke(cli, ["privacy", "purge"], env={"ROSTER_DATABASE_URL": db_url})
        finally:
            get_settings.cache_clear()
        assert dry.exit_code == 0 and done.exit_code == 0, dry.output + done.output
        dry_rows = [[cell.strip() for cell in line.split("|")] for line in dry.stdout.splitlines()]
        assert dry_rows[0] == ["data class", "period", "would be purged", "oldest affected"]
        assert ["inactive experts", "730 days", "1"] in [row[:3] for row in dry_rows]
        assert done.stdout.splitlines()[0].split("|")[2].strip() == "purged"
        with Session(engine) as session:
            assert session.get(Expert, expert).full_name == pseudonym_of(expert)


def test_settings_refuse_a_negative_period():
    with pytest.raises(ValidationError, match="retain_plan_data_days"):
        Settings(retain_plan_data_days=-1)
