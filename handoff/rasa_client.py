"""The handoff service's way into a conversation: Rasa's HTTP API.

An agent's reply is appended to the customer's tracker as a `bot` event with side effects, so
it reaches the customer's channel and stays in the same transcript; resolving resumes the
conversation and runs the rating form, so the bot takes the customer back.

The reply goes to the channel the conversation id names (`web:…` → socketio, `telegram:…` →
telegram; core/channels.py), never to the tracker's "latest" input channel: that is whatever
channel last wrote to the conversation, which a caller of another channel could have been.
Only ids from before namespacing (no known prefix) still use "latest".
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional
from urllib.parse import quote

import aiohttp

from core.channels import channel_of


class DeliveryError(RuntimeError):
    """Rasa did not take the message; the caller keeps it and says so."""


def output_channel(conversation_id: str) -> str:
    """The Rasa channel that delivers messages of `conversation_id`."""
    return channel_of(conversation_id) or "latest"


class RasaClient:
    def __init__(self, url: str, token: Optional[str] = None, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: Optional[aiohttp.ClientSession] = None

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _params(self, **extra: str) -> dict[str, str]:
        params = dict(extra)
        if self.token:
            params["token"] = self.token
        return params

    async def _post(self, path: str, body: Any, **params: str) -> Any:
        session = await self.session()
        last: Optional[BaseException] = None
        for attempt in range(3):
            try:
                async with session.post(f"{self.url}{path}", json=body, params=self._params(**params)) as response:
                    if response.status >= 400:
                        raise DeliveryError(f"Rasa answered {response.status}: {(await response.text())[:200]}")
                    return await response.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                last = exc
                await asyncio.sleep(0.2 * (attempt + 1))
        raise DeliveryError(f"Rasa is not reachable: {last}")

    def _conversation(self, conversation_id: str) -> str:
        return f"/conversations/{quote(conversation_id, safe='')}"

    async def say(self, conversation_id: str, text: str, *, agent: Optional[str] = None,
                  case_id: Optional[str] = None) -> None:
        """A message from the agent (or the desk) to the customer, through the conversation's channel."""
        event = {"event": "bot", "text": text, "metadata": {"handoff_agent": agent or "", "case_id": case_id or ""}}
        await self._post(f"{self._conversation(conversation_id)}/tracker/events", event,
                         output_channel=output_channel(conversation_id), execute_side_effects="true")

    async def hand_back(self, conversation_id: str) -> None:
        """Resume the paused conversation and ask for the rating (the bot speaks again)."""
        await self._post(f"{self._conversation(conversation_id)}/tracker/events", [{"event": "resume"}])
        await self._post(f"{self._conversation(conversation_id)}/execute", {"name": "rating_form"},
                         output_channel=output_channel(conversation_id))
        # /execute runs one action and stops; Rasa's own loop would listen next. Without this the
        # policies see the form as the latest action and do not run it on the customer's answer.
        await self._post(f"{self._conversation(conversation_id)}/tracker/events",
                         [{"event": "action", "name": "action_listen"}])

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        session = await self.session()
        async with session.get(f"{self.url}{self._conversation(conversation_id)}/tracker",
                               params=self._params()) as response:
            if response.status >= 400:
                raise DeliveryError(f"Rasa answered {response.status}")
            data: dict[str, Any] = await response.json(content_type=None)
            return data
