"""Sends a fuzzed request to the running service and says what, if anything, is wrong with the
answer: a 5xx, an error that is not `{"error": {"code", "message"}}`, a request without a valid
token that was not refused with 401, or no answer at all."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from typing import Optional

from tests.fuzz.requests import Request

BAD_TOKEN = "not-a-real-token"  # well-formed, unknown to the service


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Finding:
    operation: str
    problem: str
    request: Request
    status: int
    body: bytes


def send(base: str, request: Request, tokens: dict[str, str], timeout: float = 60) -> Answer:
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "localhost", url.port, timeout=timeout)
    headers = dict(request.headers)
    if request.auth in tokens:
        headers["Authorization"] = f"Bearer {tokens[request.auth]}"
    elif request.auth == "bad":
        headers["Authorization"] = f"Bearer {BAD_TOKEN}"
    if request.body is not None:
        headers.setdefault("Content-Type", "application/json")
    try:
        try:
            connection.request(request.method, request.target(), body=request.body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before all was sent (413): its answer may still be there to read
        response = connection.getresponse()
        content_type = response.getheader("Content-Type") or ""
        # a live feed never ends: its status and type are the answer
        body = b"" if content_type.startswith("text/event-stream") else response.read()
        return Answer(response.status, content_type, body)
    finally:
        connection.close()


def problem_with(request: Request, answer: Answer) -> Optional[str]:
    """What is wrong with `answer` to `request`, or None."""
    if answer.status >= 500:
        return f"{answer.status}"
    # Without a valid token the request may still be refused before it reaches a route (400
    # malformed, 404 no such route, 405, 413 too large), never by a route's own logic or accepted.
    if request.auth in ("none", "bad") and answer.status not in (400, 401, 404, 405, 413):
        return f"{answer.status} without a valid token (want 401)"
    if answer.status < 400:
        return None
    if not answer.content_type.startswith("application/json"):
        return f"{answer.status} error as {answer.content_type or 'no content type'}"
    try:
        data = json.loads(answer.body)
    except ValueError:
        return f"{answer.status} error body is not JSON"
    error = data.get("error") if isinstance(data, dict) else None
    if not (isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)):
        return f"{answer.status} error is not {{'error': {{'code', 'message'}}}}: keys {sorted(data)[:5]}"
    return None


def over_limits(request: Request, max_body_bytes: int) -> bool:
    """A request the server may refuse by closing the connection: a body over its limit or a
    request head over Sanic's 8 KB (REQUEST_MAX_HEADER_SIZE)."""
    head = len(request.target()) + sum(len(k) + len(v) + 4 for k, v in request.headers) + 200
    return len(request.body or b"") > max_body_bytes or head > 8192


def check(base: str, request: Request, tokens: dict[str, str], max_body_bytes: int,
          statuses: Counter[int]) -> Optional[Finding]:
    """`statuses` counts the answers (0: the connection was closed), which shows how deep the
    fuzz got: many 2xx and 409s mean requests reached the desk, not only the token check."""
    try:
        answer = send(base, request, tokens)
    except (OSError, http.client.HTTPException) as exc:
        statuses[0] += 1
        if over_limits(request, max_body_bytes):
            return None
        return Finding(request.operation, f"no answer: {type(exc).__name__}", request, 0, str(exc).encode())
    statuses[answer.status] += 1
    problem = problem_with(request, answer)
    return Finding(request.operation, problem, request, answer.status, answer.body) if problem else None
