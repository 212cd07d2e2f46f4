"""One warning per episode: open, escalate in place, extend, close after the quiet hours."""

from datetime import timedelta

import pytest

from shop.warnings import Signal, WarningSettings, next_step
from tests.unit.shop.warnings.conftest import NOW

SETTINGS = WarningSettings(quiet_hours=4)


def signal(level: str, kind: str = "volume_spike", category: str = "complain_refund") -> Signal:
    return Signal(category, kind, level, "farrington", 20, 5, 12, NOW - timedelta(hours=1), NOW, "")


def test_a_wave_is_one_warning_escalated_in_place_then_closed() -> None:
    actions = []
    episode = None
    for hour, level in enumerate(["important", "important", "severe", "important", None, None, None, None]):
        step = next_step(episode, signal(level) if level else None, NOW + timedelta(hours=hour), SETTINGS)
        actions.append(step.action)
        episode = None if step.action == "close" else step.episode
    assert actions == ["open", "extend", "escalate", "extend", "none", "none", "none", "close"]


def test_an_escalated_episode_keeps_its_level_and_opening_time() -> None:
    opened = next_step(None, signal("important"), NOW, SETTINGS).episode
    step = next_step(opened, signal("severe"), NOW + timedelta(hours=1), SETTINGS)
    assert step.episode is not None and step.episode.level == "severe" and step.episode.opened_at == NOW
    later = next_step(step.episode, signal("important"), NOW + timedelta(hours=2), SETTINGS)
    assert later.action == "extend" and later.episode is not None and later.episode.level == "severe"


def test_nothing_happens_without_an_episode_or_a_signal() -> None:
    assert next_step(None, None, NOW, SETTINGS).action == "none"


def test_a_drift_waits_longer_before_it_closes() -> None:
    opened = next_step(None, signal("general", "volume_drift"), NOW, SETTINGS).episode
    assert next_step(opened, None, NOW + timedelta(hours=10), SETTINGS).action == "none"
    assert next_step(opened, None, NOW + timedelta(hours=SETTINGS.drift_quiet_hours), SETTINGS).action == "close"


def test_a_signal_of_another_kind_cannot_continue_the_episode() -> None:
    opened = next_step(None, signal("important"), NOW, SETTINGS).episode
    with pytest.raises(ValueError):
        next_step(opened, signal("severe", "severe_burst"), NOW, SETTINGS)
