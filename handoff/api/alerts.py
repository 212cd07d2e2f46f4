"""SLA breaches and 预警 alerts, for supervisors."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from handoff.api.auth import supervisor_of
from handoff.api.http import ApiError, off_loop, services
from handoff.store import StoreError

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


def blueprint() -> Blueprint:
    bp = Blueprint("alerts")
    bp.add_route(list_alerts, "/alerts", methods=["GET"])
    bp.add_route(ack_alert, "/alerts/<alert_id:int>/ack", methods=["POST"])
    return bp
