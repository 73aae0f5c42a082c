"""The retention purge's figures for ``/metrics``, read from its runs' audit entries at scrape time.

The purge runs in whichever worker process is due (``service/privacy/retention.py``), so no API process holds
the counts in memory: each run's audit entry (action ``purge``, entity ``retention``: counts only) does.
"""

from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from service.platform.tables import AuditEntry

ACTION, ENTITY = "purge", "retention"  # as service/privacy/retention.py writes them


class RetentionCollector:
    """Rows purged per data class, in total and in the last run, and when the last run was."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self):
        runs = _runs(self.engine)
        total = CounterMetricFamily(
            "roster_retention_purged_rows", "Rows purged by the retention purge, per data class", labels=["data_class"]
        )
        last = GaugeMetricFamily(
            "roster_retention_last_run_rows",
            "Rows purged by the last retention run, per data class",
            labels=["data_class"],
        )
        sums: dict[str, int] = {}
        for _, purged in runs:
            for name, count in purged.items():
                sums[name] = sums.get(name, 0) + count
        for name, count in sorted(sums.items()):
            total.add_metric([name], count)
        for name, count in sorted((runs[-1][1] if runs else {}).items()):
            last.add_metric([name], count)
        yield total
        yield last
        yield GaugeMetricFamily(
            "roster_retention_last_run_timestamp_seconds",
            "When the last retention purge ran (Unix time; 0: never)",
            value=runs[-1][0] if runs else 0,
        )


def _runs(engine: Engine) -> list[tuple[float, dict[str, int]]]:
    """Each run's time and counts, oldest first (one entry a day: a few hundred a year)."""
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEntry.at, AuditEntry.after)
            .where(AuditEntry.entity == ENTITY, AuditEntry.action == ACTION)
            .order_by(col(AuditEntry.id))
        ).all()
    return [(_seconds(at), dict((after or {}).get("purged", {}))) for at, after in rows]


def _seconds(at: datetime) -> float:
    """SQLite gives back naive datetimes (stored as UTC)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
