"""Telegram as a Rasa channel, on python-telegram-bot 22 in webhook mode.

Rasa's own `telegram` channel is built on aiogram 2 and asks Telegram for `getMe` on every
update; this one is a plug-in in the errbot sense: the credentials file names the class, the
channel owns its webhook route and its output, and nothing else in the project knows about
Telegram. Configure it in credentials.yml:

    connectors.telegram.TelegramInput:
      access_token: ${TELEGRAM_TOKEN}        # from @BotFather
      verify: shop_bot                       # the bot's username: a token for another bot is refused
      webhook_url: https://shop.example.com/webhooks/telegram/webhook
      secret_token: ${TELEGRAM_SECRET}       # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token
      # base_url, base_file_url: another Bot API server (a local one, or the tests' stand-in)
      # redis_url: defaults to REDIS_URL; deduplication and long button payloads live there
      # proxy: http://proxy:3128 for a network that cannot reach api.telegram.org directly

Register the webhook with `python -m connectors.telegram set-webhook --credentials credentials.yml`
(`delete-webhook`, `info`; docs/telegram.md).

The webhook answers at once and handles the update in a task of its own, one chat's updates in
the order they came: Telegram re-sends an update it gets no quick answer for, and a re-sent
update is recognised by its update_id (in Redis, so every Rasa process shares it, and in a
small in-process LRU when Redis is away). `get_output_channel` gives a working output channel
without a request, so an agent's reply posted to Rasa with `output_channel=latest` reaches the
customer's chat.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import re
import sys
import time
import unicodedata
import warnings
from collections import OrderedDict
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Sequence, TypeVar

import redis
import redis.asyncio
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

logger = logging.getLogger(__name__)

SECTION = "connectors.telegram.TelegramInput"  # the credentials.yml key Rasa loads this class by
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEXT_LIMIT = 4096  # Bot API: 1–4096 characters per message, counted in UTF-16 code units
CALLBACK_DATA_LIMIT = 64  # Bot API: callback_data is 1–64 bytes
DEDUP_TTL = 86_400  # Telegram gives up re-delivering well within a day
BUTTON_TTL = 30 * 86_400  # a keyboard in an old message still works for a month
ALLOWED_UPDATES = ("message", "callback_query")
BUTTON_KEY_PREFIX = "#k:"  # callback_data that stands for a payload stored elsewhere
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token
MAX_RETRY_AFTER = 30.0  # flood control: wait and retry once if Telegram asks for at most this

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Plain helpers (no I/O): what the unit tests pin down.


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units: an emoji outside the BMP counts 2."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _prefix_end(text: str, limit: int) -> int:
    """The longest prefix (in code points) that fits in `limit` UTF-16 units."""
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _joins_previous(ch: str) -> bool:
    """Characters that belong to the one before (accents, ZWJ sequences, skin tones, variation
    selectors): a hard cut must not separate them from it."""
    code = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch == "\u200d" or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F)


SENTENCE_ENDS = "。！？；…"  # Chinese sentences; English ones end before a space, the next choice
CLOSERS = "”’」』）)】》\"'"
WEAK_BREAKS = "，、："


def _best_cut(text: str, end: int) -> int:
    """Where to cut `text` within its first `end` code points: after a paragraph, else a line,
    else a sentence (Chinese has no spaces), else a space, else a comma, else as late as possible
    without splitting a character sequence. Boundaries in the first half are not worth a tiny
    message."""
    floor = end // 2
    paragraph = text.rfind("\n\n", 0, end)
    if paragraph >= 0 and paragraph + 2 > floor:
        return paragraph + 2
    line = text.rfind("\n", 0, end)
    if line >= 0 and line + 1 > floor:
        return line + 1
    for marks in (SENTENCE_ENDS, None, WEAK_BREAKS):
        if marks is None:
            found = max(text.rfind(" ", 0, end), text.rfind("\t", 0, end), text.rfind("\u3000", 0, end))
        else:
            found = max(text.rfind(mark, 0, end) for mark in marks)
        if found >= 0 and found + 1 > floor:
            cut = found + 1
            while cut < end and text[cut] in CLOSERS:  # keep a closing quote with its sentence
                cut += 1
            return cut
    cut = end
    while cut > floor and (_joins_previous(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    if cut > floor and _is_regional(text[cut]) and _is_regional(text[cut - 1]):
        run = 0  # flags are pairs of regional indicators: cut between pairs
        while cut - 1 - run >= 0 and _is_regional(text[cut - 1 - run]):
            run += 1
        if run % 2:
            cut -= 1
    return cut if cut > floor else max(end, 1)  # a sequence longer than half a message: cut it


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def split_text(text: str, limit: int = TEXT_LIMIT) -> List[str]:
    """Cuts a reply into Telegram-sized messages; joined again they are the text itself.

    Only a blank part (more than half a message of nothing but whitespace, which Telegram
    refuses to send) is merged into the part before or dropped.
    """
    if not text or not text.strip():
        return []
    parts: List[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = _best_cut(rest, _prefix_end(rest, limit))
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    kept: List[str] = []
    for part in parts:
        if part.strip():
            kept.append(part)
        elif kept and utf16_len(kept[-1] + part) <= limit:
            kept[-1] += part
    return kept


def secret_matches(expected: str, given: Optional[str]) -> bool:
    """Constant-time comparison of the webhook's secret header; a missing header never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def command_text(text: str, language_code: Optional[str] = None) -> str:
    """Telegram commands are not Rasa intents: a customer's "/start" (sent by the app when they
    open the chat) becomes a greeting, "/help@shop_bot" becomes "help". Only our own buttons may
    carry "/intent" payloads, so a customer cannot steer the dialogue past NLU."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    head, _, tail = stripped.lstrip("/").partition(" ")
    command = head.split("@", 1)[0]
    if command.lower() == "start":
        return "hello" if (language_code or "").lower().startswith("en") else "你好"
    words = " ".join(w for w in (command, tail.strip()) if w)
    return words or text


def bot_key(token: str) -> str:
    """The bot's numeric id, the part of the token before the colon: names its Redis keys
    without putting the secret half of the token into them."""
    return token.split(":", 1)[0] or "bot"


def _error(status: int, code: str, message: str) -> tuple[int, Dict[str, Any]]:
    return status, {"ok": False, "error": {"code": code, "message": message}}


# ---------------------------------------------------------------------------------------------
# Redis with an in-process fallback


class RedisLink:
    """A lazily made asyncio Redis client for the running event loop; `None` without a URL.

    Short timeouts: a Redis outage must not hold up a webhook that Telegram wants answered fast.
    """

    def __init__(self, url: Optional[str]) -> None:
        self.url = url or None
        self._client: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._warned_at = 0.0

    def client(self) -> Any:
        if not self.url:
            return None
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = redis.asyncio.Redis.from_url(self.url, socket_timeout=1.0, socket_connect_timeout=1.0,
                                                        decode_responses=True)
            self._loop = loop
        return self._client

    def failed(self, exc: Exception) -> None:
        """Says so once a minute, not on every update while Redis is away."""
        now = time.monotonic()
        if now - self._warned_at > 60:
            self._warned_at = now
            logger.warning("Telegram channel: Redis at %s failed (%s); using this process's memory only",
                           self.url, exc)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


class Deduplicator:
    """Says whether an update is new: Redis `SET NX EX` shared by every Rasa process, and an
    LRU of recent update ids in this process that also covers a Redis outage."""

    def __init__(self, link: RedisLink, bot: str, ttl: int = DEDUP_TTL, size: int = 50_000) -> None:
        self.link, self.bot, self.ttl, self.size = link, bot, ttl, size
        self.recent: OrderedDict[str, float] = OrderedDict()

    def key(self, update_id: int) -> str:
        return f"telegram:update:{self.bot}:{update_id}"

    def _seen_here(self, key: str) -> bool:
        expires = self.recent.get(key)
        return expires is not None and expires > time.monotonic()

    def _remember(self, key: str) -> None:
        self.recent[key] = time.monotonic() + self.ttl
        self.recent.move_to_end(key)
        while len(self.recent) > self.size:
            self.recent.popitem(last=False)

    async def first_time(self, update_id: int) -> bool:
        key = self.key(update_id)
        if self._seen_here(key):
            return False
        client = self.link.client()
        if client is not None:
            try:
                if not await client.set(key, "1", nx=True, ex=self.ttl):
                    self._remember(key)
                    return False
            except (redis.RedisError, OSError) as exc:
                self.link.failed(exc)
        self._remember(key)
        return True


class ButtonStore:
    """Maps button payloads to callback_data and back. Telegram allows 64 bytes; a longer
    payload (e.g. `/inform{"order_id": ...}`) travels as a short key whose payload is kept in
    Redis for a month (any Rasa process can read it) and in this process's memory."""

    def __init__(self, link: RedisLink, bot: str, ttl: int = BUTTON_TTL, size: int = 10_000) -> None:
        self.link, self.bot, self.ttl, self.size = link, bot, ttl, size
        self.memory: OrderedDict[str, str] = OrderedDict()

    @staticmethod
    def fits(payload: str) -> bool:
        return 0 < len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(BUTTON_KEY_PREFIX)

    def _redis_key(self, data: str) -> str:
        return f"telegram:button:{self.bot}:{data[len(BUTTON_KEY_PREFIX):]}"

    async def encode(self, payload: str) -> str:
        if self.fits(payload):
            return payload
        digest = base64.urlsafe_b64encode(hashlib.sha256(payload.encode("utf-8")).digest()).decode()[:22]
        data = BUTTON_KEY_PREFIX + digest
        self.memory[data] = payload
        self.memory.move_to_end(data)
        while len(self.memory) > self.size:
            self.memory.popitem(last=False)
        client = self.link.client()
        if client is not None:
            try:
                await client.set(self._redis_key(data), payload, ex=self.ttl)
            except (redis.RedisError, OSError) as exc:
                self.link.failed(exc)
        return data

    async def decode(self, data: str) -> Optional[str]:
        """The payload behind a button; None for a key that has expired everywhere."""
        if not data.startswith(BUTTON_KEY_PREFIX):
            return data
        if data in self.memory:
            return self.memory[data]
        client = self.link.client()
        if client is not None:
            try:
                found = await client.get(self._redis_key(data))
                if found is not None:
                    return str(found)
            except (redis.RedisError, OSError) as exc:
                self.link.failed(exc)
        return None


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


# ---------------------------------------------------------------------------------------------
# The Bot API client shared by the input and output channels


class TelegramClient:
    """One `telegram.Bot` per channel, initialised (PTB 20+ requires it; it calls getMe) on
    first use inside the server's event loop, and checked against `verify` so that a token of
    another bot is refused rather than used."""

    def __init__(self, access_token: str, verify: Optional[str] = None, base_url: Optional[str] = None,
                 base_file_url: Optional[str] = None, proxy: Optional[str] = None) -> None:
        self.access_token = access_token
        self.verify = (verify or "").lstrip("@") or None
        self.base_url = base_url
        self.base_file_url = base_file_url
        self.proxy = proxy
        self._bot: Optional[Bot] = None
        self._ready = False
        self._lock: Optional[asyncio.Lock] = None

    @property
    def bot(self) -> Bot:
        """The Bot object, not yet initialised: enough to parse updates."""
        if self._bot is None:
            kwargs: Dict[str, Any] = {"request": HTTPXRequest(connection_pool_size=32, read_timeout=15.0,
                                                              proxy=self.proxy)}
            if self.base_url:
                kwargs["base_url"] = self.base_url
            if self.base_file_url:
                kwargs["base_file_url"] = self.base_file_url
            self._bot = Bot(self.access_token, **kwargs)
        return self._bot

    async def ready(self) -> Bot:
        if self._ready:
            return self.bot
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._ready:
                bot = self.bot
                await bot.initialize()
                if self.verify and (bot.username or "").lower() != self.verify.lower():
                    await bot.shutdown()
                    raise RasaException(f"The Telegram access_token belongs to @{bot.username}, but `verify` "
                                        f"in {SECTION} says @{self.verify}; fix the credentials.")
                self._ready = True
        return self.bot

    async def call(self, method: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """One Bot API call; on flood control (429) waits as told and tries once more."""
        await self.ready()
        try:
            return await method(*args, **kwargs)
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns about the int/timedelta change
                warnings.simplefilter("ignore")
                after = exc.retry_after
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            if seconds > MAX_RETRY_AFTER:
                raise
            await asyncio.sleep(seconds)
            return await method(*args, **kwargs)

    async def close(self) -> None:
        if self._bot is not None:
            await self._bot.shutdown()  # a no-op for a bot that never started
        self._ready = False


def _chat_id(recipient_id: str) -> int | str:
    """Rasa's conversation id is the chat id as text; the Bot API wants the number."""
    return int(recipient_id) if re.fullmatch(r"-?\d+", recipient_id) else recipient_id


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


# ---------------------------------------------------------------------------------------------
# The input channel


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
        return cls(
            access_token=str(credentials["access_token"]),
            verify=credentials.get("verify"),
            webhook_url=credentials.get("webhook_url"),
            secret_token=str(credentials["secret_token"]),
            base_url=credentials.get("base_url"),
            base_file_url=credentials.get("base_file_url"),
            redis_url=credentials.get("redis_url"),
            proxy=credentials.get("proxy"),
        )

    def __init__(self, access_token: str, secret_token: str, verify: Optional[str] = None,
                 webhook_url: Optional[str] = None, base_url: Optional[str] = None,
                 base_file_url: Optional[str] = None, redis_url: Optional[str] = None,
                 proxy: Optional[str] = None) -> None:
        if not SECRET_PATTERN.match(secret_token):
            raise RasaException(f"{SECTION}: secret_token must be 1–256 characters of A–Z, a–z, 0–9, _ and - "
                                "(Telegram's rule for setWebhook).")
        self.secret_token = secret_token
        self.webhook_url = webhook_url
        self.client = TelegramClient(access_token, verify, base_url, base_file_url, proxy)
        self.redis = RedisLink(redis_url if redis_url is not None else os.environ.get("REDIS_URL"))
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


# ---------------------------------------------------------------------------------------------
# Command line: register the webhook with Telegram


def load_credentials(path: str) -> Dict[str, Any]:
    """The TelegramInput section of a credentials file, with ${ENV} references expanded as
    Rasa expands them."""
    from rasa.shared.utils.io import read_config_file

    section = (read_config_file(path) or {}).get(SECTION)
    if not isinstance(section, dict) or not section.get("access_token"):
        raise SystemExit(f"{path} has no `{SECTION}:` section with an access_token (docs/telegram.md)")
    return section


def _client(section: Dict[str, Any]) -> TelegramClient:
    return TelegramClient(str(section["access_token"]), section.get("verify"), section.get("base_url"),
                          section.get("base_file_url"), section.get("proxy"))


async def _set_webhook(section: Dict[str, Any], url: Optional[str], drop_pending: bool) -> Dict[str, Any]:
    url = url or section.get("webhook_url")
    secret = section.get("secret_token")
    if not url or not secret:
        raise SystemExit(f"{SECTION} needs webhook_url and secret_token to set the webhook")
    if not str(secret) or not SECRET_PATTERN.match(str(secret)):
        raise SystemExit("secret_token must be 1–256 characters of A–Z, a–z, 0–9, _ and -")
    if not str(url).startswith("https://"):
        print(f"warning: Telegram only delivers to https:// URLs; {url} will be refused by api.telegram.org",
              file=sys.stderr)
    if not str(url).rstrip("/").endswith("/webhooks/telegram/webhook"):
        print(f"warning: Rasa listens at .../webhooks/telegram/webhook; {url} looks different", file=sys.stderr)
    client = _client(section)
    try:
        bot = await client.ready()
        await bot.set_webhook(str(url), secret_token=str(secret), allowed_updates=list(ALLOWED_UPDATES),
                              drop_pending_updates=True if drop_pending else None)
        return await _info(bot)
    finally:
        await client.close()


async def _delete_webhook(section: Dict[str, Any], drop_pending: bool) -> Dict[str, Any]:
    client = _client(section)
    try:
        bot = await client.ready()
        await bot.delete_webhook(drop_pending_updates=True if drop_pending else None)
        return await _info(bot)
    finally:
        await client.close()


async def _info(bot: Bot) -> Dict[str, Any]:
    info = await bot.get_webhook_info()
    return {"bot": f"@{bot.username}", "url": info.url, "pending_update_count": info.pending_update_count,
            "allowed_updates": list(info.allowed_updates or []), "last_error_message": info.last_error_message,
            "max_connections": info.max_connections}


async def _show_info(section: Dict[str, Any]) -> Dict[str, Any]:
    client = _client(section)
    try:
        return await _info(await client.ready())
    finally:
        await client.close()


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m connectors.telegram set-webhook|delete-webhook|info --credentials credentials.yml`."""
    parser = argparse.ArgumentParser(prog="python -m connectors.telegram",
                                     description="Register the Telegram webhook of the shop assistant.")
    parser.add_argument("command", choices=("set-webhook", "delete-webhook", "info"))
    parser.add_argument("--credentials", default="credentials.yml", help="file with the TelegramInput section")
    parser.add_argument("--url", help="webhook URL (default: webhook_url from the credentials)")
    parser.add_argument("--drop-pending-updates", action="store_true",
                        help="discard the updates Telegram holds for the bot")
    args = parser.parse_args(argv)
    section = load_credentials(args.credentials)
    try:
        if args.command == "set-webhook":
            result = asyncio.run(_set_webhook(section, args.url, args.drop_pending_updates))
        elif args.command == "delete-webhook":
            result = asyncio.run(_delete_webhook(section, args.drop_pending_updates))
        else:
            result = asyncio.run(_show_info(section))
    except (TelegramError, RasaException) as exc:
        if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):  # BadRequest is Telegram saying no
            where = section.get("base_url") or "api.telegram.org"
            print(f"error: cannot reach the Bot API at {where} ({exc}); set `proxy` in {SECTION} if this "
                  "server needs one", file=sys.stderr)
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
