"""App, client and token fixtures for route tests."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlmodel import Session

from schemas.enums import Role
from service.app import create_app
from service.platform.auth import issue_token
from service.platform.settings import Settings

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def app(db_url: str):
    app = create_app(Settings(database_url=db_url, environment="test", worker="external"))
    yield app
    app.state.engine.dispose()
    app.state.read_engine.dispose()


@pytest.fixture
def client(app) -> TestClient:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def auth(app) -> Auth:
    """``auth("planner")`` or ``auth("member_state", "NOR")``: headers with a fresh token for that role."""
    cache: dict[tuple[str, str | None], dict[str, str]] = {}

    def headers(role: str, state: str | None = None) -> dict[str, str]:
        if (role, state) not in cache:
            with Session(app.state.engine) as session:
                _, secret = issue_token(session, role=Role(role), name=f"test {role} {state or ''}", state=state)
                session.commit()
            cache[role, state] = {"Authorization": f"Bearer {secret}"}
        return cache[role, state]

    return headers


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free local port in a thread; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("the test server did not start within 10 s")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    with serve(app) as url:
        yield url
