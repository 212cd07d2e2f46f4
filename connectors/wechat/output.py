"""Rasa's output channel for WeChat: the bot's (and the agents') messages as text, cut to
WeChat's size, with Rasa's buttons as numbered choices.

While the webhook still holds WeChat's request (`collecting`), messages are kept so the webhook
can answer with them passively; once it has answered (or for an agent's reply, which comes with
no request) they go through the customer-service message API (客服消息), one after another in the
order Rasa produced them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa.core.channels.channel import OutputChannel

from connectors.wechat.client import WeChatApi
from connectors.wechat.state import State
from connectors.wechat.text import choices, split_text, with_choices
from core.channels import local_id

logger = logging.getLogger(__name__)


class WeChatOutput(OutputChannel):
    """Sends to one WeChat customer; `collecting=True` keeps messages for the passive reply."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    def __init__(self, api: WeChatApi, state: State, collecting: bool = False) -> None:
        self.api = api
        self.state = state
        self._collected: Optional[List[str]] = [] if collecting else None
        self._lock = asyncio.Lock()

    def take(self) -> List[str]:
        """What was kept for the passive reply; from now on every message goes through the API."""
        kept, self._collected = self._collected or [], None
        return kept

    async def send_parts(self, openid: str, parts: List[str]) -> None:
        """Customer-service messages, in order even when several turns send at once."""
        async with self._lock:
            for part in parts:
                await self.api.send_text(openid, part)

    async def _deliver(self, recipient_id: str, text: str) -> None:
        if not text.strip():
            return
        if self._collected is not None:
            self._collected.append(text)
            return
        await self.send_parts(local_id(str(recipient_id)), split_text(text))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._deliver(recipient_id, text)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: List[Dict[str, Any]],
                                     **kwargs: Any) -> None:
        options = choices(buttons)
        if any(payload for _, payload in options):
            await self.state.put_choices(local_id(str(recipient_id)), options)
        await self._deliver(recipient_id, with_choices(text, options))

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: List[Dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """An image needs an upload to WeChat first; its link is sent instead."""
        await self._deliver(recipient_id, image)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        """A custom payload is shown when it carries text; anything else is not for a customer's eyes."""
        if not isinstance(json_message, dict):
            return
        text = json_message.get("text")
        if isinstance(text, str) and text.strip():
            buttons = json_message.get("buttons") or json_message.get("quick_replies")
            if isinstance(buttons, list) and buttons:
                await self.send_text_with_buttons(recipient_id, text, buttons)
            else:
                await self.send_text_message(recipient_id, text)
        else:
            logger.debug("WeChat channel: custom payload without text left out: %s", list(json_message))
