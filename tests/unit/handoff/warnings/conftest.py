"""The warning runner over a real SQLite case store and a fake clock: complaints are written as
the bot writes cases, the clock moves as the test says, and every tick is run by hand."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from handoff.clock import FakeClock
from handoff.sla import SlaPolicy
from handoff.store import CaseStore
from handoff.warnings import WarningRunner
from shop.warnings import WarningSettings

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # a Monday


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture()
def store(tmp_path: Path, clock: FakeClock) -> CaseStore:
    s = CaseStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock, sla=SlaPolicy())
    s.create_schema()
    return s


@pytest.fixture()
def published() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture()
def runner(store: CaseStore, clock: FakeClock, published: list[tuple[str, dict[str, Any]]]) -> WarningRunner:
    return WarningRunner(store, WarningSettings(), clock=clock,
                         publish=lambda kind, payload: published.append((kind, dict(payload))))


def complaint(store: CaseStore, n: int, category: str = "complain_refund", severity: str = "important") -> None:
    """A complaint case as the bot files it, from its own customer."""
    store.create_case(conversation_id=f"rest:c{n}", channel="rest", customer_id=f"rest:c{n}", language="zh-Hans",
                      category=category, severity=severity, emotion="anger", reasons=[], priority=60,
                      handoff=False, queue_status="none")
