"""The atomic ticket lock on a real Redis: what two workers racing for one conversation get."""

from __future__ import annotations

import asyncio
import threading
import time
from urllib.parse import urlparse

import pytest
import redis
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import AtomicRedisLockStore


def store(redis_url: str) -> AtomicRedisLockStore:
    """One worker's lock store: its own connection, as each Sanic worker has."""
    url = urlparse(redis_url)
    return AtomicRedisLockStore(host=url.hostname, port=url.port, db=1)


@pytest.fixture(autouse=True)
def empty(redis_url: str) -> None:
    redis.Redis.from_url(redis_url).flushall()


def test_endpoints_config_builds_it(redis_url: str) -> None:
    """Rasa builds a custom lock store from endpoints.yml as `cls(endpoint_config=...)`."""
    url = urlparse(redis_url)
    config = EndpointConfig(url=url.hostname, type="bot.lock_store.AtomicRedisLockStore", port=url.port, db=1)
    built = LockStore.create(config)
    assert isinstance(built, AtomicRedisLockStore)
    assert built.issue_ticket("c") == 1 and built.issue_ticket("c") == 2


def test_workers_issuing_at_once_never_share_a_ticket(redis_url: str) -> None:
    """The read-then-SET race of Rasa's RedisLockStore: here every ticket number is unique."""
    stores = [store(redis_url) for _ in range(8)]
    issued: list[int] = []
    start = threading.Barrier(len(stores))

    def worker(s: AtomicRedisLockStore) -> None:
        start.wait()
        numbers = [s.issue_ticket("busy") for _ in range(50)]
        issued.extend(numbers)

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(issued) == list(range(1, 401))
    lock = stores[0].get_lock("busy")
    assert lock is not None and len(lock.tickets) == 400  # none lost to a concurrent write


async def test_only_one_holder_at_a_time_in_ticket_order(redis_url: str) -> None:
    """Six workers handle one conversation: never two inside at once, first come first served."""
    inside: list[int] = []
    most = 0
    order: list[int] = []

    async def handle(worker: int, s: AtomicRedisLockStore) -> None:
        nonlocal most
        await asyncio.sleep(worker * 0.005)  # arrive in worker order
        async with s.lock("conv"):
            inside.append(worker)
            most = max(most, len(inside))
            order.append(worker)
            await asyncio.sleep(0.02)  # the others poll meanwhile
            inside.remove(worker)

    await asyncio.gather(*(handle(n, store(redis_url)) for n in range(6)))
    assert most == 1
    assert order == list(range(6))
    assert not redis.Redis.from_url(redis_url, db=1).keys("*"), "the lock is gone with its last ticket"


def test_returning_a_ticket_keeps_the_one_issued_meanwhile(redis_url: str) -> None:
    """Rasa's release rewrote the whole list and could drop a waiter's ticket; here it stays."""
    first, second = store(redis_url), store(redis_url)
    mine = first.issue_ticket("c")
    theirs = second.issue_ticket("c")
    first.cleanup("c", mine)
    lock = second.get_lock("c")
    assert lock is not None and lock.now_serving == theirs and not lock.is_locked(theirs)
    second.cleanup("c", theirs)
    assert second.get_lock("c") is None


async def test_a_crashed_holder_blocks_only_until_its_ticket_expires(redis_url: str) -> None:
    """A worker killed while holding the lock never returns its ticket; the next one goes on."""
    dead, alive = store(redis_url), store(redis_url)
    dead.issue_ticket("c", lock_lifetime=0.5)  # then SIGKILL: no cleanup
    started = time.monotonic()
    async with alive.lock("c"):
        waited = time.monotonic() - started
    assert waited >= 0.4
    keys = redis.Redis.from_url(redis_url, db=1)
    assert not keys.keys("*")


async def test_an_expired_own_ticket_is_a_lock_error(redis_url: str) -> None:
    """Held by someone else past our own ticket's life: Rasa's LockError, as with its store."""
    holder, late = store(redis_url), store(redis_url)
    holder.issue_ticket("c", lock_lifetime=1.0)  # still held when ours expires
    with pytest.raises(LockError):
        async with late.lock("c", lock_lifetime=0.2):
            pass
