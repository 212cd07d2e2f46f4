"""The trainers' inbox over HTTP (docs/training.md): read it, label messages, skip them.

    GET  /training/inbox?reason=&sort=uncertainty|newest|reason&limit=&offset=
    POST /training/labels   {"keys": [...], "intent": "...", "emotion": "...", "severity": "..."}
    POST /training/skip     {"keys": [...]}

Trainers and supervisors only (an agent gets 403, no token 401). Every refusal a person can fix
is a 400 naming the field: a body that is not JSON, keys that are not a list of 1 to MAX_KEYS
inbox keys (64 hex characters), a label the bot could not learn (unknown intent, emotion or
severity). Keys that are no longer in the inbox (labelled or skipped meanwhile, folded into the
training data) are left alone and listed in `ignored`, so a bulk label racing a colleague still
labels the rest; when none of the keys is in the inbox the answer is 404 and nothing changes.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from core.vocabulary import COMPLAINT_SEVERITIES, EMOTIONS
from handoff.api.auth import trainer_of
from handoff.api.http import ApiError, body_of, off_loop, services
from handoff.store import AgentView
from handoff.training import reviews
from handoff.training import thresholds as th
from handoff.training.inbox import SORTS, Inbox, Item
from handoff.training.labels import Domain, LabelError, ReviewFileError, ReviewFiles, check_label, example
from handoff.training.paths import TrainingPaths
from handoff.training.similar import Similarity
from handoff.training.texts import TrainingTexts

KEY = re.compile(r"^[0-9a-f]{64}$")
logger = logging.getLogger(__name__)
# Seconds after a worker starts before it reads the training data: start-up first (on a 2-core
# machine the Rasa workers load their models in these seconds), the trainers' first page next.
WARM_AFTER_S = 10.0


class Training:
    """What the routes share: the paths, the domain, and the inbox (built at the first request,
    over the desk's database and clock)."""

    def __init__(self, paths: TrainingPaths) -> None:
        self.paths = paths
        self.domain = Domain(paths.domain_file)
        self.files = ReviewFiles(paths.review_dir)
        self.texts = TrainingTexts(*paths.data_dirs())
        self.similarity = Similarity()
        self._inbox: Optional[Inbox] = None

    def inbox(self, request: Request) -> Inbox:
        if self._inbox is None:
            desk = services(request).desk
            self._inbox = Inbox(desk.store.engine, desk.clock, self.texts, self.similarity)
        return self._inbox

    def warm(self) -> None:
        """Reads the training data and counts its n-grams, as the first inbox page would. Why:
        that takes about 3 s per worker on an idle 2-core machine (1.8 s reading 23,000 examples,
        1.4 s counting), and longer on a busy one; done at start-up, a trainer's first page does
        not wait for it. A failure is logged and left to the first request, which reports it."""
        try:
            self.similarity.prepare(self.texts.known().texts)
        except Exception:  # a warm-up must never stop the service
            logger.warning("training inbox warm-up failed; the first inbox request reads the data", exc_info=True)


def _number(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or not low <= int(raw) <= high:
        raise ApiError(400, "bad_request", f"{name}: a whole number from {low} to {high}")
    return int(raw)


def _reasons(request: Request) -> list[str]:
    asked = [part.strip() for value in request.args.getlist("reason") or [] for part in value.split(",")]
    asked = [r for r in asked if r]
    unknown = [r for r in asked if r not in th.REASONS]
    if unknown:
        raise ApiError(400, "bad_request", f"reason: one or more of {', '.join(th.REASONS)}")
    return asked


def _keys(data: dict[str, Any]) -> list[str]:
    keys = data.get("keys")
    if not isinstance(keys, list) or not keys:
        raise ApiError(400, "bad_request", "`keys` must be a non-empty list of inbox keys")
    if len(keys) > th.MAX_KEYS:
        raise ApiError(400, "too_many_keys", f"at most {th.MAX_KEYS} keys at once; send the rest in another request")
    if not all(isinstance(k, str) and KEY.match(k) for k in keys):
        raise ApiError(400, "bad_request", "every key is an inbox item's `key` (64 hexadecimal characters)")
    return list(dict.fromkeys(keys))


def _waiting(training: Training, request: Request, keys: list[str]) -> dict[str, Item]:
    found = training.inbox(request).waiting(keys)
    if not found:
        raise ApiError(404, "not_found", "none of these keys is in the inbox (labelled or skipped already, or "
                                         "already in the training data)")
    return found


def blueprint(paths: Optional[TrainingPaths] = None) -> Blueprint:
    training = Training(paths or TrainingPaths())
    bp = Blueprint("training")
    warming: list[asyncio.Task[None]] = []  # asyncio keeps only weak references to tasks

    async def warm_later() -> None:
        await asyncio.sleep(WARM_AFTER_S)
        await off_loop(training.warm)

    async def warm(app: Any, loop: asyncio.AbstractEventLoop) -> None:
        # Not awaited, and the reading in a thread: the worker serves at once; a first inbox
        # request that comes before the warm-up ends waits on the same locks instead of reading twice.
        warming.append(loop.create_task(warm_later()))

    async def stop_warming(app: Any, loop: asyncio.AbstractEventLoop) -> None:
        for task in warming:
            task.cancel()

    bp.after_server_start(warm)
    bp.before_server_stop(stop_warming)

    async def get_inbox(request: Request) -> HTTPResponse:
        await trainer_of(request)
        sort = request.args.get("sort") or "uncertainty"
        if sort not in SORTS:
            raise ApiError(400, "bad_request", f"sort: one of {', '.join(SORTS)}")
        reasons, limit = _reasons(request), _number(request, "limit", th.PAGE_DEFAULT, 1, th.PAGE_MAX)
        offset = _number(request, "offset", 0, 0, 10**9)
        inbox = training.inbox(request)
        page = await off_loop(inbox.page, reasons, sort, limit, offset)
        # what a label may say, so the page offers nothing the labels route would refuse
        page.update(intents=list(training.domain.intents()), emotions=list(EMOTIONS),
                    severities=list(COMPLAINT_SEVERITIES))
        return json_response(page)

    async def post_labels(request: Request) -> HTTPResponse:
        person = await trainer_of(request)
        data = body_of(request)
        keys = _keys(data)
        try:
            label = check_label(data.get("intent"), data.get("emotion"), data.get("severity"),
                                training.domain.intents())
        except LabelError as exc:
            raise ApiError(400, "unknown_label", str(exc)) from exc
        return json_response(await off_loop(_label, training, request, person, keys, label))

    async def post_skip(request: Request) -> HTTPResponse:
        person = await trainer_of(request)
        keys = _keys(body_of(request))
        found = await off_loop(_waiting, training, request, keys)
        desk = services(request).desk
        won = await off_loop(reviews.record, desk.store.engine, list(found), by=person.name, at=desk.clock.now())
        return json_response({"skipped": len(won), "ignored": [k for k in keys if k not in won]})

    bp.add_route(get_inbox, "/training/inbox", methods=["GET"])
    bp.add_route(post_labels, "/training/labels", methods=["POST"])
    bp.add_route(post_skip, "/training/skip", methods=["POST"])
    return bp


def _label(training: Training, request: Request, person: AgentView, keys: list[str], label: Any) -> dict[str, Any]:
    """Records the decisions, then writes them to the day's review file (taking them back if it fails)."""
    found = _waiting(training, request, keys)
    desk = services(request).desk
    now = desk.clock.now()
    path = training.files.path_for(now)
    shown = training.paths.shown(path)
    won = reviews.record(desk.store.engine, list(found), by=person.name, at=now, label=label, file=shown)
    if won:
        examples = [example(label, found[k].text, reviewer=person.name, at=now, model_id=found[k].newest.model_id,
                            reasons=found[k].reasons) for k in won]
        try:
            training.files.add(path, examples)
        except (OSError, ReviewFileError) as exc:
            reviews.forget(desk.store.engine, won, by=person.name)
            why = getattr(exc, "strerror", None) or str(exc)
            raise ApiError(500, "write_failed", f"{shown} could not be written ({why}); nothing was labelled") from exc
    return {"written": len(won), "file": shown, "ignored": [k for k in keys if k not in won]}
