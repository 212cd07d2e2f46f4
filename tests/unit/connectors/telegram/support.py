"""What the Telegram tests share: the webhook secret, a stand-in for Rasa's `on_new_message`,
and a channel pointed at the stand-in Bot API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rasa.core.channels.channel import UserMessage

from connectors.telegram.channel import TelegramInput
from tests.telegram_stub import BotApiStub

SECRET = "s3cret-Token_for_tests"


class Received:
    """Stands in for Rasa's `on_new_message`: keeps the UserMessages in order."""

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[UserMessage] = []
        self.delay = delay

    async def __call__(self, message: UserMessage) -> None:
        if self.delay and not self.messages:
            await asyncio.sleep(self.delay)
        self.messages.append(message)


def channel(api: BotApiStub, redis_url: str = "", **extra: Any) -> TelegramInput:
    return TelegramInput(api.token, SECRET, verify=api.username, base_url=api.base_url, redis_url=redis_url, **extra)


async def post(ch: TelegramInput, payload: Any, received: Received, secret: str | None = SECRET,
               ) -> tuple[int, dict[str, Any]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    result = await ch.receive(secret, body, received)
    await ch.drain()
    return result
