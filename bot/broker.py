"""Rasa event broker that appends every tracker event to a Redis Stream.

The handoff service needs the whole conversation with its NLU annotations (intent, emotion,
confidence are in the user events' `parse_data`) in order and from every Rasa process; a Redis
Stream gives it that with consumer groups and acknowledgements, on the Redis the stack already
runs. Configure in endpoints.yml:

    event_broker:
      type: bot.broker.RedisStreamsEventBroker
      url: localhost            # or redis://host:port/db
      port: 6379
      db: 0
      stream: rasa:events
      maxlen: 100000

Rasa calls `publish` synchronously inside its request handling (under the conversation's lock,
so one conversation's events arrive in order), hence a plain blocking client on a short timeout.

What the stream keeps (issue 11, "PII in the stream is masked or expires"): both.
- Masked: texts (the user's and the bot's `text`, the NLU's `parse_data.text`, entity values,
  slot values, a bot message's `data`) go through `handoff.masking` before XADD, so a phone
  number, e-mail or ID number a customer typed is never in Redis in full. This costs the agents
  nothing: the stream's readers (the case transcript, the archive) stored masked text already,
  the handoff package is built from the tracker store (which keeps the raw conversation), and a
  callback number reaches the case through the callback form, not through the stream.
  `sender_id`, names of intents, actions and slots, ids and timestamps are left as they are:
  the consumers find the case and deduplicate by them.
- Expiring: every XADD trims entries older than `retention_s` (MINID ~, from
  `settings.stream_retention_s`), and the stream never holds more than about `maxlen` entries.
"""

from __future__ import annotations

import json
import logging
import time
from asyncio import AbstractEventLoop
from collections import deque
from typing import Any, Dict, Optional
from urllib.parse import urlparse

import redis
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from core import settings
from handoff.masking import mask, mask_value

logger = logging.getLogger(__name__)

DEFAULT_STREAM = "rasa:events"
DEFAULT_MAXLEN = 100_000


def masked_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of the event with every text a person wrote or was shown masked (module docstring)."""
    out = dict(event)
    if isinstance(out.get("text"), str):
        out["text"] = mask(out["text"])
    if out.get("event") == "slot" and "value" in out:
        out["value"] = mask_value(str(out.get("name") or ""), out["value"])
    if out.get("event") == "bot" and isinstance(out.get("data"), dict):
        out["data"] = mask_value("data", out["data"])
    parse = out.get("parse_data")
    if isinstance(parse, dict):
        parse = dict(parse)
        if isinstance(parse.get("text"), str):
            parse["text"] = mask(parse["text"])
        if isinstance(parse.get("entities"), list):
            parse["entities"] = [
                {**e, "value": mask_value(str(e.get("entity") or ""), e.get("value"))} if isinstance(e, dict) else e
                for e in parse["entities"]]
        out["parse_data"] = parse
    return out


class RedisStreamsEventBroker(EventBroker):
    """XADDs each event as JSON in the field `event`; never drops one without an error log.

    On a Redis error it retries a few times with a short backoff; if Redis stays away the event
    goes into a bounded in-memory backlog that is written first (keeping the order) as soon as
    Redis answers again. While the backlog is non-empty each publish tries only once, so an
    outage does not slow every user message by the whole backoff.
    """

    def __init__(self, host: str = "localhost", port: int = 6379, db: int = 0, password: Optional[str] = None,
                 username: Optional[str] = None, use_ssl: bool = False, stream: str = DEFAULT_STREAM,
                 maxlen: Optional[int] = DEFAULT_MAXLEN, retries: int = 3, backoff: float = 0.05,
                 backlog_size: int = 10_000, socket_timeout: float = 2.0,
                 client: Optional[redis.Redis] = None, retention_s: Optional[float] = None) -> None:
        self.stream = stream
        self.maxlen = int(maxlen) if maxlen else None
        self.retention_s = float(retention_s if retention_s is not None else settings.load().stream_retention_s)
        self.retries = max(1, int(retries))
        self.backoff = float(backoff)
        self.client = client or redis.Redis(host=host, port=int(port), db=int(db), password=password,
                                            username=username, ssl=use_ssl, socket_timeout=socket_timeout,
                                            socket_connect_timeout=socket_timeout)
        self.backlog: deque[tuple[str, str]] = deque()  # (sender_id, json), oldest first
        self.backlog_size = backlog_size

    @classmethod
    async def from_endpoint_config(cls, broker_config: EndpointConfig,
                                   event_loop: Optional[AbstractEventLoop] = None,
                                   ) -> Optional[RedisStreamsEventBroker]:
        """Reads url/port/db/password/stream/maxlen; `url` may also be a full redis:// URL."""
        kwargs = dict(broker_config.kwargs)
        url = broker_config.url or "localhost"
        if "://" in url:
            parsed = urlparse(url)
            kwargs.setdefault("port", parsed.port or 6379)
            if parsed.path.strip("/"):
                kwargs.setdefault("db", int(parsed.path.strip("/")))
            if parsed.password:
                kwargs.setdefault("password", parsed.password)
            if parsed.username:
                kwargs.setdefault("username", parsed.username)
            if parsed.scheme == "rediss":
                kwargs.setdefault("use_ssl", True)
            host = parsed.hostname or "localhost"
        else:
            host = url
        known = {"port", "db", "password", "username", "use_ssl", "stream", "maxlen", "retries", "backoff",
                 "backlog_size", "socket_timeout", "retention_s"}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            logger.warning("RedisStreamsEventBroker ignores unknown settings: %s", ", ".join(unknown))
        broker = cls(host=host, **{k: v for k, v in kwargs.items() if k in known})
        if not broker.is_ready():  # start anyway: a customer's chat matters more than the event copy
            logger.warning("Redis at %s is not reachable yet; events are kept in memory until it is", host)
        return broker

    def _xadd(self, data: str) -> None:
        """XADD trimming by age (MINID ~: entries older than the retention go), then by length.

        Redis takes one of MINID and MAXLEN per command, so the length cap is an XTRIM in the
        same round trip. Ids are Redis's clock in ms; a backlog written after an outage gets
        fresh ids, so its events are kept for a whole retention period from then.
        """
        oldest = max(0, int((time.time() - self.retention_s) * 1000))
        pipe = self.client.pipeline(transaction=False)
        pipe.xadd(self.stream, {"event": data}, minid=f"{oldest}-0", approximate=True)
        if self.maxlen:
            pipe.xtrim(self.stream, maxlen=self.maxlen, approximate=True)
        pipe.execute()

    def _flush_backlog(self) -> bool:
        """Writes the backlog in order; True when it is empty afterwards."""
        while self.backlog:
            try:
                self._xadd(self.backlog[0][1])
            except redis.RedisError:
                return False
            self.backlog.popleft()
        logger.info("Redis is back; event backlog written to stream '%s'", self.stream)
        return True

    def publish(self, event: Dict[str, Any]) -> None:
        sender_id = str(event.get("sender_id"))
        data = json.dumps(masked_event(event), ensure_ascii=False, default=str)
        error: Optional[Exception] = None
        if self.backlog:  # Redis was away: keep the order, try once, don't sleep in the request path
            self._enqueue_backlog(sender_id, data)
            if self._flush_backlog():
                return
        else:
            for attempt in range(self.retries):
                try:
                    self._xadd(data)
                    return
                except redis.RedisError as caught:
                    error = caught
                    if attempt + 1 < self.retries:
                        time.sleep(self.backoff * 2**attempt)
            self._enqueue_backlog(sender_id, data)
        logger.error("Could not publish event '%s' of sender '%s' to Redis stream '%s'%s; kept in memory "
                     "(%d waiting) and retried on the next publish", event.get("event"), sender_id, self.stream,
                     f" ({error})" if error else "", len(self.backlog))

    def _enqueue_backlog(self, sender_id: str, data: str) -> None:
        if len(self.backlog) >= self.backlog_size:
            lost_sender, lost = self.backlog.popleft()
            logger.error("Event backlog full (%d): dropped event '%s' of sender '%s'", self.backlog_size,
                         json.loads(lost).get("event"), lost_sender)
        self.backlog.append((sender_id, data))

    def is_ready(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    async def close(self) -> None:
        if self.backlog and not self._flush_backlog():
            senders = sorted({s for s, _ in self.backlog})
            logger.error("Closing with %d events not published (senders: %s)", len(self.backlog),
                         ", ".join(senders[:20]))
        self.client.close()
