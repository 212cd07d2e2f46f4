"""The handoff service: the agents' HTTP API, the live feed of customer messages and the SLA
clock, in one process beside Rasa (Sanic, as Rasa uses).

    python -m handoff.service [--port 8000] [--host 0.0.0.0] [--workers 2]

With several workers (HANDOFF_WORKERS, default 2) Sanic forks that many processes sharing the
port; each runs the API and the background loops, which share the work through Redis (see
handoff/api/tasks.py and docs/handoff.md, "Several workers").

Settings (core.settings): DATABASE_URL, REDIS_URL, RASA_URL, RASA_TOKEN (Rasa's --auth-token),
HANDOFF_HOST, HANDOFF_PORT, HANDOFF_SLA, HANDOFF_SLA_TICK (seconds between SLA sweeps),
HANDOFF_PRESENCE_TTL, HANDOFF_HOURS, HANDOFF_TZ, HANDOFF_TEAMS, HANDOFF_WORKERS, RASA_EVENT_STREAM,
ARCHIVE_RETENTION_DAYS, WIDGET_DIR, CONSOLE_DIR, MAX_BODY_BYTES (413 above it), RASA_PORT (the widget's
Content-Security-Policy lets it connect to Rasa there), WARNINGS_FILE and WARNINGS_TICK (预警 volume
warnings: the parameters' file, seconds between checks), REPORTS_DIR and REPORT_DAILY_AT (the daily
and weekly reports: their folder, the local time after which yesterday's is written).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from typing import Optional

from sanic import Sanic

from core.settings import Settings, load
from handoff.api import tasks
from handoff.api.app import create_app
from handoff.archive import Archive
from handoff.desk import Desk
from handoff.rasa_client import RasaClient
from handoff.reports.schedule import parse_daily_at
from handoff.reports.writer import ReportWriter
from handoff.warnings import WarningRunner
from shop.warnings import load_settings

PR_SET_PDEATHSIG = 1  # prctl(2)


def die_with_parent(parent: int) -> None:
    """A forked worker is ended (SIGTERM, so it stops gracefully) when the main process dies, even
    by SIGKILL: an orphaned worker would go on answering on the port and reading the stream with
    code and settings nobody supervises any more. Linux only; elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="orphan-watch", daemon=True).start()


ORPHAN_GRACE_S = 8.0  # a graceful stop takes 1-2 s; a busy machine may take longer, never forever


def _exit_when_orphaned(parent: int, poll_s: float = 0.5) -> None:
    """The hard floor under the SIGTERM above: a graceful stop can hang (a listener waiting on a
    socket, a signal arriving before Sanic installed its handler), and an orphan must not. Once
    the parent is gone the worker gets ORPHAN_GRACE_S to stop by itself, then exits at once;
    stream events it had not acknowledged stay pending and another worker claims them."""
    while os.getppid() == parent:
        time.sleep(poll_s)
    time.sleep(ORPHAN_GRACE_S)
    os._exit(0)


def build(settings: Settings) -> Sanic:
    """The app of this process: the desk, Rasa, the conversation archive and the static pages as
    the settings say."""
    desk = Desk.from_settings(settings)  # migrates the database, the archive's tables included
    archive = Archive(settings.database_url, retention_days=settings.archive_retention_days)
    main_pid = os.getpid()
    app = create_app(desk, RasaClient(settings.rasa_url, settings.rasa_token),
                     redis_url=settings.redis_url,
                     pages={"/widget": settings.widget_dir, "/console": settings.console_dir},
                     sla_tick=settings.handoff_sla_tick, presence_ttl=settings.handoff_presence_ttl,
                     event_stream=settings.event_stream, max_body_bytes=settings.max_body_bytes,
                     rasa_urls=(settings.rasa_url,), rasa_port=settings.rasa_port,
                     reports_dir=settings.reports_dir)
    tasks.run_archive_with(app, archive, redis_url=settings.redis_url, stream_name=settings.event_stream)
    reports = ReportWriter(desk.store.engine, settings.reports_dir, settings.handoff_tz,
                           parse_daily_at(settings.report_daily_at))
    tasks.run_reports_with(app, reports, redis_url=settings.redis_url)
    tasks.run_rollup_with(app, desk.store.engine, settings.handoff_tz, redis_url=settings.redis_url)
    runner = WarningRunner(desk.store, load_settings(settings.warnings_file), publish=desk.queue.publish)
    tasks.run_warnings_with(app, runner, redis_url=settings.redis_url, tick=settings.warnings_tick)

    async def as_worker(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        # The database was opened (migrated) before Sanic forked the workers: a pooled connection
        # shared by two processes corrupts both sides' conversation with the server. Each worker
        # forgets the inherited ones without closing them (close=False) and opens its own.
        for engine in (desk.store.engine, archive.engine):
            engine.dispose(close=False)
        if os.getpid() != main_pid:  # a forked worker, not a single-process server
            die_with_parent(main_pid)

    app.register_listener(as_worker, "before_server_start")
    return app


def main(argv: Optional[list[str]] = None) -> None:
    settings = load()
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, default=settings.handoff_port)
    parser.add_argument("--host", default=settings.handoff_host)
    parser.add_argument("--workers", type=int, default=settings.handoff_workers,
                        help="Sanic worker processes (default: HANDOFF_WORKERS, %(default)s)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    build(settings).run(host=args.host, port=args.port, access_log=False, motd=False, workers=args.workers)


if __name__ == "__main__":
    main()
