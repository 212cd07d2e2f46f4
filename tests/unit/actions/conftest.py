"""Actions run in-process through rasa_sdk's executor, as the action server runs them, with a
real desk (SQLite and the test Redis) and the demo orders."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from rasa_sdk.executor import ActionExecutor

import actions.common as common
from core.limits import RateLimiter
from handoff.desk import Desk
from shop.orders import SqlOrderRepository, seed_demo_orders


@pytest.fixture()
def limiter(redis_url: str) -> Iterator[RateLimiter]:
    """The shop-wide new-case limit on the test Redis (the product's default, 120 an hour)."""
    instance = RateLimiter(redis_url, {"new_case": "120/hour"})
    common.use_limiter(instance)
    yield instance
    common.use_limiter(None)


@pytest.fixture()
def desk(desk: Desk, limiter: RateLimiter) -> Iterator[Desk]:
    """The shared desk, as the action server's, with an agent online unless a test says otherwise."""
    instance = desk
    instance.queue.touch_agent(1, teams=["general"])  # someone is online unless a test says otherwise
    common.use_desk(instance)
    yield instance
    common.use_desk(None)


@pytest.fixture()
def executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, desk: Desk) -> ActionExecutor:
    repo = SqlOrderRepository(f"sqlite:///{tmp_path / 'shop.db'}")
    seed_demo_orders(repo)
    monkeypatch.setattr(common, "orders", lambda: repo)
    ex = ActionExecutor()
    ex.register_package("actions")
    return ex

