"""The handoff service: the agents' HTTP API, the live feed of customer messages and the SLA
clock, in one process beside Rasa (Sanic, as Rasa uses).

    python -m handoff.service [--port 8000] [--host 0.0.0.0]

Settings (core.settings): DATABASE_URL, REDIS_URL, RASA_URL, RASA_TOKEN (Rasa's --auth-token),
HANDOFF_HOST, HANDOFF_PORT, HANDOFF_SLA, HANDOFF_SLA_TICK (seconds between SLA sweeps),
HANDOFF_PRESENCE_TTL, HANDOFF_HOURS, HANDOFF_TZ, HANDOFF_TEAMS, RASA_EVENT_STREAM, WIDGET_DIR, CONSOLE_DIR.
"""

from __future__ import annotations

import argparse
import logging
from typing import Optional

from sanic import Sanic

from core.settings import Settings, load
from handoff.api.app import create_app
from handoff.desk import Desk
from handoff.rasa_client import RasaClient


def build(settings: Settings) -> Sanic:
    """The app of this process: the desk, Rasa and the static pages as the settings say."""
    return create_app(Desk.from_settings(settings), RasaClient(settings.rasa_url, settings.rasa_token),
                      redis_url=settings.redis_url,
                      pages={"/widget": settings.widget_dir, "/console": settings.console_dir},
                      sla_tick=settings.handoff_sla_tick, presence_ttl=settings.handoff_presence_ttl,
                      event_stream=settings.event_stream)


def main(argv: Optional[list[str]] = None) -> None:
    settings = load()
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, default=settings.handoff_port)
    parser.add_argument("--host", default=settings.handoff_host)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    build(settings).run(host=args.host, port=args.port, access_log=False, motd=False, workers=1)


if __name__ == "__main__":
    main()
