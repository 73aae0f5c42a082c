"""The pages' static files: read and gzipped once, answered with an ETag, cached for a year behind a versioned URL.

``static_url("app.css")`` is ``/ui/static/app.css?v=<hash of its content>``: a changed file is a new URL, so the
browser may keep the old one for good (``immutable``). A URL without the current version is revalidated on every
use (``no-cache``: a 304 while the file is unchanged).

The charts draw bars and heatmaps only: they use a plotly.js 4.1.1 bundle of just those (MIT, licence beside it;
how it is built: docs/speed.md), vendored in ``static/vendor`` and served as ``plotly.min.js``: 1.2 MB that
Chromium compiles and runs in about 0.2 s, where the full bundle (4.8 MB) took 1.2 s on a cold load.
"""

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from fastapi import Request, Response

FOLDER = Path(__file__).parent / "static"
ALIASES = {"plotly.min.js": "vendor/plotly-bar-heatmap.min.js"}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None: gzip would not make it smaller
    version: str
    modified: float
    media_type: str

    def etag(self, encoding: str | None) -> str:
        return f'"{self.version}-gz"' if encoding else f'"{self.version}"'


_kept: dict[Path, Asset] = {}
_lock = threading.Lock()


def _path(name: str) -> Path | None:
    """The file behind ``name``, if it is one of the static folder's (nothing outside it)."""
    path = (FOLDER / ALIASES.get(name, name)).resolve()
    return path if path.is_relative_to(FOLDER) and path.is_file() else None


def _media_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".js":
        guessed = "text/javascript"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def asset(name: str) -> Asset | None:
    """The file ``name`` as served: read and compressed on first use, again only when the file changes."""
    path = _path(name)
    if path is None:
        return None
    modified = path.stat().st_mtime
    with _lock:
        kept = _kept.get(path)
        if kept is None or kept.modified != modified:
            body, media_type = path.read_bytes(), _media_type(path)
            packed = gzip.compress(body, 9, mtime=0) if media_type.startswith(COMPRESSIBLE) else None
            kept = _kept[path] = Asset(
                body=body,
                gzipped=packed if packed is not None and len(packed) < len(body) else None,
                version=hashlib.sha256(body).hexdigest()[:16],
                modified=modified,
                media_type=media_type,
            )
    return kept


def static_url(name: str) -> str:
    """The versioned URL of a static file (for templates: ``{{ static('app.css') }}``)."""
    found = asset(name)
    if found is None:
        raise LookupError(f"no static file {name!r} in {FOLDER}")
    return f"/ui/static/{name}?v={found.version}"


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, weight = part.strip().partition(";")
        if coding.strip().lower() == "gzip":
            return weight.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _unchanged(request: Request, found: Asset, etag: str) -> bool:
    asked = request.headers.get("if-none-match")
    if asked is not None:
        return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in asked.split(","))
    since = request.headers.get("if-modified-since")
    try:
        return since is not None and int(found.modified) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False


def response(request: Request, name: str) -> Response | None:
    """The answer for ``/ui/static/<name>``: gzipped if the browser takes it, 304 if it has it; None if no file."""
    found = asset(name)
    if found is None:
        return None
    encoding = "gzip" if found.gzipped is not None and _accepts_gzip(request) else None
    etag = found.etag(encoding)
    headers = {
        "ETag": etag,
        "Last-Modified": formatdate(found.modified, usegmt=True),
        "Cache-Control": IMMUTABLE if request.query_params.get("v") == found.version else REVALIDATE,
        "Vary": "Accept-Encoding",
    }
    if _unchanged(request, found, etag):
        return Response(status_code=304, headers=headers)
    if encoding:
        headers["Content-Encoding"] = encoding
    body = found.gzipped if encoding and found.gzipped is not None else found.body
    return Response(body, media_type=found.media_type, headers=headers)
