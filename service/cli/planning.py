"""`roster solve`: a plan run here, with progress."""

from typing import Annotated

import typer
from sqlmodel import Session

from service.cli.common import (
    acting_as,
    app,
    fail,
    open_engine,
    parse_date,
    require_current_schema,
)
from service.platform.settings import get_settings


@app.command()
def solve(
    request: Annotated[
        list[int] | None, typer.Option("--request", help="a request id; repeat; default: every open request")
    ] = None,
    time_limit: Annotated[float, typer.Option(help="seconds the solver may take")] = 10.0,
    today: Annotated[str | None, typer.Option(help="the planning date (YYYY-MM-DD); default: today")] = None,
    workers: Annotated[int, typer.Option(help="solver threads")] = 2,
) -> None:
    """Run a plan here, with progress, and print its summary. Exit codes: 0 succeeded; 1 failed or cancelled."""
    import json

    from pydantic import ValidationError

    from schemas.planning import PlanCreate

    try:
        body = PlanCreate(
            request_ids=request or None, time_limit=time_limit, workers=workers, today=parse_date("--today", today)
        )
    except ValidationError as exc:
        fail("; ".join(e["msg"] for e in exc.errors()), 2)
    from service.planning.worker import worker_id

    engine = open_engine()
    require_current_schema(engine)
    owner = worker_id()
    plan_id = _start_plan(engine, body, owner)
    plan = _follow(engine, plan_id, owner)
    if plan.status != "succeeded":
        fail(f"plan {plan_id} {plan.status}: {plan.error or 'no detail'}")
    summary = plan.summary or {}
    typer.echo(
        f"plan {plan_id} succeeded: {summary.get('filled')} of {summary.get('seats')} seats filled, "
        f"{summary.get('unfilled')} unfilled ({summary.get('solver_status')}, {summary.get('wall_time', 0):.1f} s)",
        err=True,
    )
    typer.echo(json.dumps({"plan": plan_id, **summary}, indent=1, default=str))


def _start_plan(engine, body, owner: str) -> int:
    """The plan row, already running under this process's lease (no worker takes it); 2 on unknown requests."""
    from service.planning import service
    from service.platform.errors import Invalid
    from service.platform.unit import Unit

    with Session(engine) as session:
        try:
            return service.create_plan(Unit(session, acting_as(session, None)), body=body, lease_owner=owner).id
        except Invalid as exc:
            fail(exc.detail[0]["message"], 2)


def _follow(engine, plan_id: int, owner: str):
    """Run the plan in a thread and show its phase, objective and bound until it ends; Ctrl-C cancels it."""
    import threading

    from rich.console import Console

    from service.planning import jobs, service
    from service.planning import repository as repo

    thread = threading.Thread(
        target=jobs.execute, args=(engine, plan_id, owner, get_settings().worker_lease_seconds), daemon=True
    )
    thread.start()
    with Console(stderr=True).status(f"plan {plan_id}: building") as status:
        try:
            while thread.is_alive():
                thread.join(0.5)
                with Session(engine) as session:
                    status.update(_progress_text(plan_id, repo.get(session, plan_id).progress or {}))
        except KeyboardInterrupt:
            with Session(engine) as session:
                service.stop_run(session, plan_id=plan_id)
            thread.join()
    with Session(engine) as session:
        return repo.get(session, plan_id)


def _progress_text(plan_id: int, progress: dict) -> str:
    parts = [f"plan {plan_id}: {progress.get('phase', '…')}"]
    for name in ("objective", "bound"):
        if progress.get(name) is not None:
            parts.append(f"{name} {progress[name]:,}")
    if progress.get("gap") is not None:
        parts.append(f"gap {100 * progress['gap']:.2f} %")
    parts.append(f"{progress.get('elapsed', 0):.1f} s")
    return ", ".join(parts)
