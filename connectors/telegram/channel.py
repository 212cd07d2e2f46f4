"""Rasa's input channel for Telegram: the webhook Telegram posts updates to.

The webhook answers at once and handles the update in a task of its own, one chat's updates in
the order they came: Telegram re-sends an update it gets no quick answer for, and a re-sent
update is recognised by its update_id (`state.Deduplicator`). `get_output_channel` gives a
working output channel without a request, so an agent's reply posted to Rasa with
`output_channel=latest` reaches the customer's chat.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Update, User
from telegram.error import TelegramError

from connectors.telegram.client import TelegramClient
from connectors.telegram.credentials import (
    SECRET_HEADER,
    SECTION,
    client_options,
    secret_matches,
    secret_token_error,
)
from connectors.telegram.output import TelegramOutput
from connectors.telegram.state import ButtonStore, Deduplicator, RedisLink, bot_key
from connectors.telegram.text import command_text
from core import settings

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")  # what the webhook asks Telegram for: what `_job` handles


def _error(status: int, code: str, message: str) -> tuple[int, Dict[str, Any]]:
    return status, {"ok": False, "error": {"code": code, "message": message}}


def _user_info(user: Optional[User]) -> Dict[str, Any]:
    if user is None:
        return {}
    info = {"id": user.id, "is_bot": user.is_bot, "first_name": user.first_name, "last_name": user.last_name,
            "username": user.username, "language_code": user.language_code}
    return {k: v for k, v in info.items() if v is not None}


class TelegramInput(InputChannel):
    """Receives Telegram updates at POST /webhooks/telegram/webhook."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        credentials = dict(credentials or {})
        if not credentials:
            cls.raise_missing_credentials_exception()
        for required in ("access_token", "secret_token"):
            if not credentials.get(required):
                raise RasaException(f"{SECTION} needs `{required}` in the credentials file (docs/telegram.md).")
        return cls(secret_token=str(credentials["secret_token"]), webhook_url=credentials.get("webhook_url"),
                   redis_url=credentials.get("redis_url"), **client_options(credentials))

    def __init__(self, access_token: str, secret_token: str, verify: Optional[str] = None,
                 webhook_url: Optional[str] = None, base_url: Optional[str] = None,
                 base_file_url: Optional[str] = None, redis_url: Optional[str] = None,
                 proxy: Optional[str] = None) -> None:
        problem = secret_token_error(secret_token)
        if problem:
            raise RasaException(problem)
        self.secret_token = secret_token
        self.webhook_url = webhook_url
        self.client = TelegramClient(access_token, verify, base_url, base_file_url, proxy)
        self.redis = RedisLink(redis_url if redis_url is not None else settings.load().redis_url)
        self.dedup = Deduplicator(self.redis, bot_key(access_token))
        self.buttons = ButtonStore(self.redis, bot_key(access_token))
        self._tasks: set[asyncio.Task[None]] = set()
        self._tails: Dict[str, asyncio.Task[None]] = {}

    def get_output_channel(self) -> TelegramOutput:
        return TelegramOutput(self.client, self.buttons)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            status, body = await self.receive(request.headers.get(SECRET_HEADER), request.body, on_new_message)
            return response.json(body, status=status)

        @telegram_webhook.listener("before_server_stop")
        async def finish(*_: Any) -> None:
            await self.drain(timeout=10)
            await self.client.close()
            await self.redis.close()

        return telegram_webhook

    async def receive(self, secret: Optional[str], body: bytes,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> tuple[int, Dict[str, Any]]:
        """Checks, parses and deduplicates one webhook call, and schedules its handling.

        Returns the HTTP status and JSON body: 403 for a wrong secret, 400 for something that is
        not an Update, 200 otherwise (`accepted`, `duplicate` or `ignored`).
        """
        if not secret_matches(self.secret_token, secret):
            logger.warning("Telegram channel: webhook call without the right %s header refused", SECRET_HEADER)
            return _error(403, "forbidden", f"missing or wrong {SECRET_HEADER} header")
        try:
            data = json.loads(body or b"")
        except (ValueError, UnicodeDecodeError) as exc:
            return _error(400, "malformed_json", f"the body is not JSON: {exc}")
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return _error(400, "not_an_update", "expected a Telegram Update: a JSON object with an integer update_id")
        try:
            update = Update.de_json(data, self.client.bot)
        except Exception as exc:  # PTB raises whatever a malformed field makes it raise
            return _error(400, "not_an_update", f"not a valid Telegram Update: {type(exc).__name__}: {exc}")
        if not await self.dedup.first_time(update.update_id):
            logger.debug("Telegram channel: update %s delivered again; handled once", update.update_id)
            return 200, {"ok": True, "status": "duplicate"}
        job = self._job(update, on_new_message)
        if job is None:
            return 200, {"ok": True, "status": "ignored"}
        chat_id, work = job
        self._schedule(chat_id, work, update.update_id)
        return 200, {"ok": True, "status": "accepted"}

    def _job(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]],
             ) -> Optional[tuple[str, Callable[[], Awaitable[None]]]]:
        """What to do for an update: private text messages and button presses; edited messages,
        stickers, photos and group chats are left alone (one group is not one customer)."""
        message = update.message
        if message is not None:
            if message.text is None or message.chat.type != "private":
                return None
            chat_id = str(message.chat.id)
            user = message.from_user
            text = command_text(message.text, user.language_code if user else None)
            metadata = {"telegram": {"update_id": update.update_id, "message_id": message.message_id,
                                     "chat_id": message.chat.id, "chat_type": str(message.chat.type),
                                     "user": _user_info(user)}}

            async def handle_text() -> None:
                await on_new_message(UserMessage(text, self.get_output_channel(), chat_id,
                                                 input_channel=self.name(), metadata=metadata))

            return chat_id, handle_text
        query = update.callback_query
        if query is not None and query.data is not None and query.message is not None:
            if query.message.chat.type != "private":
                return None
            chat_id = str(query.message.chat.id)
            data = query.data
            metadata = {"telegram": {"update_id": update.update_id, "callback_query_id": query.id,
                                     "message_id": query.message.message_id, "chat_id": query.message.chat.id,
                                     "chat_type": str(query.message.chat.type), "user": _user_info(query.from_user)}}

            async def handle_button() -> None:
                payload = await self.buttons.decode(data)
                bot = self.client.bot
                try:  # stops the spinner on the button; a failure here must not lose the press
                    text = None if payload is not None else "This button has expired / 按钮已过期，请直接输入"
                    await self.client.call(bot.answer_callback_query, query.id, text=text)
                except TelegramError as exc:
                    logger.warning("Telegram channel: answerCallbackQuery %s failed: %s", query.id, exc)
                if payload is None:
                    return
                await on_new_message(UserMessage(payload, self.get_output_channel(), chat_id,
                                                 input_channel=self.name(), metadata=metadata))

            return chat_id, handle_button
        return None

    def _schedule(self, chat_id: str, work: Callable[[], Awaitable[None]], update_id: int) -> None:
        """Runs `work` after the chat's previous update is done, so one customer's messages
        reach Rasa in the order they were sent, without making Telegram wait."""
        previous = self._tails.get(chat_id)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            try:
                await work()
            except Exception:
                logger.exception("Telegram channel: update %s of chat %s failed", update_id, chat_id)
            finally:
                if self._tails.get(chat_id) is asyncio.current_task():
                    del self._tails[chat_id]

        task = asyncio.get_running_loop().create_task(run())
        self._tails[chat_id] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: Optional[float] = None) -> None:
        """Waits for the updates being handled (tests; shutdown)."""
        while self._tasks:
            done, pending = await asyncio.wait(list(self._tasks), timeout=timeout)
            if pending:
                logger.warning("Telegram channel: %d updates still being handled at shutdown", len(pending))
                return
