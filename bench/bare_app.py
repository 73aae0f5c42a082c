"""The framework's ceiling: a FastAPI app answering a constant JSON body, served like the service.

``/bare`` is a plain ``def``, as most of the service's routes are, so both pay the same thread-pool
hop and JSON serialisation; only the service's own work (middleware, authentication, queries)
differs. ``/bare-async`` is the same on the event loop, as the roster reads are. Run it with
``uvicorn bench.bare_app:app``. With ``BENCH_DATABASE_URL`` set, ``/bare-db`` also answers after one
``SELECT 1`` made as the roster reads make theirs (``service.platform.readpool``, on the event loop).
"""

import gc
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.platform.readpool import read_pool

BODY = {
    "id": 1,
    "full_name": "Amina Bare",
    "category": "police",
    "nationality": "SEN",
    "skills": [{"code": "SSR-STRATEGY", "proficiency": 4}],
    "languages": [{"code": "en", "level": 3}, {"code": "fr", "level": 5}],
}


@asynccontextmanager
async def _lifespan(app: FastAPI):
    url = os.environ.get("BENCH_DATABASE_URL")
    app.state.pool = read_pool(url, size=10, timeout=5) if url else None
    yield
    if app.state.pool is not None:
        await app.state.pool.close()


app = FastAPI(title="bare", openapi_url=None, docs_url=None, redoc_url=None, lifespan=_lifespan)


@app.get("/bare")
def bare() -> dict:
    """The same small JSON document every time."""
    return BODY


@app.get("/bare-async")
async def bare_async() -> dict:
    """The same, without the thread-pool hop."""
    return BODY


@app.get("/bare-db")
async def bare_db() -> dict:
    """The same document, after one ``SELECT 1``: the ceiling of an endpoint that reads the database once."""
    await app.state.pool.rows("SELECT 1", {})
    return BODY


gc.collect()  # as service.app.served_app does: start-up objects out of the collector's passes
gc.freeze()
