"""What the WeChat tests share: a stand-in for Rasa's `on_new_message`, a channel pointed at the
stand-in API, WeChat's POST to it, and waiting for a lease to lapse."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Optional
from urllib.parse import parse_qs

import redis
from rasa.core.channels.channel import UserMessage

from connectors.wechat.channel import WeChatInput
from tests.wechat_stub import AES_KEY, APPID, SECRET, TOKEN, WeChatApiStub, WeChatServer


class Bot:
    """Stands in for Rasa's `on_new_message`: keeps the messages and answers each with `answers`
    (a `[Buttons]` entry: text with buttons) after `delay` seconds."""

    def __init__(self, *answers: Any, delay: float = 0.0) -> None:
        self.messages: list[UserMessage] = []
        self.answers = list(answers) or ["好的"]
        self.delay = delay

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        for answer in self.answers:
            if isinstance(answer, tuple):
                await message.output_channel.send_text_with_buttons(message.sender_id, answer[0], answer[1])
            else:
                await message.output_channel.send_text_message(message.sender_id, answer)


def channel(api: WeChatApiStub, redis_url: str = "", **extra: Any) -> WeChatInput:
    return WeChatInput(TOKEN, APPID, SECRET, encoding_aes_key=AES_KEY, api_base_url=api.base_url,
                       redis_url=redis_url, **extra)


async def post(ch: WeChatInput, xml: str | bytes, bot: Bot, safe: bool = True, token: Optional[str] = None,
               query: Optional[str] = None, drain: bool = True) -> tuple[int, Optional[str]]:
    """WeChat's POST: the status and the passive reply's text (None for "success"); with `drain`,
    once the channel has finished all it started (the answers through the API)."""
    server = WeChatServer()
    made_query, body = server.request(xml if isinstance(xml, str) else "", safe=safe, token=token)
    if isinstance(xml, bytes):
        body = xml
    query = query if query is not None else made_query
    args = {k: v[-1] for k, v in parse_qs(query).items()}
    status, answer = await ch.receive(args, body, bot)
    if drain:
        await ch.drain()
    if status != 200:
        return status, answer
    return status, server.reply_text(answer.encode("utf-8"), query)


async def lapsed(redis_url: str, key: str, within: float = 10.0) -> None:
    """Waits for a lease to expire in Redis (the only waiting these tests do)."""
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + within
    while client.exists(key):
        assert time.monotonic() < deadline, f"{key} did not expire within {within} s"
        await asyncio.sleep(0.05)
