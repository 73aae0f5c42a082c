"""Plans as jobs: enqueue, claim under a lease, solve in the worker's solver host, store in one transaction.

Any number of workers may share a PostgreSQL database: a worker claims a queued plan (or one
whose lease expired) with ``SELECT … FOR UPDATE SKIP LOCKED``, renews the lease while the
solver runs, and writes the whole result in one transaction that first checks it still holds
the lease — so a plan is visible complete or not at all, and a dead worker's plan is taken up
again (or failed after ``MAX_ATTEMPTS``).
"""

import logging
import queue
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from schemas.enums import CandidatePool, PlanStatus
from schemas.instance import Instance, Parameters
from schemas.plan import Plan as SolverPlan
from service.notifications.outbox import emit
from service.planning import bridge
from service.planning import repository as repo
from service.planning.host import host
from service.planning.superseding import supersede_covered
from service.platform.tables import Plan, utcnow

logger = logging.getLogger("roster.jobs")
MAX_ATTEMPTS = 2
PROGRESS_EVERY = 1.0  # seconds between progress writes
FINISHED = (PlanStatus.succeeded, PlanStatus.failed, PlanStatus.cancelled)


def claim(engine: Engine, worker_id: str, lease_seconds: float, now: datetime | None = None) -> int | None:
    """Take the oldest queued plan, or one whose worker's lease ran out; None if there is none."""
    now = now or utcnow()
    with Session(engine) as session:
        plan = repo.claimable(session, now, lock=engine.dialect.name == "postgresql")
        if plan is None:
            return None
        if plan.status == PlanStatus.running and plan.attempts >= MAX_ATTEMPTS:
            _finish(
                session,
                plan,
                PlanStatus.failed,
                error=f"the worker running this plan stopped {plan.attempts} times (lost its lease); start a new plan",
            )
            session.commit()
            return None
        if plan.status == PlanStatus.running:
            logger.warning("plan %s: lease of %s expired, taken over by %s", plan.id, plan.lease_owner, worker_id)
        plan.status, plan.lease_owner = PlanStatus.running, worker_id
        plan.lease_expires_at = now + timedelta(seconds=lease_seconds)
        plan.attempts += 1
        plan.started_at = plan.started_at or now
        plan.progress = {"phase": "building", "elapsed": 0.0}
        session.add(plan)
        session.commit()
        return plan.id


def _finish(session: Session, plan: Plan, status: PlanStatus, *, error: str | None = None) -> None:
    plan.status, plan.error, plan.finished_at = status, error, utcnow()
    plan.lease_owner = plan.lease_expires_at = None
    session.add(plan)


def _holds_lease(session: Session, plan_id: int, worker_id: str, engine: Engine) -> Plan | None:
    plan = repo.locked(session, plan_id, lock=engine.dialect.name == "postgresql")
    if plan.status != PlanStatus.running or plan.lease_owner != worker_id:
        return None
    return plan


def solver_parameters(plan: Plan) -> tuple[Parameters, dict]:
    """The solver's parameters and the run options (workers, seed) from a plan's stored parameters."""
    stored = dict(plan.parameters)
    run = ("workers", "seed", "today", "pins", "replace_deployments", "candidates")
    options = {k: stored.pop(k) for k in run if k in stored}
    return Parameters.model_validate(stored), options


def candidate_pool(options: dict) -> CandidatePool:
    """Where the plan took its candidates from (plans made before nominations took the roster)."""
    return CandidatePool(options.get("candidates", CandidatePool.roster))


def build(engine: Engine, plan_id: int) -> tuple[Instance, bridge.Seats, dict]:
    with Session(engine) as session:
        plan = repo.get(session, plan_id)
        parameters, options = solver_parameters(plan)
        today = date.fromisoformat(options["today"]) if "today" in options else date.today()
        scope = bridge.Scope(plan.request_ids, plan.horizon_start, plan.horizon_end)
        instance, seats = bridge.build_instance(
            session,
            today=today,
            scope=scope,
            parameters=parameters,
            pool=candidate_pool(options),
            parent_plan_id=plan.parent_id,
            pins=options.get("pins", []),
            replacing=options.get("replace_deployments", []),
        )
        return instance, seats, options | {"parent_id": plan.parent_id}


class Cancelled(Exception):
    pass


class LeaseLost(Exception):
    pass


def _heartbeat(engine: Engine, plan_id: int, worker_id: str, lease_seconds: float, progress: dict | None) -> None:
    with Session(engine) as session:
        plan = _holds_lease(session, plan_id, worker_id, engine)
        if plan is None:
            raise LeaseLost(plan_id)
        if plan.cancel_requested:
            raise Cancelled(plan_id)
        plan.lease_expires_at = utcnow() + timedelta(seconds=lease_seconds)
        if progress is not None:
            plan.progress = progress
        session.add(plan)
        session.commit()


def kept_key(engine: Engine, plan_id: int) -> str:
    """The solver host keeps a plan's state under its database and id (a stale one is harmless: the solver
    takes over only parts whose every input is unchanged)."""
    return f"{engine.url}#{plan_id}"


def run_solver(
    engine: Engine, plan_id: int, worker_id: str, lease_seconds: float, instance: Instance, options: dict
) -> SolverPlan:
    """Solve in this thread's solver host (so it can be stopped and never blocks a server), renewing the lease."""
    solver_host = host()
    parent = options.get("parent_id")
    job = (kept_key(engine, plan_id), kept_key(engine, parent) if parent else None, instance.model_dump_json(), options)
    out = solver_host.submit(job)
    last: dict | None = None
    done = False
    try:
        while True:
            try:
                kind, payload = out.get(timeout=PROGRESS_EVERY)
            except queue.Empty:
                if not solver_host.alive():
                    raise RuntimeError(f"the solver process died (exit code {solver_host.exitcode()})") from None
                _heartbeat(engine, plan_id, worker_id, lease_seconds, last)
                last = None
                continue
            if kind == "progress":
                last = {k: v for k, v in payload.items() if k in ("phase", "objective", "bound", "gap", "elapsed")}
                continue
            done = True
            if kind == "error":
                raise RuntimeError(f"the solver failed:\n{payload}")
            return SolverPlan.model_validate_json(payload)
    finally:
        if not done:
            solver_host.stop()


def store(
    engine: Engine, plan_id: int, worker_id: str, instance: Instance, seats: bridge.Seats, result: SolverPlan
) -> bool:
    """Write the whole result in one transaction, if this worker still holds the lease."""
    import solver

    violations = solver.check(instance, result)
    with Session(engine) as session:
        plan = _holds_lease(session, plan_id, worker_id, engine)
        if plan is None:
            return False
        if plan.cancel_requested:  # asked while the solve ran, which ended before the next heartbeat saw it
            _finish(session, plan, PlanStatus.cancelled)
            session.commit()
            return True
        if violations:
            _finish(
                session,
                plan,
                PlanStatus.failed,
                error="the plan broke hard rules and was not stored: " + "; ".join(violations[:10]),
            )
            session.commit()
            return True
        assignments, unfilled = bridge.plan_rows(plan_id, result, seats)
        session.add_all([*assignments, *unfilled])
        plan.summary = summary(result, len(seats.by_id)) | {"provisional": bridge.provisional(instance, result)}
        plan.instance, plan.result = instance.model_dump_json(), result.model_dump_json()
        plan.progress = {"phase": "done", "elapsed": result.wall_time}
        _finish(session, plan, PlanStatus.succeeded)
        supersede_covered(session, plan)
        emit(session, "plan.finished", state=None, entity="plan", entity_id=plan_id, payload=plan.summary)
        session.commit()
        return True


def summary(result: SolverPlan, seats: int) -> dict:
    return {
        "solver_status": result.status,
        "seats": seats,
        "filled": len(result.assignments),
        "unfilled": len(result.unfilled),
        "objectives": result.objectives.model_dump(),
        "best_bound": result.best_bound,
        "gap": result.gap,
        "wall_time": result.wall_time,
        "model": result.model.model_dump(),
        "messages": result.messages,
    }


def execute(engine: Engine, plan_id: int, worker_id: str, lease_seconds: float) -> None:
    """Run one claimed plan to its end: succeeded, failed or cancelled."""
    try:
        instance, seats, options = build(engine, plan_id)
        _heartbeat(
            engine, plan_id, worker_id, lease_seconds, {"phase": "solving", "elapsed": 0.0, "seats": len(seats.by_id)}
        )
        result = run_solver(engine, plan_id, worker_id, lease_seconds, instance, options)
        store(engine, plan_id, worker_id, instance, seats, result)
    except LeaseLost:
        logger.warning("plan %s: lease lost by %s; result discarded", plan_id, worker_id)
    except Cancelled:
        _end(engine, plan_id, worker_id, PlanStatus.cancelled, None)
    except Exception as exc:
        logger.exception("plan %s failed", plan_id)
        _end(engine, plan_id, worker_id, PlanStatus.failed, str(exc)[:4000])


def _end(engine: Engine, plan_id: int, worker_id: str, status: PlanStatus, error: str | None) -> None:
    with Session(engine) as session:
        plan = _holds_lease(session, plan_id, worker_id, engine)
        if plan is not None:
            _finish(session, plan, status, error=error)
            session.commit()


def work_once(engine: Engine, worker_id: str, lease_seconds: float = 30) -> int | None:
    """Claim and run one plan; the plan's id, or None if the queue was empty."""
    plan_id = claim(engine, worker_id, lease_seconds)
    if plan_id is not None:
        execute(engine, plan_id, worker_id, lease_seconds)
    return plan_id


def request_cancel(session: Session, plan: Plan) -> None:
    """Queued plans end at once; a running plan's worker stops at its next heartbeat."""
    if plan.status == PlanStatus.queued:
        _finish(session, plan, PlanStatus.cancelled)
    elif plan.status == PlanStatus.running:
        plan.cancel_requested = True
        session.add(plan)


def queue_length(session: Session) -> int:
    return repo.queued_count(session)
