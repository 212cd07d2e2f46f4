"""Retraining jobs for trainers, and the current model for Rasa's model server client.

- `POST /training/retrain` (trainers and supervisors): starts `python -m tools.retrain` in the
  background (handoff/training/jobs.py) → 202 {"job": id}; 409 while another job runs.
- `GET /training/jobs/<id>` (trainers and supervisors): state (queued, training, evaluating,
  promoted, blocked, failed), progress 0..1, the end of the log and, when done, the report:
  both models' scores side by side and each gate rule (tools/retrain.py).
- `GET /models/current.tar.gz`: the current model version (handoff/training/versions.py) with
  `ETag: "<version>"`; `If-None-Match` with that ETag → 304 and no body. Rasa polls it every
  `wait_time_between_pulls` seconds from each of its workers (tools/endpoints.py) and loads a
  model only when the ETag changed.

Who may fetch the model: only a process on this machine that connects directly, i.e. the peer
address is loopback and the request carries no proxy header (X-Forwarded-For, X-Real-IP,
Forwarded). Rasa runs on the same host (`make run`, tools/stack.py), and nginx, which connects
from loopback too, always adds X-Forwarded-For (deploy/nginx), so nothing from outside gets
through it. The model is the shop's know-how (its training examples can be recovered from it)
and not for agents or customers; Rasa's model client sends no agent token, hence the network rule
instead of a token. A Rasa on another machine needs a token added here (docs/training.md).
"""

from __future__ import annotations

import ipaddress
import logging
import sys
from pathlib import Path
from typing import Sequence

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, empty, file
from sanic.response import json as json_response

from core.settings import ROOT
from handoff.api.auth import trainer_of
from handoff.api.http import ApiError, body_of, off_loop
from handoff.training.jobs import JOB_ID, Busy, Jobs
from handoff.training.versions import archive_of, current_version, registry_dir

logger = logging.getLogger(__name__)
PROXY_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")


def is_local(request: Request) -> bool:
    """A direct connection from this machine (not through a proxy, which also connects locally)."""
    if any(request.headers.get(name) for name in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def etag_matches(header: str, etag: str) -> bool:
    """`If-None-Match` names the ETag (weak or strong, in a list, or `*`)."""
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags or etag.strip('"') in tags


def blueprint(var_dir: Path, data_dirs: Sequence[Path] = ()) -> Blueprint:
    """`data_dirs`: the training data folders (TrainingPaths.data_dirs); the first is nlu_data/, a
    second one is the trainers' review folder set apart (TRAINING_REVIEW_DIR), which the
    retraining must read too or the labels just given would not be in the new model."""
    extra = [arg for folder in data_dirs[1:] for arg in ("--extra", str(folder))]
    jobs = Jobs(var_dir / "training" / "jobs", cwd=ROOT,
                command=[sys.executable, "-m", "tools.retrain", *extra] if extra else None)
    registry = registry_dir(var_dir)

    async def retrain(request: Request) -> HTTPResponse:
        trainer = await trainer_of(request)
        body_of(request)  # nothing to set yet; a malformed body is still a 400
        try:
            job = await off_loop(jobs.start, trainer.name)
        except Busy as exc:
            return json_response({"error": {"code": "conflict", "message": str(exc)}, "job": exc.job}, status=409)
        return json_response({"job": job, "status": f"/training/jobs/{job}"}, status=202)

    async def job_status(request: Request, job: str) -> HTTPResponse:
        await trainer_of(request)
        if not JOB_ID.match(job):
            raise ApiError(400, "bad_request", "a job id looks like 20261203T071500-a1b2c3")
        found = await off_loop(jobs.status, job)
        if found is None:
            raise ApiError(404, "not_found", f"no retraining job {job}")
        return json_response(found)

    async def current_model(request: Request) -> HTTPResponse:
        if not is_local(request):
            raise ApiError(403, "forbidden", "the model is served to the Rasa on this machine only")
        version = await off_loop(current_version, registry)
        if version is None:
            raise ApiError(404, "not_found", "no model version yet (tools/models.py registers the first)")
        etag = f'"{version}"'
        if etag_matches(request.headers.get("if-none-match", ""), etag):
            return empty(status=304, headers={"ETag": etag})
        # one line per download: a Rasa worker that asks again with the ETag it has gets a 304 and
        # no line, so the log shows every model load (tests/integration/test_model_versions.py)
        logger.info("model %s sent to the Rasa at %s", version, request.ip)
        # a version's archive is never rewritten, so these bytes are the ETag's even if `current`
        # moves on while they are sent
        # (read whole: a download happens only when the version changed, once per Rasa worker)
        return await file(archive_of(registry, version), mime_type="application/gzip",
                          headers={"ETag": etag, "filename": "model.tar.gz"})

    bp = Blueprint("training_jobs")
    bp.add_route(retrain, "/training/retrain", methods=["POST"])
    bp.add_route(job_status, "/training/jobs/<job:str>", methods=["GET"])
    bp.add_route(current_model, "/models/current.tar.gz", methods=["GET"])
    return bp
