"""Rasa's input channel for Telegram: the webhook Telegram posts updates to.

An update counts as seen only once it is safe: the webhook writes it to the durable inbox
(`inbox.Inbox`, a Redis stream per bot) and answers 200 at once; a consumer in every Rasa worker
handles the inbox's updates, one chat's in the order they came, and acknowledges each only after
Rasa handled it, so a crash mid-update is replayed by the next worker or the restarted process.
Without Redis the webhook handles the update itself and answers 200 only afterwards (503 if
handling failed, and Telegram re-sends). A re-sent update is recognised by its update_id
(`state.Deduplicator` for "received", the inbox's done-mark for "handled").

The conversation id is namespaced, `telegram:<chat id>` (core.channels), so no other channel can
name a Telegram customer's conversation; the output channel sends to the numeric chat id.
`get_output_channel` gives a working output channel without a request, so an agent's reply
posted to Rasa with `output_channel=latest` reaches the customer's chat.
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
from connectors.telegram.inbox import READ_BLOCK_MS, Inbox
from connectors.telegram.output import TelegramOutput
from connectors.telegram.state import ButtonStore, Deduplicator, RedisLink, bot_key
from connectors.telegram.text import command_text
from core import settings
from core.channels import conversation_id
from handoff.stream import AsyncEventStream

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")  # what the webhook asks Telegram for: what `_job` handles
MAX_IN_FLIGHT = 64  # inbox updates one worker handles at a time; the rest wait in Redis
MAX_FAILURES = 3  # an update whose handling raised this often in this process is given up (logged)
Work = Callable[[], Awaitable[None]]


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
                   redis_url=credentials.get("redis_url"),
                   inbox_claim_idle_s=float(credentials.get("inbox_claim_idle_s") or 30.0),
                   **client_options(credentials))

    def __init__(self, access_token: str, secret_token: str, verify: Optional[str] = None,
                 webhook_url: Optional[str] = None, base_url: Optional[str] = None,
                 base_file_url: Optional[str] = None, redis_url: Optional[str] = None,
                 proxy: Optional[str] = None, inbox_claim_idle_s: float = 30.0) -> None:
        problem = secret_token_error(secret_token)
        if problem:
            raise RasaException(problem)
        self.secret_token = secret_token
        self.webhook_url = webhook_url
        self.client = TelegramClient(access_token, verify, base_url, base_file_url, proxy)
        self.redis = RedisLink(redis_url if redis_url is not None else settings.load().redis_url, "Telegram channel")
        self.dedup = Deduplicator(self.redis, bot_key(access_token))
        self.buttons = ButtonStore(self.redis, bot_key(access_token))
        self.inbox = Inbox(self.redis.url, bot_key(access_token), claim_idle_s=inbox_claim_idle_s)
        self._tasks: set[asyncio.Task[bool]] = set()
        self._tails: Dict[str, asyncio.Task[bool]] = {}
        self._in_flight: set[str] = set()  # inbox entries this process is handling
        self._failures: Dict[str, int] = {}
        self._stop: Optional[asyncio.Event] = None
        self._consumer: Optional[asyncio.Task[None]] = None

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

        @telegram_webhook.listener("after_server_start")
        async def start(*_: Any) -> None:
            self.start(on_new_message)

        @telegram_webhook.listener("before_server_stop")
        async def finish(*_: Any) -> None:
            await self.stop()

        return telegram_webhook

    def start(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Starts this worker's inbox consumer (with Redis); it first takes over what a dead
        worker left pending, once that has been idle for the inbox's claim time."""
        if self.inbox.url and self._consumer is None:
            self._stop = asyncio.Event()
            self._consumer = asyncio.get_running_loop().create_task(self._consume(on_new_message, self._stop))

    async def stop(self) -> None:
        if self._stop is not None and self._consumer is not None:
            self._stop.set()
            await asyncio.wait([self._consumer], timeout=READ_BLOCK_MS / 1000 + 5)
            self._consumer = None
        await self.drain(timeout=10)
        await self.client.close()
        await self.inbox.close()
        await self.redis.close()

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
        if await self.inbox.is_done(update.update_id) or await self.dedup.received(update.update_id):
            return 200, {"ok": True, "status": "duplicate"}
        job = self._job(update, on_new_message)
        if job is None:
            return 200, {"ok": True, "status": "ignored"}
        entry_id = await self.inbox.put(data)
        if entry_id is not None:  # safe in Redis: seen now, handled by a consumer
            if not await self.dedup.first_time(update.update_id):
                await self.inbox.drop(entry_id)
                logger.debug("Telegram channel: update %s delivered again; handled once", update.update_id)
                return 200, {"ok": True, "status": "duplicate"}
            return 200, {"ok": True, "status": "accepted"}
        return await self._handle_now(update.update_id, *job)

    async def _handle_now(self, update_id: int, chat_id: str, work: Work) -> tuple[int, Dict[str, Any]]:
        """No Redis: the update is handled inside the webhook call, and answered 200 only once
        handled; a failure answers 503, and Telegram sends the update again later."""
        key = self.dedup.key(update_id)
        if self.dedup.seen_here(key):  # handled, or being handled by this process right now
            return 200, {"ok": True, "status": "duplicate"}
        self.dedup.remember(key)
        if await self._schedule(chat_id, work, update_id):
            return 200, {"ok": True, "status": "accepted"}
        self.dedup.forget(key)
        return _error(503, "not_handled", "the update could not be handled now; send it again")

    def _job(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]],
             ) -> Optional[tuple[str, Callable[[], Awaitable[None]]]]:
        """What to do for an update: private text messages and button presses; edited messages,
        stickers, photos and group chats are left alone (one group is not one customer)."""
        message = update.message
        if message is not None:
            if message.text is None or message.chat.type != "private":
                return None
            chat_id = str(message.chat.id)
            sender = conversation_id(self.name(), chat_id)
            user = message.from_user
            text = command_text(message.text, user.language_code if user else None)
            metadata = {"telegram": {"update_id": update.update_id, "message_id": message.message_id,
                                     "chat_id": message.chat.id, "chat_type": str(message.chat.type),
                                     "user": _user_info(user)}}

            async def handle_text() -> None:
                await on_new_message(UserMessage(text, self.get_output_channel(), sender,
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
                await on_new_message(UserMessage(payload, self.get_output_channel(),
                                                 conversation_id(self.name(), chat_id),
                                                 input_channel=self.name(), metadata=metadata))

            return chat_id, handle_button
        return None

    def _schedule(self, chat_id: str, work: Work, update_id: int) -> asyncio.Task[bool]:
        """Runs `work` after the chat's previous update is done, so one customer's messages
        reach Rasa in the order they were sent; the task says whether `work` succeeded."""
        previous = self._tails.get(chat_id)

        async def run() -> bool:
            if previous is not None:
                await asyncio.wait([previous])
            try:
                await work()
                return True
            except Exception:
                logger.exception("Telegram channel: update %s of chat %s failed", update_id, chat_id)
                return False
            finally:
                if self._tails.get(chat_id) is asyncio.current_task():
                    del self._tails[chat_id]

        task = asyncio.get_running_loop().create_task(run())
        self._tails[chat_id] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _consume(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], stop: asyncio.Event) -> None:
        """This worker's share of the inbox, until `stop`: read, hand to the chat's queue, and
        acknowledge each entry once handled (`_finish`)."""
        reader = self.inbox.reader()
        while not stop.is_set():
            try:
                if len(self._in_flight) >= MAX_IN_FLIGHT:
                    await asyncio.sleep(0.05)
                    continue
                await reader.ensure_group()
                for entry_id, data in await reader.read(count=MAX_IN_FLIGHT, block_ms=READ_BLOCK_MS):
                    if entry_id not in self._in_flight:
                        self._in_flight.add(entry_id)
                        await self._take(reader, entry_id, data, on_new_message)
            except Exception as exc:  # Redis away: the inbox keeps the updates until it is back
                self.redis.failed(exc)
                await asyncio.sleep(1.0)

    async def _take(self, reader: AsyncEventStream, entry_id: str, data: Dict[str, Any],
                    on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        update_id = data.get("update_id") if isinstance(data.get("update_id"), int) else None
        try:
            update = Update.de_json(data, self.client.bot)
            job = self._job(update, on_new_message) if update is not None else None
        except Exception:
            logger.exception("Telegram channel: inbox entry %s is not an update; dropped", entry_id)
            job = None
        if job is None:
            await self._finish(reader, entry_id, update_id)
            return
        chat_id, handle = job

        async def work() -> None:  # checked in the chat's turn: a copy queued behind the original skips
            if update_id is None or not await self.inbox.is_done(update_id):
                await handle()
        loop = asyncio.get_running_loop()
        keeper = loop.create_task(self.inbox.keep(reader, entry_id))
        handling = self._schedule(chat_id, work, update_id or 0)

        async def handled() -> bool:
            try:
                succeeded = await handling
            finally:
                keeper.cancel()
            await self._finish(reader, entry_id, update_id, succeeded)
            return succeeded

        task = loop.create_task(handled())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finish(self, reader: AsyncEventStream, entry_id: str, update_id: Optional[int],
                      succeeded: bool = True) -> None:
        """Done-mark and ack after success; after a failure the entry stays pending and comes
        back (to any worker) after the claim time, up to MAX_FAILURES times in this process."""
        try:
            if not succeeded:
                failures = self._failures[entry_id] = self._failures.get(entry_id, 0) + 1
                if failures < MAX_FAILURES:
                    return
                logger.error("Telegram channel: update %s failed %d times; given up", update_id, failures)
            self._failures.pop(entry_id, None)
            await self.inbox.finish(reader, entry_id, update_id)
        except Exception as exc:  # not acked: handled again later, and found done then
            self.redis.failed(exc)
        finally:
            self._in_flight.discard(entry_id)

    async def drain(self, timeout: Optional[float] = None) -> None:
        """Waits for the updates being handled (tests; shutdown)."""
        while self._tasks:
            done, pending = await asyncio.wait(list(self._tasks), timeout=timeout)
            if pending:
                logger.warning("Telegram channel: %d updates still being handled at shutdown", len(pending))
                return
