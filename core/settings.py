"""Every setting of the assistant, read from the environment in one place.

One code base serves a laptop, CI and several machines; what differs between them is only the
environment. Reading it here, once, into a frozen object means every process and every room sees
the same defaults, and a reader finds every knob in one file (README, "Settings").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "nlu_data"


@dataclass(frozen=True)
class Settings:
    # where state lives
    database_url: str
    redis_url: str
    var_dir: Path
    model_dir: Path
    # trainers' files
    knowledge_file: Path
    handoff_texts_file: Path
    # static pages the handoff service serves: the customers' widget and the agents' console
    widget_dir: Path
    console_dir: Path
    # ports and addresses
    action_port: int
    action_url: str  # the action server's base URL (the handoff service's /ready asks its /health)
    rasa_port: int
    rasa_url: str
    rasa_token: Optional[str]
    handoff_host: str
    handoff_port: int
    event_stream: str
    # the agents' desk
    handoff_sla: str  # "severe=60/14400,…" seconds; parsed by handoff.sla
    handoff_sla_tick: float  # seconds between SLA sweeps
    handoff_presence_ttl: int  # an agent counts as online this long after its last request
    # processes: sized for the 2-core machine this project is measured on
    rasa_workers: int = 2  # Sanic workers of `rasa run` (SANIC_WORKERS); needs the Redis lock store
    handoff_workers: int = 2  # Sanic workers of the handoff service
    archive_retention_days: int = 365  # conversation archive rows older than this are deleted
    reports_dir: Path = ROOT / "var" / "reports"  # REPORTS_DIR: daily and weekly reports (handoff.reports)
    report_daily_at: str = "06:00"  # REPORT_DAILY_AT: yesterday's report is written after this local time
    handoff_teams: Mapping[str, str] = field(default_factory=dict)  # complaint category → team
    handoff_hours: str = ""  # "09:00-21:00"; empty: round the clock
    handoff_tz: str = "Asia/Shanghai"
    # trust boundaries (docs/security.md): who may reach which server, and how much it may send
    rasa_host: str = "127.0.0.1"  # Rasa listens here; the public reaches it only through nginx
    action_host: str = "127.0.0.1"  # only Rasa calls the action server
    action_token: Optional[str] = None  # ACTION_TOKEN; else var/secrets/action_token (core.secrets)
    session_secret: Optional[str] = None  # SESSION_SECRET signs widget sessions; else var/secrets/
    rest_token: Optional[str] = None  # REST_TOKEN: needed by REST callers that are not on loopback
    cors_origins: tuple[str, ...] = ()  # CORS_ORIGINS: origins allowed to call Rasa (the widget's page)
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")  # X-Forwarded-For is believed only from these
    max_message_chars: int = 4000  # longer customer messages get a polite refusal, before NLU
    max_body_bytes: int = 1_000_000  # request bodies of Rasa and the handoff service
    action_max_body_bytes: int = 20_000_000  # the action server receives whole trackers
    rate_per_conversation: str = "20/minute"  # customer messages per conversation (`limits` syntax)
    rate_per_ip: str = "60/minute"  # customer messages and new sessions per client address
    rate_new_cases: str = "120/hour"  # new cases and alerts in the whole shop: a flood stops here
    stream_retention_s: int = 7 * 24 * 3600  # event-stream entries (they hold masked text) older than this go
    demo_supervisor: bool = False  # DEMO_SUPERVISOR=1: `make run` creates and prints a demo supervisor
    # 预警 volume warnings (docs/warnings.md): the parameters' file, and seconds between the checks
    warnings_file: Path = ROOT / "warnings.yml"
    warnings_tick: float = 15.0
    # TRAINING_REVIEW_DIR: where the trainers' inbox writes its labels (docs/training.md)
    training_review_dir: Path = DATA_DIR / "review"
    # RETRAIN_MAX_DROP: how far a candidate's intent accuracy or emotion macro-F1 may fall below the
    # current model's in any language before the retraining gate blocks it (tools/retrain.py)
    retrain_max_drop: float = 0.01


def parse_teams(spec: str) -> dict[str, str]:
    """HANDOFF_TEAMS="complain_billing=billing,complain_privacy_security=security"."""
    pairs = (part.split("=", 1) for part in spec.split(",") if "=" in part)
    return {category.strip(): team.strip() for category, team in pairs if category.strip() and team.strip()}


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def load(env: Optional[Mapping[str, str]] = None) -> Settings:
    """The settings of this process (or of `env`, for tests and for the launcher's children)."""
    e = os.environ if env is None else env
    var_dir = Path(e.get("SHOP_VAR_DIR", ROOT / "var"))
    rasa_port = int(e.get("RASA_PORT", "5005"))
    action_port = int(e.get("ACTION_PORT", "5055"))
    handoff_port = int(e.get("HANDOFF_PORT", "8000"))
    return Settings(
        database_url=e.get("DATABASE_URL", f"sqlite:///{var_dir / 'shop.db'}"),
        redis_url=e.get("REDIS_URL", "redis://localhost:6379/0"),
        var_dir=var_dir,
        model_dir=Path(e.get("MODEL_DIR", ROOT / "models")),
        knowledge_file=Path(e.get("KNOWLEDGE_FILE", DATA_DIR / "knowledge" / "answers.yml")),
        handoff_texts_file=Path(e.get("HANDOFF_TEXTS_FILE", DATA_DIR / "knowledge" / "handoff.yml")),
        widget_dir=Path(e.get("WIDGET_DIR", ROOT / "connectors" / "web")),
        console_dir=Path(e.get("CONSOLE_DIR", ROOT / "handoff" / "console")),
        action_port=action_port,
        action_url=e.get("ACTION_URL", f"http://localhost:{action_port}").rstrip("/"),
        rasa_port=rasa_port,
        rasa_url=e.get("RASA_URL", f"http://localhost:{rasa_port}"),
        rasa_token=e.get("RASA_TOKEN") or None,
        handoff_host=e.get("HANDOFF_HOST", "127.0.0.1"),
        handoff_port=handoff_port,
        event_stream=e.get("RASA_EVENT_STREAM", "rasa:events"),
        handoff_sla=e.get("HANDOFF_SLA", "").strip(),
        handoff_sla_tick=float(e.get("HANDOFF_SLA_TICK", "5")),
        handoff_presence_ttl=int(e.get("HANDOFF_PRESENCE_TTL", "90")),
        rasa_workers=max(1, int(e.get("RASA_WORKERS", "2"))),
        handoff_workers=max(1, int(e.get("HANDOFF_WORKERS", "2"))),
        archive_retention_days=int(e.get("ARCHIVE_RETENTION_DAYS", "365")),
        reports_dir=Path(e.get("REPORTS_DIR", var_dir / "reports")),
        report_daily_at=e.get("REPORT_DAILY_AT", "06:00").strip(),
        handoff_teams=parse_teams(e.get("HANDOFF_TEAMS", "")),
        handoff_hours=e.get("HANDOFF_HOURS", "").strip(),
        handoff_tz=e.get("HANDOFF_TZ", "Asia/Shanghai"),
        rasa_host=e.get("RASA_HOST", "127.0.0.1"),
        action_host=e.get("ACTION_HOST", "127.0.0.1"),
        action_token=e.get("ACTION_TOKEN") or None,
        session_secret=e.get("SESSION_SECRET") or None,
        rest_token=e.get("REST_TOKEN") or None,
        cors_origins=_csv(e.get("CORS_ORIGINS", "")) or (f"http://localhost:{handoff_port}",
                                                         f"http://127.0.0.1:{handoff_port}"),
        trusted_proxies=_csv(e.get("TRUSTED_PROXIES", "127.0.0.1,::1")),
        max_message_chars=int(e.get("MAX_MESSAGE_CHARS", "4000")),
        max_body_bytes=int(e.get("MAX_BODY_BYTES", "1000000")),
        action_max_body_bytes=int(e.get("ACTION_MAX_BODY_BYTES", "20000000")),
        rate_per_conversation=e.get("RATE_PER_CONVERSATION", "20/minute"),
        rate_per_ip=e.get("RATE_PER_IP", "60/minute"),
        rate_new_cases=e.get("RATE_NEW_CASES", "120/hour"),
        stream_retention_s=int(e.get("STREAM_RETENTION_S", str(7 * 24 * 3600))),
        demo_supervisor=e.get("DEMO_SUPERVISOR", "").strip().lower() in ("1", "true", "yes"),
        warnings_file=Path(e.get("WARNINGS_FILE") or ROOT / "warnings.yml"),
        warnings_tick=float(e.get("WARNINGS_TICK", "15")),
        training_review_dir=Path(e.get("TRAINING_REVIEW_DIR") or DATA_DIR / "review"),
        retrain_max_drop=float(e.get("RETRAIN_MAX_DROP") or "0.01"),
    )
