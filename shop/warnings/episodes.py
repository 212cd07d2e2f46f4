"""Episodes: one warning per wave of one category and kind, not one per check.

The detector answers every check (every half minute, or every hour in the simulation) whether the
numbers are out of line now; a wave keeps them out of line for hours. A supervisor wants one
warning that grows with the wave: it opens on the first signal, escalates in place when a later
signal is at a higher level (重要 → 严重), and closes once `quiet_hours` have passed without a
signal, so the next wave is a new warning.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Optional

from core.vocabulary import severity_rank
from shop.warnings.config import WarningSettings
from shop.warnings.detector import Signal

ACTIONS = ("open", "escalate", "extend", "close", "none")


@dataclass(frozen=True)
class Episode:
    category: str
    kind: str
    level: str
    opened_at: datetime
    last_signal_at: datetime


@dataclass(frozen=True)
class Step:
    action: str  # "open" | "escalate" | "extend" | "close" | "none"
    episode: Optional[Episode]  # the episode after the step (the closed one for "close"; None if there is none)


def next_step(open_episode: Optional[Episode], signal: Optional[Signal], now: datetime,
              settings: WarningSettings) -> Step:
    """What to do with the open episode of one category+kind given this check's signal (or None).

    open: no episode was open and there is a signal; escalate: the signal's level is above the
    episode's; extend: a signal at the same or a lower level (the warning keeps its level);
    close: no signal for `quiet_hours` (a drift: `drift_quiet_hours`) since the last one; none: nothing changes.
    """
    if open_episode is None:
        if signal is None:
            return Step("none", None)
        return Step("open", Episode(signal.category, signal.kind, signal.level, now, now))
    if signal is None:
        quiet = settings.drift_quiet_hours if open_episode.kind == "volume_drift" else settings.quiet_hours
        if now - open_episode.last_signal_at >= timedelta(hours=quiet):
            return Step("close", open_episode)
        return Step("none", open_episode)
    if (signal.category, signal.kind) != (open_episode.category, open_episode.kind):
        raise ValueError(f"a {signal.category}/{signal.kind} signal cannot continue the "
                         f"{open_episode.category}/{open_episode.kind} episode")
    if severity_rank(signal.level) > severity_rank(open_episode.level):
        return Step("escalate", replace(open_episode, level=signal.level, last_signal_at=now))
    return Step("extend", replace(open_episode, last_signal_at=now))
