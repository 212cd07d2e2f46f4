"""The endpoints file every Rasa process of ours runs with: action server, lock store, event
broker (and where conversations are kept). `tools.stack` writes it for `make run`, the tests and
the benchmarks alike, so they never run with different state stores."""

from __future__ import annotations

from urllib.parse import urlparse


def render(action_url: str, redis_url: str, event_stream: str = "rasa:events") -> str:
    url = urlparse(redis_url)
    return (
        "action_endpoint:\n"
        f"  url: \"{action_url}\"\n"
        "lock_store:\n"
        "  type: redis\n"
        f"  url: {url.hostname or 'localhost'}\n"
        f"  port: {url.port or 6379}\n"
        "  db: 1\n"
        "event_broker:\n"
        "  type: bot.broker.RedisStreamsEventBroker\n"
        f"  url: {redis_url}\n"
        f"  stream: {event_stream}\n"
    )
