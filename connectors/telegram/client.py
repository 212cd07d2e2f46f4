"""The Bot API client shared by the input channel, the output channel and the command line."""

from __future__ import annotations

import asyncio
import warnings
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, Optional, TypeVar

from rasa.shared.exceptions import RasaException
from telegram import Bot
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from connectors.telegram.credentials import SECTION

MAX_RETRY_AFTER = 30.0  # flood control: wait and retry once if Telegram asks for at most this

T = TypeVar("T")


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
