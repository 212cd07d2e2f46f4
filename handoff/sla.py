"""SLA targets (SPEC §7); HANDOFF_SLA overrides them, so a shop (or a test) can set its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping, Optional

from core.vocabulary import SEVERITIES, check_severity


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
        key = check_severity(severity)
        if key in self.targets:
            return self.targets[key]
        return self.targets.get("general") or _default_targets()["general"]

    def deadlines(self, severity: Optional[str], opened_at: datetime) -> tuple[datetime, datetime]:
        """(first response due, resolution due) for a case opened at `opened_at`."""
        t = self.target(severity)
        return opened_at + t.first_response, opened_at + t.resolution

    @classmethod
    def from_spec(cls, raw: str) -> SlaPolicy:
        """Defaults overridden by HANDOFF_SLA="severe=60/14400,important=300/86400" (seconds)."""
        raw = raw.strip()
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

