"""One case at a time: claim it, read it, write to the customer, note, transfer, move it through
its lifecycle, resolve it (the bot takes the customer back).

Outside the agent's teams and languages a case answers 404 `not_found`, exactly like an id that
was never issued (handoff/access.py); a case the agent may see but does not serve answers 403
`forbidden` to writes. Contacts are masked unless the agent serves the case or supervises."""

from __future__ import annotations

from typing import Any, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from handoff import access, lifecycle
from handoff.api.auth import agent_of
from handoff.api.customer import greet, hand_back
from handoff.api.http import ApiError, body_of, error, header_key, name_field, off_loop, services, text_field
from handoff.rasa_client import DeliveryError
from handoff.reach import unreachable
from handoff.store.cases import FINAL_LABELS, final_label


async def list_cases(request: Request) -> HTTPResponse:
    agent = await agent_of(request)
    state = request.args.get("state") or None
    cases = await off_loop(services(request).desk.cases, agent, mine=request.args.get("mine") == "true", state=state)
    return json_response({"cases": cases})


async def claim_case(request: Request, case_id: str) -> HTTPResponse:
    agent = await agent_of(request)
    found = services(request)
    case = await off_loop(found.desk.claim, case_id, agent)
    await greet(found, case, agent)
    return json_response({"case": await off_loop(found.desk.case_detail, case.id, agent)})


async def get_case(request: Request, case_id: str) -> HTTPResponse:
    agent = await agent_of(request)
    return json_response({"case": await off_loop(services(request).desk.case_detail, case_id, agent)})


async def case_messages(request: Request, case_id: str) -> HTTPResponse:
    agent = await agent_of(request)
    raw = request.args.get("after", "0") or "0"
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(422, "invalid", "`after` must be a message id (a whole number)")
    messages = await off_loop(services(request).desk.messages, case_id, agent, int(raw))
    return json_response({"messages": messages})


async def reply_to_case(request: Request, case_id: str) -> HTTPResponse:
    agent = await agent_of(request)
    found = services(request)
    data = body_of(request)
    text = text_field(data)
    key = header_key(request, data)  # scoped by the desk to this case, this agent and this route
    case, stored = await off_loop(found.desk.reply, case_id, agent, text, key)
    if stored is None:
        return json_response({"delivered": False, "duplicate": True, "case_id": case.id})
    gone = await unreachable(found.redis_url, case.conversation_id)
    if gone is not None:  # WeChat's 48 hours are over: say so now rather than lose the reply
        await off_loop(found.desk.system_note, case.id, f"not delivered: {gone}")
        return error(409, "customer_unreachable", f"the reply is kept in case {case.id} but cannot reach the "
                                                  f"customer: {gone}")
    try:
        await found.rasa.say(case.conversation_id, text, agent=agent.name, case_id=case.id)
    except DeliveryError as exc:
        await off_loop(found.desk.system_note, case.id, f"not delivered: {exc}")
        return error(502, "not_delivered", f"the reply is kept in case {case.id} but did not reach the "
                                           f"customer: {exc}")
    await off_loop(found.desk.delivered, case.id, stored)
    return json_response({"delivered": True, "duplicate": False, "message": stored.to_dict()}, status=201)


async def add_note(request: Request, case_id: str) -> HTTPResponse:
    agent = await agent_of(request)
    data = body_of(request)
    stored = await off_loop(services(request).desk.note, case_id, agent, text_field(data), header_key(request, data))
    return json_response({"note": stored.to_dict() if stored else None, "duplicate": stored is None}, status=201)


async def transfer_case(request: Request, case_id: str) -> HTTPResponse:
    agent = await agent_of(request)
    desk = services(request).desk
    data = body_of(request)
    target, team = name_field(data, "agent"), name_field(data, "team")
    if not target and not team:
        raise ApiError(422, "invalid", "give `agent` (a name) or `team`")
    to_agent = None
    if target:
        to_agent = await off_loop(desk.agent_named, target)
        if to_agent is None:
            raise ApiError(422, "unknown_agent", f"no agent named {target!r}")
    case = await off_loop(desk.transfer, case_id, agent, to_agent=to_agent, team=team,
                          note=text_field(data, "note", required=False))
    return json_response({"case": access.case_dict(case, agent)})


async def update_case_state(request: Request, case_id: str) -> HTTPResponse:
    agent = await agent_of(request)
    found = services(request)
    data = body_of(request)
    state = data.get("state")
    if not isinstance(state, str) or state not in lifecycle.STATES:
        raise ApiError(422, "invalid", f"`state` must be one of {', '.join(lifecycle.STATES)}")
    case, paused = await off_loop(found.desk.update_state, case_id, agent, state,
                                  text_field(data, "note", required=False))
    handed_back = await hand_back(found, case) if paused else None
    return json_response({"case": access.case_dict(case, agent), "handed_back": handed_back})


def final_labels(data: dict[str, Any]) -> dict[str, Optional[str]]:
    """The agent's final category and severity from a resolve body: absent or null when they
    did not say; 400 `unknown_label` for anything that is not a known value, before anything changes."""
    try:
        return {name: final_label(name, data.get(name)) for name in FINAL_LABELS}
    except ValueError as exc:
        raise ApiError(400, "unknown_label", str(exc)) from exc


async def resolve_case(request: Request, case_id: str) -> HTTPResponse:
    agent = await agent_of(request)
    found = services(request)
    data = body_of(request)
    note = text_field(data, "note", required=False)
    case, paused = await off_loop(found.desk.resolve, case_id, agent, note, **final_labels(data))
    handed_back = await hand_back(found, case) if paused else None
    return json_response({"case": access.case_dict(case, agent), "handed_back": handed_back})


def blueprint() -> Blueprint:
    bp = Blueprint("cases")
    bp.add_route(list_cases, "/cases", methods=["GET"])
    bp.add_route(get_case, "/cases/<case_id>", methods=["GET"])
    bp.add_route(claim_case, "/cases/<case_id>/claim", methods=["POST"])
    bp.add_route(case_messages, "/cases/<case_id>/messages", methods=["GET"])
    bp.add_route(reply_to_case, "/cases/<case_id>/reply", methods=["POST"])
    bp.add_route(add_note, "/cases/<case_id>/notes", methods=["POST"])
    bp.add_route(transfer_case, "/cases/<case_id>/transfer", methods=["POST"])
    bp.add_route(update_case_state, "/cases/<case_id>/state", methods=["POST"])
    bp.add_route(resolve_case, "/cases/<case_id>/resolve", methods=["POST"])
    return bp
