"""The agents' API as one Sanic app: the resources' blueprints over one desk, the store's and
the desk's refusals as JSON errors, the static pages, and the background loops."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Awaitable, Callable, Mapping, Optional, Sequence

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from core.settings import load as load_settings
from handoff.api import alerts, cases, events, follow_ups, meta, queue, ready, reports, stats, tasks, training_jobs
from handoff.api import training as training_inbox
from handoff.api.headers import add_security_headers
from handoff.api.http import ApiError, Services, error
from handoff.api.static import add_pages
from handoff.desk import Conflict, Desk, Forbidden
from handoff.rasa_client import RasaClient
from handoff.store import CaseClosed, CaseNotFound, ClaimConflict, InvalidTransition, NotAssigned
from handoff.texts import HandoffTextsFile
from handoff.training.paths import TrainingPaths

logger = logging.getLogger(__name__)
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 408: "timeout",
              413: "too_large", 416: "bad_range"}


def add_error_mapping(app: Sanic) -> None:
    """Every refusal is `{"error": {"code", "message"}}` with a status a client can act on."""

    async def api_error(request: Request, exc: ApiError) -> HTTPResponse:
        return error(exc.status, exc.code, exc.message)

    def answer(status: int, code: str) -> Callable[[Request, Exception], Awaitable[HTTPResponse]]:
        async def handler(request: Request, exc: Exception) -> HTTPResponse:
            return error(status, code, str(exc))

        return handler

    app.exception(ApiError)(api_error)
    app.exception(CaseNotFound)(answer(404, "not_found"))
    app.exception(ClaimConflict, Conflict, CaseClosed, NotAssigned)(answer(409, "conflict"))
    app.exception(InvalidTransition)(answer(409, "invalid_transition"))
    app.exception(Forbidden)(answer(403, "forbidden"))
    app.exception(ValueError)(answer(422, "invalid"))

    async def http_error(request: Request, exc: SanicException) -> HTTPResponse:
        # Sanic's own refusals (no such route, wrong method, a body over REQUEST_MAX_SIZE) in the
        # same shape as ours, with their status and a stable code
        status = int(getattr(exc, "status_code", 500) or 500)
        return error(status, HTTP_CODES.get(status, "http_error"), str(exc))

    app.exception(SanicException)(http_error)

    async def unexpected(request: Request, exc: Exception) -> HTTPResponse:
        # a bug: the traceback goes to the log, the client gets the same JSON shape and no details
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return error(500, "internal", "internal error; the service log has the details")

    app.exception(Exception)(unexpected)


def create_app(desk: Desk, rasa: RasaClient, *, redis_url: str, pages: Optional[Mapping[str, Path]] = None,
               sla_tick: float = 5.0, presence_ttl: int = 90, event_stream: str = "rasa:events",
               texts: Optional[HandoffTextsFile] = None, background: bool = True,
               name: str = "handoff", max_body_bytes: int = 1_000_000, rasa_urls: Sequence[str] = (),
               rasa_port: Optional[int] = None, reports_dir: Optional[Path] = None,
               var_dir: Optional[Path] = None, training: Optional[TrainingPaths] = None) -> Sanic:
    """`pages`: static folders by path ({"/widget": …, "/console": …}). `background`: run the
    event-stream consumer and the SLA clock while the server runs (tests of routes may not).
    `max_body_bytes`: larger request bodies get 413 before they are read. `rasa_urls`,
    `rasa_port`: where the widget's pages may connect (their Content-Security-Policy).
    `reports_dir`: the written reports `GET /reports` lists (default: the settings' REPORTS_DIR).
    `var_dir`: where the retraining jobs and model versions are (default: the settings' var_dir).
    `training`: where the trainers' inbox reads the training data and writes labels (default:
    nlu_data/ and the settings' TRAINING_REVIEW_DIR)."""
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.REQUEST_MAX_SIZE = max_body_bytes  # Sanic's server refuses larger bodies while reading

    async def limit_body(request: Request) -> Optional[HTTPResponse]:
        # the same limit where Sanic does not read the body itself (ASGI servers)
        if len(request.body or b"") > max_body_bytes:
            return error(413, "too_large", f"the body is larger than {max_body_bytes} bytes")
        return None

    app.register_middleware(limit_body, "request")
    add_security_headers(app, rasa_urls, rasa_port)
    app.ctx.services = Services(desk, rasa, texts or HandoffTextsFile(), redis_url, presence_ttl)
    add_error_mapping(app)
    add_pages(app, pages or {})
    for resource in (meta, queue, cases, alerts, follow_ups, events, ready, stats):
        app.blueprint(resource.blueprint())
    app.blueprint(reports.blueprint(reports_dir or load_settings().reports_dir))
    paths = training or TrainingPaths.of(load_settings())
    app.blueprint(training_jobs.blueprint(var_dir or load_settings().var_dir, paths.data_dirs()))
    app.blueprint(training_inbox.blueprint(paths))
    if background:
        tasks.run_with(app, desk, redis_url=redis_url, stream_name=event_stream, sla_tick=sla_tick)

    async def close_rasa(app: Sanic, loop: object) -> None:
        await rasa.close()

    app.register_listener(close_rasa, "before_server_stop")
    return app
