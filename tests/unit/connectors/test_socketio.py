"""Rasa's socket.io server gets the Redis client manager on the project's Redis (REDIS_URL)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.socketio import PUBSUB_CHANNEL, ShopSocketIOInput, WorkerRedisManager


async def ignore(_: Any) -> None:
    return None


def test_the_channel_shares_its_emits_through_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6390/0")
    channel = ShopSocketIOInput.from_credentials({"user_message_evt": "user_uttered",
                                                  "bot_message_evt": "bot_uttered", "session_persistence": True})
    channel.blueprint(ignore)
    assert channel.sio is not None
    manager = channel.sio.manager
    assert isinstance(manager, WorkerRedisManager) and manager.server is channel.sio
    assert manager.redis_url == "redis://cache.example:6390/0" and manager.channel == PUBSUB_CHANNEL
    assert not channel.sio.manager_initialized  # started in each worker, at its first connection
