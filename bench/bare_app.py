"""The framework's ceiling: a FastAPI app answering a constant JSON body, served like the service.

The route is a plain ``def``, as the service's routes are, so both pay the same thread-pool hop and
JSON serialisation; only the service's own work (middleware, authentication, queries) differs.
Run it with ``uvicorn bench.bare_app:app``.
"""

from fastapi import FastAPI

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
