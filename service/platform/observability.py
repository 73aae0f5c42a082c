"""Structured JSON logs with a request id, and Prometheus metrics."""

import json
import logging
import os
import time
from contextvars import ContextVar
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access_log = logging.getLogger("roster.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any ``extra`` fields."""

    RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {k: v for k, v in vars(record).items() if k not in self.RESERVED}
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RequestIdFilter(logging.Filter):
    """Stamp every record made while a request is handled with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and (rid := request_id.get()) is not None:
            record.request_id = rid
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # replaced by roster.access, with the request id
    logging.getLogger("alembic").setLevel(logging.WARNING)


class Metrics:
    """The process's request metrics, plus plan and queue figures read from the database at scrape time."""

    def __init__(self, engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "roster_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "roster_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.registry.register(_PlanCollector(engine))


class _PlanCollector:
    def __init__(self, engine) -> None:
        self.engine = engine

    def collect(self):
        from service.platform.tables import Plan

        with Session(self.engine) as session:
            by_status = dict(session.exec(select(Plan.status, func.count()).group_by(Plan.status)).all())
            finished = session.exec(
                select(Plan.started_at, Plan.finished_at)
                .where(Plan.status == "succeeded", Plan.started_at.is_not(None))
                .order_by(Plan.id.desc())
                .limit(1000)
            ).all()
        plans = GaugeMetricFamily("roster_plans", "Plans by status", labels=["status"])
        for status in ("queued", "running", "succeeded", "failed", "cancelled"):
            plans.add_metric([status], by_status.get(status, 0))
        yield plans
        yield GaugeMetricFamily(
            "roster_plan_queue_length", "Plans waiting for a worker", value=by_status.get("queued", 0)
        )
        durations = [(end - start).total_seconds() for start, end in finished if start and end]
        yield SummaryMetricFamily(
            "roster_plan_duration_seconds",
            "Wall time of the last 1,000 succeeded plans",
            count_value=len(durations),
            sum_value=sum(durations),
        )


class RequestContext:
    """Give each request an id (X-Request-ID in and out), time it, count it, and log one access line."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics
        self._series: dict[tuple[str, str, int], tuple] = {}  # (count, latency) per method, route and status

    def _observe(self, method: str, route: str, status: int, elapsed: float) -> None:
        key = (method, route, status)
        if (series := self._series.get(key)) is None:  # labels() validates and locks: once per series
            series = self._series[key] = (
                self.metrics.requests.labels(method, route, str(status)),
                self.metrics.latency.labels(method, route),
            )
        series[0].inc()
        series[1].observe(elapsed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = next((value for name, value in scope["headers"] if name == b"x-request-id"), b"").decode("latin-1")
        rid = incoming if 0 < len(incoming) <= 100 and incoming.isprintable() else os.urandom(16).hex()
        token = request_id.set(rid)
        status, started = 500, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self._observe(scope["method"], route, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "request_id": rid,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )
            request_id.reset(token)
