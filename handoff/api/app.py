"""The agents' API as one Sanic app: the resources' blueprints over one desk, the store's and
the desk's refusals as JSON errors, the static pages, and the background loops."""

from __future__ import annotations

from pathlib import Path
from typing import Awaitable, Callable, Mapping, Optional

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from handoff.api import alerts, cases, events, follow_ups, meta, queue, ready, tasks
from handoff.api.http import ApiError, Services, error
from handoff.api.static import add_pages
from handoff.desk import Conflict, Desk, Forbidden
from handoff.rasa_client import RasaClient
from handoff.store import CaseClosed, CaseNotFound, ClaimConflict, InvalidTransition, NotAssigned
from handoff.texts import HandoffTextsFile


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


def create_app(desk: Desk, rasa: RasaClient, *, redis_url: str, pages: Optional[Mapping[str, Path]] = None,
               sla_tick: float = 5.0, presence_ttl: int = 90, event_stream: str = "rasa:events",
               texts: Optional[HandoffTextsFile] = None, background: bool = True,
               name: str = "handoff") -> Sanic:
    """`pages`: static folders by path ({"/widget": …, "/console": …}). `background`: run the
    event-stream consumer and the SLA clock while the server runs (tests of routes may not)."""
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.services = Services(desk, rasa, texts or HandoffTextsFile(), redis_url, presence_ttl)
    add_error_mapping(app)
    add_pages(app, pages or {})
    for resource in (meta, queue, cases, alerts, follow_ups, events, ready):
        app.blueprint(resource.blueprint())
    if background:
        tasks.run_with(app, desk, redis_url=redis_url, stream_name=event_stream, sla_tick=sla_tick)

    async def close_rasa(app: Sanic, loop: object) -> None:
        await rasa.close()

    app.register_listener(close_rasa, "before_server_stop")
    return app
