"""The OpenAPI description, with every error an operation can answer and our error body."""

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PUBLIC = {"/health", "/health/ready"}
ERROR_BODY = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "a short code: validation_error, not_found, conflict, ..."},
        "detail": {
            "description": "what is wrong and how to fix it; for validation errors one entry per field",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
                {"type": "object"},
            ],
        },
        "refused": {
            "description": "an approval refused (409): each refused assignment and every rule it breaks now, "
            "[{assignment_id, supplier, position_id, seat, problems: [{rule, detail, breakable}]}]",
            "type": "array",
            "items": {"type": "object"},
        },
    },
}
WHY = {
    "400": "The request is malformed (e.g. an over-long Idempotency-Key)",
    "401": "No token, or an unknown or revoked one",
    "403": "The token's role may not do this",
    "404": "No such resource, or one the caller may not see",
    "409": "Conflicts with stored data (a duplicate, a double booking, a decided assignment), or met another "
    "change made at the same moment and was undone (send it again)",
    "412": "If-Match names a stale version",
    "413": "The body is over the size limit",
    "422": "The input is invalid; each field is named with the fix",
    "422 body": "The input is invalid; each field is named with the fix. A body that is not JSON, or not sent "
    "with its documented Content-Type, answers this too, on the field `body`",
    "429": "Too many failed sign-ins from this client; wait Retry-After seconds",
    "503": "The database is unreachable; retry shortly",
}


def _errors(path: str, method: str, op: dict) -> list[str]:
    codes = ["503"]
    if path in PUBLIC:
        return codes
    codes += ["401", "403", "422", "429"]
    if "{" in path:
        codes.append("404")
    if method in ("post", "patch", "delete", "put"):
        codes += ["409", "413"]
    if method == "post":
        codes.append("400")
    if any(p.get("name") == "if-match" for p in op.get("parameters", [])):  # a write that takes If-Match
        codes.append("412")
    return codes


FASTAPI_422 = "Validation Error"  # what FastAPI writes on every route with input: ours says more


def describe(app: FastAPI) -> dict:
    """The schema FastAPI generates, completed with the error answers of every operation."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_BODY
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    reference = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            responses = op.setdefault("responses", {})
            for code in _errors(path, method, op):
                why = WHY[f"{code} body"] if code == "422" and "requestBody" in op else WHY[code]
                declared = responses.get(code, {})  # a route's own words and headers are kept
                own = declared.get("description")
                if own and own != FASTAPI_422:  # the route's own case first, then the general one
                    why = f"{own}. Or: {why[0].lower()}{why[1:]}"
                headers = {k: v for k, v in declared.items() if k not in ("content", "description")}
                responses[code] = {"description": why} | reference | headers
            for code, answer in responses.items():  # errors a route declares itself
                if code[0] in "45" and "content" not in answer:
                    answer |= reference
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    app.openapi = lambda: describe(app)  # type: ignore[method-assign]  # FastAPI's documented way to extend it
