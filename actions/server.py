"""The action server, as only Rasa may call it: on loopback, with a token, with a body limit.

    python -m actions.server [--port 5055] [--host 127.0.0.1]

rasa_sdk's own `python -m rasa_sdk` listens on 0.0.0.0 and runs any action for anyone who can
reach the port: one POST with a made-up tracker closed a customer's case and rated it. This
serves the same app (rasa_sdk.endpoint.create_app over the `actions` package) with three doors
shut:

- it binds ACTION_HOST (127.0.0.1 by default): on several machines the action server sits beside
  its Rasa, and nginx never routes to it (docs/topology.md);
- every path but /health needs the action token, which Rasa sends as `?token=` because the
  endpoints file names it (`action_endpoint.token`, tools/endpoints.py). The token is ACTION_TOKEN,
  or var/secrets/action_token, made once, 0600 (core.secrets): the same file Rasa's endpoints are
  written from, and never on a command line;
- request bodies over ACTION_MAX_BODY_BYTES (20 MB; Rasa sends whole trackers) get 413 before
  any action runs.

/health stays open and says only `{"status": "ok"}`: supervisord, the readiness check and the
tests wait on it. Refusals are `{"error": {"code", "message"}}`, like the agents' API.

Settings (core.settings): ACTION_HOST, ACTION_PORT, ACTION_TOKEN, ACTION_MAX_BODY_BYTES, SHOP_VAR_DIR
(where the token file is), and whatever the actions themselves read (DATABASE_URL, REDIS_URL, …).
"""

from __future__ import annotations

import argparse
import hmac
import logging
from typing import Any, Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, json

from core.secrets import secret
from core.settings import Settings, load

log = logging.getLogger("actions.server")  # not "__main__" when run with -m

OPEN_PATHS = frozenset({"/health"})  # says nothing but "ok"; the rest needs the token
NOISY = ("sanic.root", "sanic.error", "sanic.access", "rasa_sdk", "sanic_cors")


def error(status: int, code: str, message: str) -> HTTPResponse:
    return json({"error": {"code": code, "message": message}}, status=status)


def token_matches(given: Optional[str], expected: str) -> bool:
    """Constant time, so the answer's timing does not tell how much of a guess was right."""
    return hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


def build(settings: Settings, token: Optional[str] = None) -> Sanic:
    """rasa_sdk's app for the `actions` package behind the token check and the body limit."""
    expected = token if token is not None else secret(settings, "action_token")
    if not expected:
        raise ValueError("the action server needs a non-empty token")
    # no CORS: only Rasa calls this server, from its own process, never a browser
    app = create_app("actions", cors_origins="")
    app.config.REQUEST_MAX_SIZE = settings.action_max_body_bytes

    @app.middleware("request")
    async def only_rasa(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        if token_matches(request.args.get("token"), expected):
            return None
        log.warning("refused %s %s from %s: no or wrong action token", request.method, request.path, request.ip)
        return error(401, "unauthorized", "the action server answers only Rasa: the action token is missing or wrong")

    async def refused(request: Request, exception: SanicException) -> HTTPResponse:
        # rasa_sdk's catch-all turns every exception into a 500 that echoes the request body; a
        # refusal Sanic raises itself (413 too large, 404, 405) keeps its status and says why
        status = int(getattr(exception, "status_code", 500) or 500)
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
                413: "body_too_large"}.get(status, "error")
        if status == 413:
            message = f"the request body is larger than {settings.action_max_body_bytes} bytes"
        else:
            message = str(exception) or code
        return error(status, code, message)

    app.error_handler.add(SanicException, refused)
    return app


def quiet_logging(level: int = logging.INFO) -> None:
    """One line per event in the log supervisord keeps (var/logs/actions.log); the libraries'
    start-up chatter (banners, plugin lists) stays below WARNING."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: Optional[list[str]] = None) -> None:
    settings = load()
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, default=settings.action_port,
                        help="port (default: ACTION_PORT, %(default)s)")
    parser.add_argument("--host", default=settings.action_host,
                        help="address to bind (default: ACTION_HOST, %(default)s; only Rasa calls it)")
    args = parser.parse_args(argv)
    quiet_logging()
    app = build(settings)
    log.info("action server on http://%s:%s (token required; body limit %s bytes)",
             args.host, args.port, settings.action_max_body_bytes)
    run_options: dict[str, Any] = {"access_log": False, "motd": False, "workers": 1}
    app.run(host=args.host, port=args.port, **run_options)


if __name__ == "__main__":
    main()
