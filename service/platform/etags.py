"""ETag and If-Match for optimistic concurrency on updates; JSON answers that carry their ETag."""

from fastapi import Response

from service.platform.errors import PreconditionFailed


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def check_if_match(if_match: str | None, version: int) -> None:
    """A stale If-Match fails with 412 before anything changes; no If-Match means last write wins."""
    if if_match is None:
        return
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in tags and etag(version) not in tags:
        raise PreconditionFailed(
            f"the resource changed since you read it (now at ETag {etag(version)}): GET it again and retry"
        )


def json_answer(body: bytes, tag: int | None, status_code: int = 200, location: str | None = None) -> Response:
    """The rendered JSON as the response itself: FastAPI neither validates nor serialises it again."""
    headers = {"ETag": etag(tag)} if tag is not None else {}
    if location is not None:
        headers["Location"] = location
    return Response(body, status_code, headers, media_type="application/json")
