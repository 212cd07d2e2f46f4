"""The gate every customer message passes before NLU, whatever the channel.

Found on main: a 200 KB message to the REST channel took 16 s of NLU, blocked every other
customer of that worker meanwhile and opened a case; a NUL character made PostgreSQL refuse the
tracker (text columns cannot hold \\x00); nothing limited how fast one conversation may send.

Where: every input channel (REST, socket.io, Telegram, callback, any later one) hands its
`UserMessage` to the `on_new_message` Rasa gives it, and that is one function for all of them
(`rasa.core.channels.channel.register`: `await app.ctx.agent.handle_message(message)`, looked up
on every call). So wrapping `Agent.handle_message` puts one gate in front of every channel, before
the conversation's lock, the tracker and the NLU pipeline; a channel cannot forget it. Rasa's HTTP
API (`/conversations/{id}/messages`, `/model/parse`) does not pass here: it is internal and
token-protected, and the handoff service uses it for agents' messages, not customers'.

In order, cheapest first, each refusal answered politely in the customer's language through the
message's own output channel (REST: in the HTTP response; socket.io: a `bot_uttered`):

1. longer than MAX_MESSAGE_CHARS (`len()`, before any other look at the text): refused;
2. NUL and the other C0/C1 control characters except \\n and \\t are removed, so nothing after
   the gate (NLU, the tracker store, the event stream, the archive) ever sees them;
3. one count in the conversation's RATE_PER_CONVERSATION window (one Redis round trip, shared by
   all workers; fails open without Redis, core.limits): over it, refused with the wait;
4. nothing left after step 2: refused ("I could not read that").

A refused message is not parsed, not recorded as a user turn and opens no case: it never
reaches Rasa's processor. Only its length and reason are logged, never its text.

Installed by `install()` when bot.lock_store is imported, not by the `bot` package: Rasa creates
the lock store from the endpoints in every Sanic worker (`load_agent`, before the first
message), and only processes that serve conversations do that (`rasa run`, `rasa shell`), while
`rasa train`, the NLU tools and unit tests import `bot` (its components) without serving anyone.
The lock store is also what `Agent.handle_message` takes first, so the gate sits exactly in
front of it, and it implies the Redis the limiter counts in. `install()` is idempotent (a
marker on the wrapper); the gate itself (settings, texts, the Redis client) is built on the
first message, inside the worker, so no Redis connection is shared across Sanic's fork.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Protocol

import yaml
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from core import language
from core.limits import RateLimiter, Verdict
from core.settings import DATA_DIR, load
from shop.knowledge import KnowledgeError, ReloadingFile, localise

logger = logging.getLogger(__name__)

TEXTS_FILE = DATA_DIR / "knowledge" / "limits.yml"
LINE_KEYS = ("too_long", "too_fast", "unreadable")
PROBE_CHARS = 200  # the language of a refused message is told from its start: enough, and cheap
# C0 controls but \t (09) and \n (0a), DEL, C1 controls. \r goes too: \r\n becomes \n.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MARK = "__shop_guard__"

Handler = Callable[[Agent, UserMessage], Awaitable[Optional[List[Dict[str, Any]]]]]


class Limiter(Protocol):
    def hit(self, rule: str, key: str = "all") -> Verdict: ...


def clean(text: str) -> str:
    """The text without control characters (\\n and \\t stay), stripped like Rasa strips it."""
    return CONTROL.sub("", text).strip() if CONTROL.search(text) else text


class LimitTexts:
    """Parsed limits.yml: `render(key, language, **fields)`."""

    def __init__(self, raw: Any, source: str = "<memory>") -> None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("lines"), Mapping):
            raise KnowledgeError(f"{source}: needs a `lines` mapping")
        self._lines = {key: localise(entry, f"lines.{key}") for key, entry in raw["lines"].items()}
        missing = [key for key in LINE_KEYS if key not in self._lines]
        if missing:
            raise KnowledgeError(f"{source}: lines missing: {', '.join(missing)}")

    @classmethod
    def parse(cls, path: Path) -> "LimitTexts":
        try:
            return cls(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
        except yaml.YAMLError as exc:
            raise KnowledgeError(f"{path}: {exc}") from None

    def render(self, key: str, lang: Optional[str], **fields: Any) -> str:
        """One line in `lang`; with no language (nothing to tell it by), Chinese then English."""
        languages = [lang] if lang in ("zh-Hans", "zh-Hant", "en") else ["zh-Hans", "en"]
        return "\n".join(self._lines[key][code][0].format(**fields) for code in languages)


@dataclass(frozen=True)
class Refusal:
    reason: str  # too_long | too_fast | unreadable (the line's key in limits.yml)
    text: str  # what the customer is told


class Gate:
    """Decides about one message; `check` may clean `message.text` in place."""

    def __init__(self, max_chars: int, limiter: Optional[Limiter], texts: Callable[[], LimitTexts]) -> None:
        self.max_chars, self.limiter, self._texts = max_chars, limiter, texts

    @classmethod
    def from_settings(cls) -> "Gate":
        settings = load()
        texts = ReloadingFile(TEXTS_FILE, LimitTexts.parse)
        texts.get()  # a broken file shows at the first message, not only at the first refusal
        language.detect("訂單")  # the script tables load now, not during the first refusal
        return cls(settings.max_message_chars, RateLimiter.from_settings(settings), texts.get)

    def _refuse(self, reason: str, text: str, **fields: Any) -> Refusal:
        lang = language.detect(text[:PROBE_CHARS]) if text else None
        return Refusal(reason, self._texts().render(reason, lang, limit=self.max_chars, **fields))

    def check(self, message: UserMessage) -> Optional[Refusal]:
        text = message.text
        if text is None:  # nothing to read or to store; Rasa handles it as before
            return None
        if len(text) > self.max_chars:
            return self._refuse("too_long", text, length=len(text))
        text = clean(text)
        message.text = text
        if self.limiter is not None:
            verdict = self.limiter.hit("conversation", str(message.sender_id))
            if not verdict.allowed:
                return self._refuse("too_fast", text, seconds=verdict.retry_after_s)
        if not text:
            return self._refuse("unreadable", text)
        return None


_gate: Optional[Gate] = None
_gate_lock = threading.Lock()


def gate() -> Gate:
    """This process's gate, built on first use (after Sanic forked the worker)."""
    global _gate
    if _gate is None:
        with _gate_lock:
            if _gate is None:
                _gate = Gate.from_settings()
    return _gate


async def refuse(message: UserMessage, refusal: Refusal) -> Optional[List[Dict[str, Any]]]:
    """Tells the customer, on their own channel; returns what Agent.handle_message would."""
    logger.warning("message from %s not read: %s (%d characters)", message.sender_id, refusal.reason,
                   len(message.text or ""))
    channel = message.output_channel
    try:
        await channel.send_text_message(str(message.sender_id), refusal.text)
    except Exception:  # the customer's channel is down: the message stays unread either way
        logger.exception("could not tell %s that the message was not read", message.sender_id)
    return channel.messages if isinstance(channel, CollectingOutputChannel) else None


def guarded(original: Handler, current_gate: Callable[[], Gate] = gate) -> Handler:
    """`original` (Agent.handle_message) behind the gate."""

    async def handle_message(self: Agent, message: UserMessage) -> Optional[List[Dict[str, Any]]]:
        refusal = current_gate().check(message)
        if refusal is not None:
            return await refuse(message, refusal)
        return await original(self, message)

    setattr(handle_message, _MARK, True)
    handle_message.__doc__ = original.__doc__
    return handle_message


def install(agent_class: Any = Agent) -> bool:
    """Puts the gate in front of `agent_class.handle_message`; False if it already is."""
    current = agent_class.handle_message
    if getattr(current, _MARK, False):
        return False
    agent_class.handle_message = guarded(current)
    return True
