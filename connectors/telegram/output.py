"""Rasa's output channel for Telegram: the bot's (and the agents') messages as plain text, cut to
Telegram's size, with Rasa's buttons as an inline keyboard."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence

from rasa.core.channels.channel import OutputChannel
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from connectors.telegram.client import TelegramClient
from connectors.telegram.state import ButtonStore
from connectors.telegram.text import split_text, utf16_len
from core.channels import local_id

logger = logging.getLogger(__name__)


def button_rows(buttons: Sequence[InlineKeyboardButton],
                layout: Optional[str] = None) -> List[List[InlineKeyboardButton]]:
    """A few short buttons (a 1–5 rating, yes/no) side by side, anything longer one per row;
    Rasa's `button_type` "inline" or "vertical" decides when given."""
    if layout == "inline":
        return [list(buttons)]
    if layout == "vertical":
        return [[b] for b in buttons]
    if len(buttons) <= 8 and all(utf16_len(b.text) <= 6 for b in buttons):
        return [list(buttons)] if buttons else []
    return [[b] for b in buttons]


async def keyboard(buttons: Iterable[Dict[str, Any]], store: ButtonStore,
                   layout: Optional[str] = None) -> Optional[InlineKeyboardMarkup]:
    """Rasa buttons as an inline keyboard: a `url` button opens the link, any other sends its
    payload (or its title when it has none) back as a callback query."""
    made: List[InlineKeyboardButton] = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "").strip()
        if not title:
            continue
        url = button.get("url")
        if url:
            made.append(InlineKeyboardButton(title, url=str(url)))
        else:
            payload = str(button.get("payload") or title)
            made.append(InlineKeyboardButton(title, callback_data=await store.encode(payload)))
    return InlineKeyboardMarkup(button_rows(made, layout)) if made else None


def _chat_id(recipient_id: str) -> int | str:
    """The Bot API's chat id, a number, from Rasa's conversation id: `telegram:<chat id>`, or the
    bare chat id of a conversation that began before ids were namespaced."""
    chat = local_id(str(recipient_id))
    return int(chat) if re.fullmatch(r"-?\d+", chat) else chat


class TelegramOutput(OutputChannel):
    """Sends the bot's (and the agents') messages to a Telegram chat as plain text: no
    parse_mode, so `<`, `&`, `*` and `_` arrive as written."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, client: TelegramClient, buttons: ButtonStore) -> None:
        self.client = client
        self.buttons = buttons

    async def _send_text(self, recipient_id: str, text: str,
                         reply_markup: Optional[InlineKeyboardMarkup] = None) -> None:
        parts = split_text(text)
        if not parts and reply_markup is not None:
            parts = ["⬇"]  # a keyboard needs a message to hang on
        bot = self.client.bot
        for index, part in enumerate(parts):
            markup = reply_markup if index == len(parts) - 1 else None
            await self.client.call(bot.send_message, _chat_id(recipient_id), part, reply_markup=markup)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_text(recipient_id, text)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: List[Dict[str, Any]],
                                     **kwargs: Any) -> None:
        markup = await keyboard(buttons, self.buttons, kwargs.get("button_type"))
        await self._send_text(recipient_id, text, markup)

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: List[Dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        bot = self.client.bot
        await self.client.call(bot.send_photo, _chat_id(recipient_id), image)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        """A custom payload is shown when it carries text (or an image); anything else is not
        for a customer's eyes and is left out rather than dumped as JSON."""
        if not isinstance(json_message, dict):
            return
        text = json_message.get("text")
        if isinstance(text, str) and text.strip():
            buttons = json_message.get("buttons") or json_message.get("quick_replies")
            if isinstance(buttons, list) and buttons:
                await self.send_text_with_buttons(recipient_id, text, buttons)
            else:
                await self.send_text_message(recipient_id, text)
        image = json_message.get("image") or json_message.get("photo")
        if isinstance(image, str) and image:
            await self.send_image_url(recipient_id, image)
        if not text and not image:
            logger.debug("Telegram channel: custom payload without text left out: %s", list(json_message))
