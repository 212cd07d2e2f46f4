from datetime import datetime, timedelta, timezone

import pytest

from core.vocabulary import priority
from handoff.sla import SlaPolicy

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


def test_defaults_follow_the_spec() -> None:
    sla = SlaPolicy()
    assert sla.deadlines("severe", T0) == (T0 + timedelta(minutes=1), T0 + timedelta(hours=4))
    assert sla.deadlines("important", T0) == (T0 + timedelta(minutes=5), T0 + timedelta(hours=24))
    assert sla.deadlines("general", T0) == (T0 + timedelta(minutes=30), T0 + timedelta(hours=72))
    assert sla.deadlines("none", T0) == sla.deadlines("general", T0)
    assert sla.deadlines(None, T0) == sla.deadlines("general", T0)


def test_unknown_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown severity 'critical'"):
        SlaPolicy().deadlines("critical", T0)


def test_environment_shortens_targets() -> None:
    sla = SlaPolicy.from_spec("severe=2/10, general=5/60")
    assert sla.deadlines("severe", T0) == (T0 + timedelta(seconds=2), T0 + timedelta(seconds=10))
    assert sla.deadlines("none", T0) == (T0 + timedelta(seconds=5), T0 + timedelta(seconds=60))
    assert sla.deadlines("important", T0)[0] == T0 + timedelta(minutes=5)
    assert SlaPolicy.from_spec("") == SlaPolicy()


@pytest.mark.parametrize("raw", ["severe=60", "severe:60/100", "urgent=1/2", "severe=a/2", "severe=0/10"])
def test_malformed_environment_is_a_clear_error(raw: str) -> None:
    with pytest.raises(ValueError, match="HANDOFF_SLA"):
        SlaPolicy.from_spec(raw)


def test_priority() -> None:
    assert priority("severe", None) == 100
    assert priority("important", "anger") == 80
    assert priority("general", "anxiety") == 50
    assert priority("general", "sadness") == 30
    assert priority("none", None) == 20
    assert priority(None, "neutral") == 20
    assert priority("important", "neutral", breached=2) == 90
    assert priority("severe", "anger", breached=1) > priority("severe", "anger")
    with pytest.raises(ValueError):
        priority("urgent", None)
