"""SLA targets and queue priority (SPEC §7); targets come from the environment so tests can shorten them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping, Optional

SEVERITIES: tuple[str, ...] = ("none", "general", "important", "severe")
BASE_PRIORITY: Mapping[str, int] = {"severe": 100, "important": 60, "general": 30, "none": 20}
UPSET_EMOTIONS = frozenset({"anger", "anxiety"})
UPSET_BONUS = 20
BREACH_BONUS = 15


@dataclass(frozen=True)
class SlaTarget:
    first_response: timedelta
    resolution: timedelta


def _default_targets() -> dict[str, SlaTarget]:
    return {
        "severe": SlaTarget(timedelta(minutes=1), timedelta(hours=4)),
        "important": SlaTarget(timedelta(minutes=5), timedelta(hours=24)),
        "general": SlaTarget(timedelta(minutes=30), timedelta(hours=72)),
    }


@dataclass(frozen=True)
class SlaPolicy:
    """Targets per severity; `none` (a plain request for a person) follows `general` unless set itself."""

    targets: Mapping[str, SlaTarget] = field(default_factory=_default_targets)

    def target(self, severity: Optional[str]) -> SlaTarget:
        key = severity or "none"
        if key not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}")
        if key in self.targets:
            return self.targets[key]
        return self.targets.get("general") or _default_targets()["general"]

    def deadlines(self, severity: Optional[str], opened_at: datetime) -> tuple[datetime, datetime]:
        """(first response due, resolution due) for a case opened at `opened_at`."""
        t = self.target(severity)
        return opened_at + t.first_response, opened_at + t.resolution

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> SlaPolicy:
        """Defaults overridden by HANDOFF_SLA="severe=60/14400,important=300/86400" (seconds)."""
        raw = (env if env is not None else os.environ).get("HANDOFF_SLA", "").strip()
        return cls(targets={**_default_targets(), **parse_targets(raw)}) if raw else cls()


def parse_targets(raw: str) -> dict[str, SlaTarget]:
    targets: dict[str, SlaTarget] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        first, slash, resolution = value.partition("/")
        if not sep or not slash or name not in SEVERITIES:
            raise ValueError(
                f"HANDOFF_SLA: bad item {item!r}; expected SEVERITY=FIRST_RESPONSE_S/RESOLUTION_S "
                f"with SEVERITY one of {', '.join(SEVERITIES)}, e.g. severe=60/14400"
            )
        try:
            seconds = float(first), float(resolution)
        except ValueError:
            raise ValueError(f"HANDOFF_SLA: {item!r}: the times must be numbers of seconds") from None
        if min(seconds) <= 0:
            raise ValueError(f"HANDOFF_SLA: {item!r}: the times must be positive")
        targets[name] = SlaTarget(timedelta(seconds=seconds[0]), timedelta(seconds=seconds[1]))
    return targets


def priority(severity: Optional[str], emotion: Optional[str], breached: int = 0) -> int:
    """Higher is served first: severity, then an upset customer, then every SLA already missed."""
    key = severity or "none"
    if key not in BASE_PRIORITY:
        raise ValueError(f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}")
    bonus = UPSET_BONUS if emotion in UPSET_EMOTIONS else 0
    return BASE_PRIORITY[key] + bonus + BREACH_BONUS * max(0, breached)
