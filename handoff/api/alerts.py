"""SLA breaches and 预警 alerts, for supervisors: listed, acknowledged, and closed with a 复盘 review."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from handoff.api.auth import supervisor_of
from handoff.api.http import ApiError, body_of, clean_text, off_loop, services
from handoff.store import AlertNotFound, AlreadyReviewed, StoreError
from handoff.store.alerts import REVIEW_MAX_CHARS

MAX_ID = 2**63 - 1


async def list_alerts(request: Request) -> HTTPResponse:
    await supervisor_of(request)
    alerts = await off_loop(services(request).desk.alerts, request.args.get("open") == "true")
    return json_response({"alerts": [a.to_dict() for a in alerts]})


async def ack_alert(request: Request, alert_id: int) -> HTTPResponse:
    agent = await supervisor_of(request)
    if not 1 <= alert_id <= MAX_ID:  # larger ids do not fit the database's integer: none exists
        raise ApiError(404, "not_found", f"no alert {alert_id}")
    try:
        alert = await off_loop(services(request).desk.acknowledge, alert_id, agent)
    except StoreError as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    return json_response({"alert": alert.to_dict()})


async def review_alert(request: Request, alert_id: int) -> HTTPResponse:
    """Body `{"note": "复盘: …"}`: what happened, what was done, what changes. 400 for a missing,
    empty or over-long note; 409 when the alert was reviewed already (the first review stands)."""
    agent = await supervisor_of(request)
    note = body_of(request).get("note")
    if not isinstance(note, str) or not clean_text(note).strip():
        raise ApiError(400, "bad_request", "`note` must be a non-empty string: the 复盘 that closes the alert")
    note = clean_text(note.replace("\r\n", "\n"))
    if len(note) > REVIEW_MAX_CHARS:
        raise ApiError(400, "bad_request", f"`note` is {len(note)} characters; the limit is {REVIEW_MAX_CHARS}")
    if not 1 <= alert_id <= MAX_ID:
        raise ApiError(404, "not_found", f"no alert {alert_id}")
    try:
        alert = await off_loop(services(request).desk.review, alert_id, agent, note)
    except AlertNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    except AlreadyReviewed as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    return json_response({"alert": alert.to_dict()})


def blueprint() -> Blueprint:
    bp = Blueprint("alerts")
    bp.add_route(list_alerts, "/alerts", methods=["GET"])
    bp.add_route(ack_alert, "/alerts/<alert_id:int>/ack", methods=["POST"])
    bp.add_route(review_alert, "/alerts/<alert_id:int>/review", methods=["POST"])
    return bp
