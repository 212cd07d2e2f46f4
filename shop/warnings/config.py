"""The parameters of the spike warnings, read from `warnings.yml` with documented defaults.

A shop tunes how touchy its warnings are without touching code, so every number the detector
and the episodes use is here, with its default (the defaults are the ones the simulation in
docs/warnings.md measured). A missing file means the defaults; a wrong value stops the service
with the key's name rather than silently warning too much or never.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from core.settings import ROOT

DEFAULT_FILE = ROOT / "warnings.yml"
LEVELS = ("general", "important", "severe")  # 一般预警, 重要预警, 严重预警


class WarningSettingsError(ValueError):
    """warnings.yml is unreadable or one of its values is out of range; the message names the key."""


@dataclass(frozen=True)
class WarningSettings:
    # Farrington-style baseline: the same hour-of-week ± window_hours in the previous baseline_weeks
    baseline_weeks: int = 8
    window_hours: int = 0
    # references from the same hours of every past day, scaled to the weekday, unless this hour of
    # the week's own references differ from them by more than pooled_misfit standard errors
    pooled_days: bool = True
    pooled_misfit: float = 3.0
    # z of the one-hour (sliding) window and of the two-hour window; both are tested every check
    z_one_hour: float = 3.25
    z_two_hours: float = 3.5
    # expected counts below this are raised to it, so a category that is usually silent still
    # needs a few complaints at once before it warns
    mu_floor: float = 0.5
    # reference hours whose Anscombe residual is above this are left out of the baseline (past waves)
    reweight_residual: float = 2.58
    # never warn on fewer complaints than this in the window, whatever the baseline
    min_count: int = 6
    # observed ≥ large_wave_factor × threshold is a large wave: 严重预警
    large_wave_factor: float = 2.0
    # cold start, while the shop has less than cold_start_weeks of data: EARS C2 in its first day,
    # then the same hours (± cold_window_hours) on the last cold_days days (0: EARS C2 throughout)
    cold_start_weeks: int = 4
    cold_days: int = 7
    cold_window_hours: int = 1
    ears_k: float = 3.0
    ears_sd_floor: float = 1.0
    ears_baseline_hours: int = 7
    ears_lag_hours: int = 2
    # slow drift: EWMA of the daily standardized residuals over the last drift_days days
    ewma_lambda: float = 0.2
    ewma_limit: float = 3.5
    ewma_clip: float = 3.0
    drift_days: int = 14
    # a burst of severe cases: at least severe_burst_min in the sliding hour and above their threshold
    severe_burst_min: int = 3
    severe_z: float = 3.5
    # an episode closes after quiet_hours without a signal (a drift's after drift_quiet_hours: its
    # daily windows slide, so a real drift can be quiet for part of every day)
    quiet_hours: float = 4.0
    drift_quiet_hours: float = 48.0
    # response deadline per level, minutes after the warning opens (or escalates)
    deadline_minutes: Mapping[str, float] = field(
        default_factory=lambda: {"general": 1440.0, "important": 120.0, "severe": 30.0})
    # who answers a warning: per category, else `default`
    owners: Mapping[str, str] = field(default_factory=lambda: {"default": "supervisor on duty"})

    def owner_for(self, category: str) -> str:
        return self.owners.get(category) or self.owners.get("default") or "supervisor on duty"

    def deadline_for(self, level: str) -> timedelta:
        return timedelta(minutes=self.deadline_minutes[level])


# (lowest allowed, highest allowed) of every number; None = unbounded on that side
_BOUNDS: dict[str, tuple[Optional[float], Optional[float]]] = {
    "baseline_weeks": (1, 52), "window_hours": (0, 12), "z_one_hour": (0.5, 10), "z_two_hours": (0.5, 10),
    "mu_floor": (0.01, None), "pooled_misfit": (0, None), "reweight_residual": (1, None), "min_count": (1, None),
    "large_wave_factor": (1, None), "cold_start_weeks": (0, 52),
    "cold_days": (0, 28), "cold_window_hours": (0, 6), "ears_k": (0.5, 10), "ears_sd_floor": (0, None),
    "ears_baseline_hours": (2, 168), "ears_lag_hours": (0, 48), "ewma_lambda": (0.01, 1), "ewma_limit": (0.5, 10),
    "ewma_clip": (0.5, None), "drift_days": (2, 60), "severe_burst_min": (1, None), "severe_z": (0.5, 10),
    "quiet_hours": (0.5, 168), "drift_quiet_hours": (0.5, 720),
}


def _number(key: str, value: Any, integer: bool) -> float:
    low, high = _BOUNDS[key]
    ok = not isinstance(value, bool) and isinstance(value, int if integer else (int, float))
    if ok and not math.isfinite(value):
        ok = False
    if not ok or (low is not None and value < low) or (high is not None and value > high):
        kind = "a whole number" if integer else "a number"
        span = f" from {low:g}" if low is not None else ""
        span += f" to {high:g}" if high is not None else (" up" if low is not None else "")
        raise WarningSettingsError(f"{key} must be {kind}{span}, got {value!r}")
    return float(value)


def _deadlines(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise WarningSettingsError(f"deadline_minutes must map each level ({', '.join(LEVELS)}) to minutes")
    out = dict(WarningSettings().deadline_minutes)
    for level, minutes in value.items():
        if level not in LEVELS:
            raise WarningSettingsError(f"deadline_minutes.{level}: unknown level; one of {', '.join(LEVELS)}")
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 < minutes < math.inf:
            raise WarningSettingsError(f"deadline_minutes.{level} must be a number of minutes > 0, got {minutes!r}")
        out[level] = float(minutes)
    return out


def _owners(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise WarningSettingsError("owners must map categories (and `default`) to a name")
    out = dict(WarningSettings().owners)
    for category, name in value.items():
        if not isinstance(name, str) or not name.strip():
            raise WarningSettingsError(f"owners.{category} must be a non-empty name, got {name!r}")
        out[str(category)] = name.strip()
    return out


def parse_settings(raw: Any, source: str = "warnings.yml") -> WarningSettings:
    """Settings from the YAML's top-level mapping; unknown keys are errors (a typo would otherwise
    leave a default in force without anybody noticing)."""
    if raw is None:
        return WarningSettings()
    if not isinstance(raw, Mapping):
        raise WarningSettingsError(f"{source}: the top level must be a mapping of setting: value")
    known = {f.name: f for f in fields(WarningSettings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise WarningSettingsError(f"{source}: unknown setting {key!r}; known: {', '.join(sorted(known))}")
        try:
            if key == "deadline_minutes":
                values[key] = _deadlines(value)
            elif key == "owners":
                values[key] = _owners(value)
            elif known[key].type in ("bool", bool):
                if not isinstance(value, bool):
                    raise WarningSettingsError(f"{key} must be true or false, got {value!r}")
                values[key] = value
            else:
                integer = known[key].type in ("int", int)
                number = _number(key, value, integer)
                values[key] = int(number) if integer else number
        except WarningSettingsError as error:
            raise WarningSettingsError(f"{source}: {error}") from None
    return WarningSettings(**values)


def settings_path() -> Path:
    """warnings.yml at the repository root unless WARNINGS_FILE names another file."""
    return Path(os.environ.get("WARNINGS_FILE") or DEFAULT_FILE)


def load_settings(path: Optional[Path] = None) -> WarningSettings:
    """The settings in `path` (default: `settings_path()`); a missing file means every default."""
    path = settings_path() if path is None else Path(path)
    if not path.exists():
        return WarningSettings()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise WarningSettingsError(f"{path}: cannot read: {error}") from error
    except yaml.YAMLError as error:
        raise WarningSettingsError(f"{path}: not valid YAML: {error}") from error
    return parse_settings(raw, str(path))
