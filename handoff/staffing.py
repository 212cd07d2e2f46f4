"""Who answers a handoff, and when: the team a complaint goes to and the hours people work.

Both come from the settings (HANDOFF_TEAMS, HANDOFF_HOURS, HANDOFF_TZ); without them every case
goes to `general`, round the clock, so a shop with one team needs no configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Mapping, Optional
from zoneinfo import ZoneInfo

from core.settings import Settings

DEFAULT_TEAM = "general"
ROUND_THE_CLOCK = ("", "24h", "00:00-24:00")


def team_for(category: str, teams: Mapping[str, str]) -> str:
    """The team of a complaint category (settings.handoff_teams: "complain_refund=billing,…")."""
    return teams.get(category, DEFAULT_TEAM)


@dataclass(frozen=True)
class Hours:
    """When people answer. Outside these hours a handoff becomes a callback request."""

    start: time = time(0, 0)
    end: Optional[time] = None  # None: round the clock
    zone: str = "Asia/Shanghai"

    @classmethod
    def parse(cls, spec: str, zone: str = "Asia/Shanghai") -> "Hours":
        """"09:00-21:00" (a span past midnight like "22:00-06:00" works too); "" or "24h": always."""
        spec = spec.strip()
        if spec in ROUND_THE_CLOCK:
            return cls(zone=zone)
        try:
            start, end = (time.fromisoformat(part.strip()) for part in spec.split("-", 1))
        except ValueError as exc:
            raise ValueError(f"HANDOFF_HOURS must look like 09:00-21:00, not {spec!r}") from exc
        return cls(start, end, zone)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Hours":
        return cls.parse(settings.handoff_hours, settings.handoff_tz)

    def open_at(self, moment: datetime) -> bool:
        if self.end is None:
            return True
        local = moment.astimezone(ZoneInfo(self.zone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end
