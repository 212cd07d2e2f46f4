"""Statistics for supervisors (docs/statistics.md): the page's data, the cases behind a chart and
the exports. Every route reads the same filters (handoff.stats.StatsFilters); a filter a person
can fix is a 400 naming the parameter, never a 5xx."""

from __future__ import annotations

from typing import Callable, TypeVar

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw
from sanic.response import json as json_response

from handoff.api.auth import supervisor_of
from handoff.api.http import ApiError, off_loop, services
from handoff.stats import FilterError, Selection, StatsFilters, TooManyRows, cases, export, page_data
from handoff.stats.filters import zone

T = TypeVar("T")
MAX_ARG_CHARS = 2000  # one query parameter; longer ones cannot be a filter


def _args(request: Request) -> dict[str, str]:
    """Query parameters as one string each; a repeated one (category=a&category=b) is a list."""
    out = {name: ",".join(values) for name, values in request.args.items()}
    for name, value in out.items():
        if len(value) > MAX_ARG_CHARS:
            raise ApiError(400, "bad_request", f"{name}: longer than {MAX_ARG_CHARS} characters")
    return out


def _parsed(parse: Callable[[], T]) -> T:
    try:
        return parse()
    except FilterError as exc:
        raise ApiError(400, "bad_request", str(exc)) from exc


def _filters(request: Request) -> tuple[StatsFilters, dict[str, str]]:
    desk = services(request).desk
    args = _args(request)
    today = desk.clock.now().astimezone(zone(desk.hours.zone)).date()  # the shop's today, not UTC's
    return _parsed(lambda: StatsFilters.parse(args, desk.hours.zone, today)), args


async def get_stats(request: Request) -> HTTPResponse:
    await supervisor_of(request)
    filters, _ = _filters(request)
    desk = services(request).desk
    data = await off_loop(page_data, desk.store.engine, filters, now=desk.clock.now())
    return json_response(data)


async def list_cases(request: Request) -> HTTPResponse:
    await supervisor_of(request)
    filters, args = _filters(request)
    selection = _parsed(lambda: Selection.parse(args, filters))
    return json_response(await off_loop(cases, services(request).desk.store.engine, selection))


async def export_stats(request: Request) -> HTTPResponse:
    await supervisor_of(request)
    filters, args = _filters(request)
    selection = _parsed(lambda: Selection.parse({**args, "limit": "", "offset": ""}, filters))
    fmt, what = args.get("format") or "csv", args.get("what") or "cases"
    if fmt not in ("csv", "xlsx"):
        raise ApiError(400, "bad_request", "format: one of csv, xlsx")
    if what not in ("cases", "aggregate"):
        raise ApiError(400, "bad_request", "what: one of cases, aggregate")
    try:
        made = await off_loop(export, services(request).desk.store.engine, selection, what, fmt)
    except TooManyRows as exc:
        raise ApiError(400, "too_many_rows", str(exc)) from exc
    return raw(made.body, content_type=made.content_type,
               headers={"Content-Disposition": f'attachment; filename="{made.filename}"'})


def blueprint() -> Blueprint:
    bp = Blueprint("stats")
    bp.add_route(get_stats, "/stats", methods=["GET"])
    bp.add_route(list_cases, "/stats/cases", methods=["GET"])
    bp.add_route(export_stats, "/stats/export", methods=["GET"])
    return bp
