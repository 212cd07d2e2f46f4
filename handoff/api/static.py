"""Static pages on the API, with no build step: the customers' web widget and the agents' console.

Each page is a folder served under its own path: the folder's index.html for the path itself,
its files below it, and the path without its slash redirected to it (the pages link their
scripts and styles relatively). Nothing outside the folder is ever served.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from functools import lru_cache, partial
from pathlib import Path
from typing import Mapping

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, file, redirect

from handoff.api.http import error

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc\s*=)[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=64)
def _hashes(path: Path, mtime_ns: int) -> tuple[str, ...]:
    text = _COMMENT.sub("", path.read_text(encoding="utf-8", errors="replace"))  # "<script>" in a comment is no script
    return tuple(base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                 for body in _INLINE_SCRIPT.findall(text) if body.strip())


def inline_script_hashes(path: Path) -> tuple[str, ...]:
    """SHA-256 (base64) of each inline <script> of an HTML page, for its Content-Security-Policy
    (handoff/api/headers.py): the page's own inline code runs, anything injected does not."""
    return _hashes(path, path.stat().st_mtime_ns)


async def static_file(folder: Path, request: Request, name: str = "") -> HTTPResponse:
    """A file of the folder (index.html for the folder itself); 404 for anything outside it."""
    base = folder.resolve()
    target = (base / (name or "index.html")).resolve()
    if base not in target.parents or not target.is_file():
        return error(404, "not_found", f"no such file: {name}")
    mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if mime == "text/html":
        request.ctx.script_hashes = inline_script_hashes(target)  # the CSP allows exactly these
    if mime.startswith("text/") or mime in ("application/javascript", "application/json"):
        mime += "; charset=utf-8"  # else a shop page in GBK decodes widget.js as GBK, and it breaks
    return await file(str(target), mime_type=mime)


async def redirect_to(target: str, request: Request) -> HTTPResponse:
    return redirect(target + (f"?{request.query_string}" if request.query_string else ""))


def add_pages(app: Sanic, pages: Mapping[str, Path]) -> None:
    """Serves each folder under its path ("/widget" → folder); a missing folder is skipped."""
    for uri, folder in pages.items():
        if not folder.is_dir():
            continue
        name = uri.strip("/")
        app.add_route(partial(static_file, folder), uri + "/<name:path>", name=f"{name}_files")
        app.add_route(partial(static_file, folder), uri + "/", name=f"{name}_index", strict_slashes=True)
        app.add_route(partial(redirect_to, uri + "/"), uri, name=f"{name}_slash", strict_slashes=True)
