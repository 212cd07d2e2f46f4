"""Asyncio load generator for Rasa's REST channel.

Simulates customers the way they really talk to the bot: each conversation has its own sender id
and waits for the bot's answer before it sends the next message. That keeps Rasa's per-sender
lock and tracker in play, which a fire-and-forget flood would not. Runs are bounded in both count
and time so that a slow or hung bot cannot make a benchmark run forever.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Optional
from urllib.parse import urlparse

import aiohttp

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
WEBHOOK = "/webhooks/rest/webhook"


class BadReply(Exception):
    """A reply that arrived but is not what the REST channel promises; counted as an error."""


def check_loopback(url: str) -> str:
    """Refuses non-local targets, so the load generator can never be pointed at someone else's server."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        raise ValueError(f"refusing to load-test {url!r}: only http:// or https:// URLs are supported")
    host = (parsed.hostname or "").lower()
    if host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"refusing to load-test {url!r}: host {host or '(none)'!r} is not localhost, 127.0.0.1 or ::1 "
            "(the benchmark only runs against bots on this machine)"
        )
    return url.rstrip("/")


def percentile(ordered: list[float], q: float) -> Optional[float]:
    """Linear interpolation between ranks (numpy's default), so small samples still give stable numbers."""
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _ms(value: Optional[float]) -> Optional[float]:
    """Rounds for reports; more digits than 0.1 ms would be noise."""
    return None if value is None else round(value, 1)


async def _send(session: aiohttp.ClientSession, endpoint: str, sender: str, text: str) -> int:
    """Sends one message and returns how many replies came back; raises on anything a customer would see as broken."""
    async with session.post(endpoint, json={"sender": sender, "message": text}) as response:
        if response.status != 200:
            raise BadReply(f"HTTP {response.status}")
        body = await response.json(content_type=None)
    if not isinstance(body, list):
        raise BadReply(f"reply is a {type(body).__name__}, not a list")
    return len(body)


REQUEST_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, BadReply, ValueError)


async def run_load(
    url: str,
    messages: list[str],
    concurrency: int,
    total: int,
    time_limit_s: float,
    *,
    warmup: int = 3,
    request_timeout_s: float = 30.0,
) -> dict[str, Any]:
    """Measures throughput and latency of the bot at `url` under `concurrency` simultaneous conversations.

    Conversation i starts at message i (mod the list) so that even short runs send the whole mix,
    and ends after one pass through the list; the next customer then starts a new conversation
    (Rasa's cost per turn grows with the length of the conversation, and real chats are short).
    At most `total` messages are sent; at `time_limit_s` the messages still in flight are
    abandoned and reported as `unfinished`. `warmup` messages from a separate sender go first
    and are not counted, so that lazy initialisation does not count as latency.
    """
    endpoint = check_loopback(url) + WEBHOOK
    if not messages:
        raise ValueError("messages must not be empty")
    if concurrency < 1 or total < 0 or time_limit_s <= 0:
        raise ValueError("need concurrency >= 1, total >= 0 and time_limit_s > 0")

    run_id = uuid.uuid4().hex[:10]
    latencies: list[float] = []
    errors: list[str] = []
    empty_replies = 0
    claimed = 0
    timeout = aiohttp.ClientTimeout(total=request_timeout_s)
    connector = aiohttp.TCPConnector(limit=concurrency + 1)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        warmup_errors = 0
        for i in range(warmup):
            try:
                await _send(session, endpoint, f"bench-{run_id}-warmup", messages[i % len(messages)])
            except REQUEST_ERRORS:
                warmup_errors += 1

        started = time.perf_counter()
        deadline = started + time_limit_s

        async def conversation(index: int) -> None:
            """One customer: next message only after the previous reply, as in a chat window."""
            nonlocal claimed, empty_replies
            position, turn, chat = index % len(messages), 0, 0
            sender = f"bench-{run_id}-{index}-{chat}"
            while claimed < total and time.perf_counter() < deadline:
                claimed += 1
                text = messages[position]
                position = (position + 1) % len(messages)
                turn += 1
                if turn > len(messages):  # a real chat is a dozen messages, then a new customer
                    turn, chat = 1, chat + 1
                    sender = f"bench-{run_id}-{index}-{chat}"
                sent = time.perf_counter()
                try:
                    replies = await _send(session, endpoint, sender, text)
                except REQUEST_ERRORS as exc:
                    errors.append(f"{type(exc).__name__}: {exc}".strip())
                    continue
                latencies.append((time.perf_counter() - sent) * 1000)
                if replies == 0:
                    empty_replies += 1

        tasks = [asyncio.create_task(conversation(i)) for i in range(concurrency)]
        done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.perf_counter()))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        elapsed = time.perf_counter() - started
        for task in done:
            task.result()  # a bug in the generator itself must not pass as a measurement

    ordered = sorted(latencies)
    return {
        "url": url,
        "concurrency": concurrency,
        "total": total,
        "time_limit_s": time_limit_s,
        "stopped_by": "total" if claimed >= total and not pending else "time",
        "messages": len(latencies),
        "errors": len(errors),
        "unfinished": claimed - len(latencies) - len(errors),
        "empty_replies": empty_replies,
        "elapsed_s": round(elapsed, 3),
        "messages_per_s": round(len(latencies) / elapsed, 2) if elapsed > 0 else 0.0,
        "p50_ms": _ms(percentile(ordered, 50)),
        "p95_ms": _ms(percentile(ordered, 95)),
        "p99_ms": _ms(percentile(ordered, 99)),
        "mean_ms": _ms(sum(ordered) / len(ordered) if ordered else None),
        "max_ms": _ms(ordered[-1] if ordered else None),
        "warmup_messages": warmup,
        "warmup_errors": warmup_errors,
        "error_samples": sorted(set(errors))[:5],
    }
