"""The endpoints file every Rasa process of ours runs with: action server, tracker store, lock
store, event broker. `tools.stack` writes it for `make run`, the tests and the benchmarks alike,
so they never run with different state stores.

Where conversations are kept (docs/state.md): Rasa's `SQLTrackerStore` on the project's
DATABASE_URL (SQLite by default, PostgreSQL on several machines), chosen with
`python -m benchmarks.tracker_store` over `RedisTrackerStore` (docs/benchmarks.md, "Tracker
store"); `tracker_store="redis"` keeps the other one an argument away, in its own Redis database
(`TRACKER_DB`). Without a tracker store Rasa keeps conversations in each worker's memory: a
restart forgets paused handoffs and case links, and two Sanic workers each see half of a
conversation.

Rasa proves itself to the action server with the action token (`action_endpoint.token`, sent as
`?token=`; actions/server.py checks it), so a rendered file with a token is a secret file.

The lock store is `bot.lock_store.AtomicRedisLockStore`: Rasa's own `RedisLockStore` issues
tickets read-then-SET, which lets two workers serve one conversation at once (tests/integration/
test_concurrency.py plays it out).

The model comes from the handoff service (`models:`, Rasa's model server client): every Sanic
worker polls `GET /models/current.tar.gz` every MODEL_PULL_S seconds with the ETag of what it
has loaded and swaps in a new model only when the current version changed (a retraining
promoted one, or `make rollback`), without a restart (docs/training.md).
"""

from __future__ import annotations

import json
from typing import Optional
from urllib.parse import unquote, urlparse

# Redis databases on the project's Redis: 0 is the project's own (queue, stream, presence, socket.io)
LOCK_DB = 1
TRACKER_DB = 2
TRACKER_STORES = ("redis", "sql")
LOCK_STORES = {"atomic": "bot.lock_store.AtomicRedisLockStore", "redis": "redis"}
MODEL_PULL_S = 5  # rollback reaches Rasa within this plus a model load (< 30 s, docs/training.md)


def _quoted(value: str) -> str:
    """A YAML scalar that survives any character a URL or password may hold (JSON ⊂ YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _redis_fields(redis_url: str, db: int) -> str:
    """host/port/db (and credentials) in the shape Rasa's Redis stores take as keyword arguments."""
    url = urlparse(redis_url)
    lines = [f"  url: {url.hostname or 'localhost'}", f"  port: {url.port or 6379}", f"  db: {db}"]
    if url.username:
        lines.append(f"  username: {_quoted(unquote(url.username))}")
    if url.password:
        lines.append(f"  password: {_quoted(unquote(url.password))}")
    if url.scheme == "rediss":
        lines.append("  use_ssl: true")
    return "\n".join(lines) + "\n"


def tracker_store_section(kind: str, redis_url: str, database_url: Optional[str]) -> str:
    if kind == "redis":
        return "tracker_store:\n  type: redis\n" + _redis_fields(redis_url, TRACKER_DB)
    if kind == "sql":
        if not database_url:
            raise ValueError("the SQL tracker store needs the project's DATABASE_URL")
        # Rasa's SQLTrackerStore takes a whole SQLAlchemy URL in `url` (its `host`) as it is; ours
        # waits for SQLite's write lock instead of keeping the turn in one worker's memory.
        return f"tracker_store:\n  type: bot.tracker_store.DurableSQLTrackerStore\n  url: {_quoted(database_url)}\n"
    raise ValueError(f"unknown tracker store {kind!r}; one of {TRACKER_STORES}")


def render(action_url: str, redis_url: str, event_stream: str = "rasa:events", *,
           database_url: Optional[str] = None, tracker_store: str = "sql", lock_store: str = "atomic",
           token: Optional[str] = None, model_url: Optional[str] = None) -> str:
    """`lock_store="redis"` is Rasa's stock one, kept for the comparison in the concurrency test.

    With `token` (the action token) Rasa sends it as `?token=` on every action call, and the action server
    (actions/server.py) refuses calls without it. The text then holds a secret: write it with
    core.secrets.private_file (0600), never with a plain write. With `model_url` Rasa pulls its
    model from there (the handoff service's /models/current.tar.gz) instead of `--model`."""
    if lock_store not in LOCK_STORES:
        raise ValueError(f"unknown lock store {lock_store!r}; one of {list(LOCK_STORES)}")
    token_line = f"  token: {_quoted(token)}\n" if token else ""
    models = (f"models:\n  url: {_quoted(model_url)}\n  wait_time_between_pulls: {MODEL_PULL_S}\n"
              if model_url else "")
    return (
        "action_endpoint:\n"
        f"  url: {_quoted(action_url)}\n"
        + token_line
        + tracker_store_section(tracker_store, redis_url, database_url)
        + f"lock_store:\n  type: {LOCK_STORES[lock_store]}\n"
        + _redis_fields(redis_url, LOCK_DB)
        + "event_broker:\n"
        "  type: bot.broker.RedisStreamsEventBroker\n"
        f"  url: {redis_url}\n"
        f"  stream: {event_stream}\n"
        + models
    )
