"""The framework's ceiling: a FastAPI app answering a constant JSON body, served like the service.

The route is a plain ``def``, as the service's routes are, so both pay the same thread-pool hop and
JSON serialisation; only the service's own work (middleware, authentication, queries) differs.
Run it with ``uvicorn bench.bare_app:app``. With ``BENCH_DATABASE_URL`` set, ``/bare-db`` also
answers after one database round trip on an autocommit pool, as the service's reads make.
"""

import os
from functools import cache

from fastapi import FastAPI
from sqlalchemy import Engine, create_engine

BODY = {
    "id": 1,
    "full_name": "Amina Bare",
    "category": "police",
    "nationality": "SEN",
    "skills": [{"code": "SSR-STRATEGY", "proficiency": 4}],
    "languages": [{"code": "en", "level": 3}, {"code": "fr", "level": 5}],
}

app = FastAPI(title="bare", openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/bare")
def bare() -> dict:
    """The same small JSON document every time."""
    return BODY


@cache
def _engine() -> Engine:
    return create_engine(os.environ["BENCH_DATABASE_URL"], pool_size=10, max_overflow=10,
                         isolation_level="AUTOCOMMIT")


@app.get("/bare-db")
def bare_db() -> dict:
    """The same document, after one ``SELECT 1``: the ceiling of an endpoint that reads the database once."""
    with _engine().connect() as connection:
        connection.exec_driver_sql("SELECT 1").scalar_one()
    return BODY
