"""The written daily and weekly reports (handoff.reports), for supervisors: the list, and each file.

A file name comes from the URL, so it is checked against the one pattern the report folder
writes (`daily-2026-12-02.html`) before it is joined to a path: anything else is a 400, a
well-formed name with no file a 404. The HTML is shown in the browser under its own
Content-Security-Policy (handoff/api/headers.py: no script, nothing loaded); the PDF downloads.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, file
from sanic.response import json as json_response

from handoff.api.auth import supervisor_of
from handoff.api.http import ApiError, off_loop
from handoff.reports.store import BadName, ReportFolder


def blueprint(folder: Path) -> Blueprint:
    reports = ReportFolder(folder)

    async def list_reports(request: Request) -> HTTPResponse:
        await supervisor_of(request)
        return json_response({"reports": await off_loop(reports.listing)})

    async def get_report(request: Request, name: str) -> HTTPResponse:
        await supervisor_of(request)
        try:
            found = await off_loop(reports.file, name)
        except BadName as exc:
            raise ApiError(400, "bad_request", str(exc)) from exc
        if found is None:
            raise ApiError(404, "not_found", f"no report file {name}")
        download = found.path.name if found.kind == "pdf" else None  # Content-Disposition: attachment
        try:
            return await file(found.path, mime_type=found.media_type, filename=download)
        except FileNotFoundError as exc:  # replaced or removed since the check: ask again
            raise ApiError(404, "not_found", f"no report file {name}") from exc

    bp = Blueprint("reports")
    bp.add_route(list_reports, "/reports", methods=["GET"])
    bp.add_route(get_report, "/reports/<name:str>", methods=["GET"])
    return bp
