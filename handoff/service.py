"""The handoff service: the agents' HTTP API, the live feed of customer messages and the SLA
clock, in one process beside Rasa (Sanic, as Rasa uses).

    python -m handoff.service [--port 8000]

Environment: DATABASE_URL, REDIS_URL, RASA_URL, RASA_TOKEN (Rasa's --auth-token),
HANDOFF_PORT, HANDOFF_SLA_TICK (seconds between SLA sweeps), HANDOFF_SLA, HANDOFF_HOURS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import mimetypes
import os
from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import redis
import redis.asyncio as aioredis
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, file, redirect
from sanic.response import json as json_response

from handoff import lifecycle
from handoff.desk import Conflict, Desk, Forbidden, case_row
from handoff.openapi import document
from handoff.queue import CaseQueue, listen
from handoff.rasa_client import DeliveryError, RasaClient
from handoff.sla import SlaPolicy
from handoff.store import (
    AgentView,
    CaseClosed,
    CaseNotFound,
    CaseStore,
    ClaimConflict,
    InvalidTransition,
    NotAssigned,
    StoreError,
)
from handoff.stream import AsyncEventStream, event_key
from handoff.texts import HandoffTextsFile

log = logging.getLogger("handoff.service")
T = TypeVar("T")
MAX_TEXT = 4000


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error(status: int, code: str, message: str) -> HTTPResponse:
    return json_response({"error": {"code": code, "message": message}}, status=status)


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Database calls run in a thread so a slow write never stalls the other agents' requests."""
    return await asyncio.to_thread(partial(fn, *args, **kwargs))


def body_of(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    return data


def text_field(data: dict[str, Any], name: str = "text", required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(422, "invalid", f"`{name}` must be a non-empty string")
    if len(value) > MAX_TEXT:
        raise ApiError(422, "too_long", f"`{name}` is {len(value)} characters; the limit is {MAX_TEXT}")
    return value


async def static_file(folder: Path, request: Request, name: str = "") -> HTTPResponse:
    """A file of the widget's or the console's folder (index.html for the folder itself)."""
    base = folder.resolve()
    target = (base / (name or "index.html")).resolve()
    if base not in target.parents or not target.is_file():
        return error(404, "not_found", f"no such file: {name}")
    mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if mime.startswith("text/") or mime in ("application/javascript", "application/json"):
        mime += "; charset=utf-8"  # else a shop page in GBK decodes widget.js as GBK, and it breaks
    return await file(str(target), mime_type=mime)


async def redirect_to(target: str, request: Request) -> HTTPResponse:
    return redirect(target + (f"?{request.query_string}" if request.query_string else ""))


def create_app(desk: Desk, rasa: RasaClient, *, redis_url: str, sla_tick: float = 5.0,
               name: str = "handoff") -> Sanic:
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    texts = HandoffTextsFile()
    stop = asyncio.Event()
    presence_ttl = int(os.environ.get("HANDOFF_PRESENCE_TTL", "90"))  # an agent counts as online this long

    async def agent_of(request: Request) -> AgentView:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else request.args.get("token", "")
        if not token:
            raise ApiError(401, "unauthenticated", "send your API token as `Authorization: Bearer …`")
        agent = await off_loop(desk.store.agent_by_token, token)
        if agent is None or not agent.active:
            raise ApiError(401, "unauthenticated", "unknown or disabled API token")
        await off_loop(desk.queue.touch_agent, agent.id, ttl=presence_ttl, teams=agent.teams)
        return agent

    def supervisor(agent: AgentView) -> None:
        if agent.role != "supervisor":
            raise ApiError(403, "forbidden", "only supervisors may do this")

    @app.exception(ApiError)
    async def api_error(request: Request, exc: ApiError) -> HTTPResponse:
        return error(exc.status, exc.code, exc.message)

    @app.exception(CaseNotFound)
    async def not_found(request: Request, exc: Exception) -> HTTPResponse:
        return error(404, "not_found", str(exc))

    @app.exception(ClaimConflict, Conflict, CaseClosed, NotAssigned)
    async def conflict(request: Request, exc: Exception) -> HTTPResponse:
        return error(409, "conflict", str(exc))

    @app.exception(InvalidTransition)
    async def invalid(request: Request, exc: Exception) -> HTTPResponse:
        return error(409, "invalid_transition", str(exc))

    @app.exception(Forbidden)
    async def forbidden(request: Request, exc: Exception) -> HTTPResponse:
        return error(403, "forbidden", str(exc))

    @app.exception(ValueError)
    async def bad_value(request: Request, exc: Exception) -> HTTPResponse:
        return error(422, "invalid", str(exc))

    # The customer's web widget and the agents' console are static pages on this API (no build step).
    root = Path(__file__).resolve().parent.parent
    for uri, folder in (("/widget", root / "connectors" / "web"), ("/console", root / "handoff" / "console")):
        if folder.is_dir():
            app.add_route(partial(static_file, folder), uri + "/<name:path>", name=f"{uri.strip('/')}_files")
            app.add_route(partial(static_file, folder), uri + "/", name=f"{uri.strip('/')}_index",
                          strict_slashes=True)
            # "/widget" → "/widget/": the page's relative links (widget.js, widget.css) need the slash
            app.add_route(partial(redirect_to, uri + "/"), uri, name=f"{uri.strip('/')}_slash", strict_slashes=True)

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return json_response({"status": "ok"})

    @app.get("/openapi.json")
    async def openapi(request: Request) -> HTTPResponse:
        return json_response(document())

    @app.get("/me")
    async def me(request: Request) -> HTTPResponse:
        return json_response((await agent_of(request)).to_dict() | {"token_hash": None})

    @app.get("/queue")
    async def list_queue(request: Request) -> HTTPResponse:
        agent = await agent_of(request)
        rows = await off_loop(desk.list_queue, agent)
        return json_response({"cases": rows, "agents_online": await off_loop(desk.queue.agents_online)})

    @app.post("/queue/next")
    async def claim_next(request: Request) -> HTTPResponse:
        agent = await agent_of(request)
        case = await off_loop(desk.claim_next, agent)
        if case is None:
            return json_response({"case": None}, status=200)
        await greet(case.conversation_id, case.id, case.language, agent)
        return json_response({"case": case.to_dict()})

    @app.get("/cases")
    async def list_cases(request: Request) -> HTTPResponse:
        agent = await agent_of(request)
        mine = request.args.get("mine") == "true" or agent.role != "supervisor"
        cases = await off_loop(desk.store.cases, assigned_to=agent.id if mine else None,
                               state=request.args.get("state"))
        return json_response({"cases": [case_row(c) for c in cases]})

    async def greet(conversation_id: str, case_id: str, language: str, agent: AgentView) -> None:
        """The customer hears that a person has joined (best effort: the claim stands)."""
        try:
            await rasa.say(conversation_id, texts.get().line("agent_joined", language, agent=agent.name),
                           agent=agent.name, case_id=case_id)
        except DeliveryError:
            log.warning("could not tell conversation of case %s that the agent joined", case_id)

    @app.post("/cases/<case_id>/claim")
    async def claim_case(request: Request, case_id: str) -> HTTPResponse:
        agent = await agent_of(request)
        case = await off_loop(desk.claim, case_id, agent)
        await greet(case.conversation_id, case.id, case.language, agent)
        return json_response({"case": await full_case(case.id)})

    async def full_case(case_id: str) -> dict[str, Any]:
        case = await off_loop(desk.store.get, case_id)
        messages = await off_loop(desk.store.messages, case.id)
        transitions = await off_loop(desk.store.transitions, case.id)
        rating = await off_loop(desk.store.rating, case.id)
        return {**case.to_dict(), "messages": [m.to_dict() for m in messages],
                "transitions": [t.to_dict() for t in transitions],
                "rating": rating.to_dict() if rating else None,
                "allowed_states": sorted(lifecycle.TRANSITIONS.get(case.state, ()))}

    @app.get("/cases/<case_id>")
    async def get_case(request: Request, case_id: str) -> HTTPResponse:
        await agent_of(request)
        return json_response({"case": await full_case(case_id)})

    @app.get("/cases/<case_id>/messages")
    async def case_messages(request: Request, case_id: str) -> HTTPResponse:
        await agent_of(request)
        after = int(request.args.get("after", "0") or 0)
        messages = await off_loop(desk.store.messages, case_id)
        return json_response({"messages": [m.to_dict() for m in messages if m.id > after]})

    @app.post("/cases/<case_id>/reply")
    async def reply_to_case(request: Request, case_id: str) -> HTTPResponse:
        agent = await agent_of(request)
        data = body_of(request)
        text = text_field(data)
        key = request.headers.get("idempotency-key") or data.get("client_message_id")
        case, stored = await off_loop(desk.reply, case_id, agent, text, f"agent:{key}" if key else None)
        if stored is None:
            return json_response({"delivered": False, "duplicate": True, "case_id": case.id})
        try:
            await rasa.say(case.conversation_id, text, agent=agent.name, case_id=case.id)
        except DeliveryError as exc:
            await off_loop(desk.store.add_message, case.id, "system", f"not delivered: {exc}", author="handoff")
            return error(502, "not_delivered", f"the reply is kept in case {case.id} but did not reach the "
                                               f"customer: {exc}")
        await off_loop(desk.queue.publish, "message", {"case_id": case.id, "role": "agent", "id": stored.id})
        return json_response({"delivered": True, "duplicate": False, "message": stored.to_dict()}, status=201)

    @app.post("/cases/<case_id>/notes")
    async def add_note(request: Request, case_id: str) -> HTTPResponse:
        agent = await agent_of(request)
        stored = await off_loop(desk.note, case_id, agent, text_field(body_of(request)))
        return json_response({"note": stored.to_dict() if stored else None}, status=201)

    @app.post("/cases/<case_id>/transfer")
    async def transfer_case(request: Request, case_id: str) -> HTTPResponse:
        agent = await agent_of(request)
        data = body_of(request)
        target, team = data.get("agent"), data.get("team")
        if not target and not team:
            raise ApiError(422, "invalid", "give `agent` (a name) or `team`")
        to_agent = None
        if target:
            to_agent = await off_loop(desk.store.agent_by_name, str(target))
            if to_agent is None:
                raise ApiError(404, "not_found", f"no agent named {target!r}")
        case = await off_loop(desk.transfer, case_id, agent, to_agent=to_agent, team=team,
                              note=text_field(data, "note", required=False))
        return json_response({"case": case.to_dict()})

    @app.post("/cases/<case_id>/state")
    async def update_case_state(request: Request, case_id: str) -> HTTPResponse:
        agent = await agent_of(request)
        data = body_of(request)
        state = data.get("state")
        if state not in lifecycle.STATES:
            raise ApiError(422, "invalid", f"`state` must be one of {', '.join(lifecycle.STATES)}")
        case = await off_loop(desk.update_state, case_id, agent, str(state), text_field(data, "note", required=False))
        return json_response({"case": case.to_dict()})

    @app.post("/cases/<case_id>/resolve")
    async def resolve_case(request: Request, case_id: str) -> HTTPResponse:
        agent = await agent_of(request)
        note = text_field(body_of(request), "note", required=False)
        case = await off_loop(desk.resolve, case_id, agent, note)
        handed_back = True
        try:
            await rasa.hand_back(case.conversation_id)
        except DeliveryError as exc:
            handed_back = False
            await off_loop(desk.store.add_message, case.id, "system", f"hand-back failed: {exc}", author="handoff")
        return json_response({"case": case.to_dict(), "handed_back": handed_back})

    @app.get("/alerts")
    async def list_alerts(request: Request) -> HTTPResponse:
        supervisor(await agent_of(request))
        alerts = await off_loop(desk.store.alerts, request.args.get("open") == "true")
        return json_response({"alerts": [a.to_dict() for a in alerts]})

    @app.post("/alerts/<alert_id:int>/ack")
    async def ack_alert(request: Request, alert_id: int) -> HTTPResponse:
        agent = await agent_of(request)
        supervisor(agent)
        try:
            alert = await off_loop(desk.store.acknowledge, alert_id, agent.name)
        except StoreError as exc:
            raise ApiError(404, "not_found", str(exc)) from exc
        await off_loop(desk.queue.publish, "alert", {"alert": alert_id, "acknowledged_by": agent.name})
        return json_response({"alert": alert.to_dict()})

    @app.get("/follow-ups")
    async def follow_ups(request: Request) -> HTTPResponse:
        await agent_of(request)
        return json_response({"follow_ups": [f.to_dict() for f in await off_loop(desk.store.follow_ups)]})

    @app.get("/events")
    async def live(request: Request) -> HTTPResponse:
        """Server-sent events: every queue, case and message change, for consoles."""
        await agent_of(request)
        response = await request.respond(content_type="text/event-stream",
                                          headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        client = aioredis.Redis.from_url(redis_url, decode_responses=True)
        try:
            await response.send(": connected\n\n")
            async for note in listen(client):
                await response.send(f"event: {note.get('kind')}\ndata: {json.dumps(note, ensure_ascii=False)}\n\n")
        finally:
            await client.close()
        return response

    async def on_event(event: dict[str, Any]) -> None:
        await off_loop(desk.customer_event, event, event_key(event))

    async def consume() -> None:
        client = aioredis.Redis.from_url(redis_url)
        stream = AsyncEventStream(client, stream=os.environ.get("RASA_EVENT_STREAM", "rasa:events"))
        try:
            while not stop.is_set():
                try:
                    await stream.consume(on_event, stop)
                except Exception:  # Redis restarting: keep trying, the stream keeps what we missed
                    log.exception("event stream interrupted; reconnecting")
                    await asyncio.sleep(1.0)
        finally:
            await client.close()

    async def sla_clock() -> None:
        while not stop.is_set():
            try:
                await off_loop(desk.ensure_queue)
                await off_loop(desk.check_sla)
            except Exception:
                log.exception("SLA sweep failed; retrying")
            try:
                await asyncio.wait_for(stop.wait(), timeout=sla_tick)
            except asyncio.TimeoutError:
                pass

    background: list[asyncio.Task[None]] = []  # asyncio keeps only weak references to tasks

    @app.after_server_start
    async def start_background(app: Sanic, loop: Any) -> None:
        background.append(loop.create_task(consume()))
        background.append(loop.create_task(sla_clock()))

    @app.before_server_stop
    async def stop_background(app: Sanic, loop: Any) -> None:
        stop.set()
        await rasa.close()

    return app


def build(port: Optional[int] = None) -> tuple[Sanic, int]:
    from core.settings import load

    settings = load()
    store = CaseStore(settings.database_url, sla=SlaPolicy.from_spec(settings.handoff_sla))
    store.create_schema()
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    desk = Desk(store, CaseQueue(client))
    desk.ensure_queue()
    rasa = RasaClient(os.environ.get("RASA_URL", f"http://localhost:{settings.rasa_port}"),
                      os.environ.get("RASA_TOKEN"))
    app = create_app(desk, rasa, redis_url=settings.redis_url,
                     sla_tick=float(os.environ.get("HANDOFF_SLA_TICK", "5")))
    return app, port or int(os.environ.get("HANDOFF_PORT", "8000"))


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--host", default=os.environ.get("HANDOFF_HOST", "0.0.0.0"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app, port = build(args.port)
    app.run(host=args.host, port=port, access_log=False, motd=False, workers=1)



if __name__ == "__main__":
    main()
