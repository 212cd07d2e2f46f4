"""Security headers on every response of the handoff service: API answers, the widget's and the
console's pages and files, and errors (Sanic runs response middleware on error responses too).

- Content-Security-Policy. The console and the API: scripts, styles and connections only from
  this service ('self'). The widget's pages (/widget/…) also connect to Rasa (socket.io over
  HTTP polling and WebSocket): to `rasa_origins` (the configured RASA_URL, and this service's
  host on Rasa's port, which is where widget.js looks for Rasa when the page names none), each
  as http(s) and ws(s). An inline script of a served HTML page (the demo page builds its embed
  tag inline) is allowed by its SHA-256 only (handoff/api/static.py finds them), never by
  'unsafe-inline'. Styles of the widget's demo pages are inline <style> blocks, so the widget's
  style-src allows inline styles; styles cannot run code.
- frame-ancestors 'none' and X-Frame-Options: DENY everywhere. Nothing here is meant to be framed:
  a shop embeds the widget as a <script> in its own page (docs/widget.md), never this service's
  pages in an iframe, and the console must never be framed (clickjacking an agent's actions).
- The written reports (/reports/…): REPORT_POLICY below, stricter than the console's.
- X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer (tokens may be in console URLs:
  the live feed's `?token=`), and Cache-Control: no-store on API answers (case data).
"""

from __future__ import annotations

import re
from typing import Iterable, Optional
from urllib.parse import urlsplit

from sanic import Sanic
from sanic.request import Request
from sanic.response import BaseHTTPResponse

_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}$|^\[[0-9A-Fa-f:.]{2,45}\]$")
PAGE_PREFIXES = ("/widget", "/console")
# A written report (handoff/reports) is a document, not an app: nothing to run, nothing to load,
# no form, sandboxed. Its CSS and charts are inline (<style>, SVG), so inline styles are the one
# thing it may have; with nothing allowed to load, even injected CSS could not send anything out.
REPORT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; object-src 'none'; "
                 "script-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox")


def origins(urls: Iterable[str]) -> tuple[str, ...]:
    """http(s) and ws(s) origins of each URL, for connect-src (socket.io uses both)."""
    found: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or not _HOST.match(parts.hostname or ""):
            continue
        ws = "wss" if parts.scheme == "https" else "ws"
        for origin in (f"{parts.scheme}://{parts.netloc}", f"{ws}://{parts.netloc}"):
            if origin not in found:
                found.append(origin)
    return tuple(found)


def _request_host(request: Request) -> Optional[str]:
    """The host the browser asked for, without its port; None if it is not a plain host name."""
    host = request.host or ""
    host = host.split("]")[0] + "]" if host.startswith("[") else host.rsplit(":", 1)[0]
    return host if _HOST.match(host) else None


def policy(request: Request, rasa_origins: tuple[str, ...], rasa_port: Optional[int]) -> str:
    path = request.path
    if path.startswith("/reports/"):
        return REPORT_POLICY
    scripts = ["'self'", *(f"'sha256-{h}'" for h in getattr(request.ctx, "script_hashes", ()))]
    common = ["default-src 'self'", "img-src 'self' data:", "object-src 'none'", "base-uri 'none'",
              "form-action 'self'", "frame-ancestors 'none'"]
    if path == "/widget" or path.startswith("/widget/"):
        connect = ["'self'", *rasa_origins]
        host = _request_host(request)
        if host and rasa_port:
            connect.extend(o for o in origins([f"{request.scheme}://{host}:{rasa_port}"]) if o not in connect)
        return "; ".join([*common, f"script-src {' '.join(scripts)}", "style-src 'self' 'unsafe-inline'",
                          f"connect-src {' '.join(connect)}"])
    return "; ".join([*common, f"script-src {' '.join(scripts)}", "style-src 'self'", "connect-src 'self'"])


def add_security_headers(app: Sanic, rasa_urls: Iterable[str] = (), rasa_port: Optional[int] = None) -> None:
    rasa_origins = origins(rasa_urls)

    async def secure(request: Request, response: BaseHTTPResponse) -> None:
        headers = response.headers
        headers["Content-Security-Policy"] = policy(request, rasa_origins, rasa_port)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        if not request.path.startswith(PAGE_PREFIXES) and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"

    app.register_middleware(secure, "response")
