"""Spike warnings (预警) on complaint counts per category: plain statistics, no database.

`detect` compares one category's recent complaint count with its hour-of-week baseline
(quasi-Poisson thresholds in the Farrington style; EARS C2 while the shop has less than four
weeks of data; an EWMA for slow drift; a count of severe cases), and `next_step` folds the
hourly signals into episodes so a wave raises one warning, escalated in place, not one per hour.
The handoff service runs them against the case store (`handoff/warnings`); the parameters live
in `warnings.yml` (`load_settings`). Method and measured figures: docs/warnings.md.
"""

from shop.warnings.config import WarningSettings, WarningSettingsError, load_settings
from shop.warnings.detector import CategoryHistory, Signal, detect
from shop.warnings.episodes import Episode, Step, next_step

__all__ = ["CategoryHistory", "Episode", "Signal", "Step", "WarningSettings", "WarningSettingsError", "detect",
           "load_settings", "next_step"]
