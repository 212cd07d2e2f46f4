"""The waiting-cases queue in Redis, shared by every agent process on every machine.

The SQL database is the source of truth; this is a fast index over it that `rebuild` can
recreate after Redis was flushed or restarted (`is_built` tells the two apart from an empty
queue). Every change that must not race - enqueue, claim, reprioritize, rebuild - is one Lua
script, so two agents can never take the same case and a claimed case is never resurrected by
a concurrent re-enqueue of the old copy.

The scripts name some keys inside themselves (the entry of a member they just popped), which
a standalone Redis or a Sentinel primary allows and Redis Cluster does not; the spec deploys
the former.

Keys (prefix "handoff" by default):
  {prefix}:q:{team}:{language}   sorted set of case ids, score = priority * 1e10 - due (seconds)
  {prefix}:e:{case_id}           hash with the entry's fields
  {prefix}:queues                set of the queue keys that were ever used (no SCAN needed)
  {prefix}:built                 set by `rebuild`; missing means "Redis lost its data"
  {prefix}:online:{agent_id}     agent presence, expires unless touched (value: teams, comma list)
  {prefix}:agents                set of agent ids that may be online (pruned lazily)
  {prefix}:notify                pub/sub channel, JSON messages {"kind", "payload", "ts"}
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import AsyncGenerator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional, Union

import redis
import redis.asyncio
from redis.client import PubSub

PRIORITY_STEP = 10**10  # > any epoch second until 2286, so priority always dominates the deadline
MAX_PRIORITY = 100_000  # |priority| * 1e10 + 1e10 stays below 2**53: scores are exact integers
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # team/language end up inside key names

_INSERT = """
local function insert(prefix, id, team, language, priority, due_s, due, enqueued_at, score)
  local ekey = prefix .. ':e:' .. id
  local qkey = prefix .. ':q:' .. team .. ':' .. language
  local old = redis.call('HGET', ekey, 'queue')
  if old and old ~= qkey then redis.call('ZREM', old, id) end
  redis.call('ZADD', qkey, score, id)
  redis.call('HSET', ekey, 'case_id', id, 'team', team, 'language', language, 'priority', priority,
             'due_s', due_s, 'due', due, 'enqueued_at', enqueued_at, 'queue', qkey)
  redis.call('SADD', prefix .. ':queues', qkey)
end
"""

_ENQUEUE = _INSERT + """
insert(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
return 1
"""

_REBUILD = _INSERT + """
local prefix = ARGV[1]
for _, qkey in ipairs(redis.call('SMEMBERS', prefix .. ':queues')) do
  for _, id in ipairs(redis.call('ZRANGE', qkey, 0, -1)) do redis.call('DEL', prefix .. ':e:' .. id) end
  redis.call('DEL', qkey)
end
redis.call('DEL', prefix .. ':queues')
local n = 0
for i = 3, #ARGV, 8 do
  insert(prefix, ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6], ARGV[i+7])
  n = n + 1
end
redis.call('SET', prefix .. ':built', ARGV[2])
return n
"""

_REMOVE = """
local ekey = ARGV[1] .. ':e:' .. ARGV[2]
local qkey = redis.call('HGET', ekey, 'queue')
if not qkey then return 0 end
redis.call('DEL', ekey)
return redis.call('ZREM', qkey, ARGV[2])
"""

# The score is computed by the caller from the due_s it read; if the entry changed meanwhile
# (re-enqueued, claimed) the script refuses and the caller reads again.
_REPRIORITIZE = """
local ekey = ARGV[1] .. ':e:' .. ARGV[2]
local qkey = redis.call('HGET', ekey, 'queue')
if not qkey then return 0 end
if redis.call('HGET', ekey, 'due_s') ~= ARGV[4] then return -1 end
redis.call('ZADD', qkey, 'XX', ARGV[5], ARGV[2])
redis.call('HSET', ekey, 'priority', ARGV[3])
return 1
"""

# Out of every queue at once, with its entry: for ids the queue holds but the database does not
# have waiting (the reconcile sweep), wherever and however half-written they are.
_DISCARD = """
local prefix = ARGV[1]
local n = 0
for _, qkey in ipairs(redis.call('SMEMBERS', prefix .. ':queues')) do
  n = n + redis.call('ZREM', qkey, ARGV[2])
end
redis.call('DEL', prefix .. ':e:' .. ARGV[2])
return n
"""

_CLAIM_NEXT = """
local best, best_key, best_score = nil, nil, nil
for _, qkey in ipairs(KEYS) do
  local top = redis.call('ZREVRANGE', qkey, 0, 0, 'WITHSCORES')
  if top[1] then
    local score = tonumber(top[2])
    if best_score == nil or score > best_score then best, best_key, best_score = top[1], qkey, score end
  end
end
if not best then return false end
redis.call('ZREM', best_key, best)
redis.call('DEL', ARGV[1] .. ':e:' .. best)
return best
"""


def _utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; they are stored as UTC, so read them as such."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _check_name(kind: str, value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"invalid {kind} {value!r}: use letters, digits, '_', '-', '.'")
    return value


def score(priority: int, due: datetime) -> int:
    """Higher priority first, then the earlier deadline; an exact integer in a double."""
    if not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
        raise ValueError(f"priority {priority} out of range ±{MAX_PRIORITY}")
    due_s = math.floor(_utc(due).timestamp())
    if not 0 <= due_s < PRIORITY_STEP:
        raise ValueError(f"due {due.isoformat()} out of range")
    return priority * PRIORITY_STEP - due_s


@dataclass(frozen=True)
class QueueEntry:
    """One waiting case as the queue sees it."""

    case_id: str
    team: str
    language: str
    priority: int
    due: datetime
    enqueued_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "team": self.team, "language": self.language,
                "priority": self.priority, "due": self.due.isoformat(), "enqueued_at": self.enqueued_at.isoformat()}

    @classmethod
    def from_hash(cls, data: Mapping[str, str]) -> QueueEntry:
        return cls(case_id=data["case_id"], team=data["team"], language=data["language"],
                   priority=int(data["priority"]), due=datetime.fromisoformat(data["due"]),
                   enqueued_at=datetime.fromisoformat(data["enqueued_at"]))


def estimate_wait(position: int, agents_online: int, avg_handle_seconds: float = 240) -> Optional[int]:
    """Seconds until a person picks the case up; None when nobody is online (no honest number)."""
    if agents_online <= 0:
        return None
    return math.ceil(max(position, 0) / agents_online * avg_handle_seconds)


def _text(value: Union[str, bytes]) -> str:
    return value.decode() if isinstance(value, bytes) else value


class CaseQueue:
    """Priority queue of waiting cases per (team, language), plus agent presence and notifications."""

    def __init__(self, redis: redis.Redis, prefix: str = "handoff") -> None:
        self.redis = redis
        self.prefix = prefix
        self.channel = f"{prefix}:notify"
        self._enqueue = redis.register_script(_ENQUEUE)
        self._rebuild = redis.register_script(_REBUILD)
        self._remove = redis.register_script(_REMOVE)
        self._reprioritize = redis.register_script(_REPRIORITIZE)
        self._claim_next = redis.register_script(_CLAIM_NEXT)
        self._discard = redis.register_script(_DISCARD)

    def queue_key(self, team: str, language: str) -> str:
        return f"{self.prefix}:q:{_check_name('team', team)}:{_check_name('language', language)}"

    def _entry_key(self, case_id: str) -> str:
        return f"{self.prefix}:e:{case_id}"

    @staticmethod
    def _insert_args(entry: QueueEntry) -> list[Union[str, int]]:
        _check_name("team", entry.team)
        _check_name("language", entry.language)
        due = _utc(entry.due)
        return [entry.case_id, entry.team, entry.language, entry.priority, math.floor(due.timestamp()),
                due.isoformat(), _utc(entry.enqueued_at).isoformat(), score(entry.priority, due)]

    # --- the queue -------------------------------------------------------------------------------

    def enqueue(self, case_id: Union[str, int], team: str, language: str, priority: int, due: datetime,
                enqueued_at: Optional[datetime] = None) -> QueueEntry:
        """Adds the case, or moves it (new team/language/priority/deadline) if already waiting."""
        entry = QueueEntry(str(case_id), team, language, int(priority), _utc(due),
                           _utc(enqueued_at) if enqueued_at else datetime.now(timezone.utc))
        self._enqueue(args=[self.prefix, *self._insert_args(entry)])
        return entry

    def remove(self, case_id: Union[str, int]) -> bool:
        return bool(self._remove(args=[self.prefix, str(case_id)]))

    def discard(self, case_id: Union[str, int]) -> bool:
        """Out of every queue, whatever its entry says (see `members`)."""
        return bool(self._discard(args=[self.prefix, str(case_id)]))

    def members(self) -> dict[str, str]:
        """Every case id in any queue, with the queue it sits in: what is really there, entries or
        not (a queue member whose entry hash is missing is still a member)."""
        keys = [_text(k) for k in sorted(self.redis.smembers(f"{self.prefix}:queues"))]
        pipe = self.redis.pipeline(transaction=True)
        for key in keys:
            pipe.zrange(key, 0, -1)
        found: dict[str, str] = {}
        for key, ids in zip(keys, pipe.execute(), strict=True):
            found.update((_text(case_id), key) for case_id in ids)
        return found

    def reprioritize(self, case_id: Union[str, int], priority: int) -> bool:
        """Changes the priority, keeping the deadline; False if the case is not waiting."""
        priority = int(priority)
        if not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
            raise ValueError(f"priority {priority} out of range ±{MAX_PRIORITY}")
        for _ in range(10):
            due_s = self.redis.hget(self._entry_key(str(case_id)), "due_s")
            if due_s is None:
                return False
            new_score = priority * PRIORITY_STEP - int(due_s)
            done = int(self._reprioritize(args=[self.prefix, str(case_id), priority, _text(due_s), new_score]))
            if done >= 0:
                return done == 1
        return False  # the entry kept changing under us; the caller's next pass will see it settled

    def claim(self, case_id: Union[str, int]) -> bool:
        """Takes one particular case; of N concurrent callers exactly one gets True."""
        return bool(self._remove(args=[self.prefix, str(case_id)]))

    def claim_next(self, teams: Iterable[str], languages: Iterable[str]) -> Optional[str]:
        """Takes the best waiting case this agent may handle (any of its teams x languages)."""
        keys = [self.queue_key(t, lang) for t in teams for lang in languages]
        if not keys:
            return None
        case_id = self._claim_next(keys=keys, args=[self.prefix])
        return _text(case_id) if case_id else None

    def get(self, case_id: Union[str, int]) -> Optional[QueueEntry]:
        data = self.redis.hgetall(self._entry_key(str(case_id)))
        return QueueEntry.from_hash({_text(k): _text(v) for k, v in data.items()}) if data else None

    def position(self, case_id: Union[str, int]) -> Optional[int]:
        """1-based rank in its own team+language queue: the agents who would take it see this order."""
        qkey = self.redis.hget(self._entry_key(str(case_id)), "queue")
        if qkey is None:
            return None
        rank = self.redis.zrevrank(_text(qkey), str(case_id))
        return None if rank is None else int(rank) + 1

    def _queue_keys(self, teams: Optional[Iterable[str]], languages: Optional[Iterable[str]]) -> list[str]:
        if teams is not None and languages is not None:
            return [self.queue_key(t, lang) for t in teams for lang in languages]
        wanted_teams = set(teams) if teams is not None else None
        wanted_languages = set(languages) if languages is not None else None
        keys = []
        for raw in sorted(self.redis.smembers(f"{self.prefix}:queues")):
            key = _text(raw)
            team, language = key.rsplit(":", 2)[1:]
            if (wanted_teams is None or team in wanted_teams) and (
                    wanted_languages is None or language in wanted_languages):
                keys.append(key)
        return keys

    def entries(self, teams: Optional[Iterable[str]] = None,
                languages: Optional[Iterable[str]] = None) -> list[QueueEntry]:
        """Waiting cases, best first (the order claim_next would take them in)."""
        keys = self._queue_keys(teams, languages)
        pipe = self.redis.pipeline(transaction=True)  # one consistent snapshot of all the queues
        for key in keys:
            pipe.zrevrange(key, 0, -1, withscores=True)
        ranked: list[tuple[float, int, int, str]] = []
        for qi, members in enumerate(pipe.execute()):
            ranked.extend((-s, qi, i, _text(m)) for i, (m, s) in enumerate(members))
        ranked.sort()
        pipe = self.redis.pipeline(transaction=False)
        for *_, case_id in ranked:
            pipe.hgetall(self._entry_key(case_id))
        result = []
        for data in pipe.execute():
            if data:  # claimed between the two reads
                result.append(QueueEntry.from_hash({_text(k): _text(v) for k, v in data.items()}))
        return result

    def size(self, teams: Optional[Iterable[str]] = None, languages: Optional[Iterable[str]] = None) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for key in self._queue_keys(teams, languages):
            pipe.zcard(key)
        return sum(int(n) for n in pipe.execute())

    def rebuild(self, entries: Iterable[QueueEntry]) -> int:
        """Replaces the whole queue at once with what the database says is waiting."""
        args: list[Union[str, int]] = [self.prefix, datetime.now(timezone.utc).isoformat()]
        for entry in entries:
            args.extend(self._insert_args(entry))
        return int(self._rebuild(args=args))

    def is_built(self) -> bool:
        """False after Redis lost its data (flush, restart without persistence): rebuild then."""
        return bool(self.redis.exists(f"{self.prefix}:built"))

    # --- agent presence --------------------------------------------------------------------------

    def touch_agent(self, agent_id: int, ttl: int = 90, teams: Iterable[str] = ()) -> None:
        """Marks the agent online for ttl seconds; consoles call it as a heartbeat."""
        pipe = self.redis.pipeline(transaction=True)
        value = ",".join(_check_name("team", t) for t in teams)
        pipe.set(f"{self.prefix}:online:{agent_id}", value, ex=ttl)
        pipe.sadd(f"{self.prefix}:agents", agent_id)
        pipe.execute()

    def agent_offline(self, agent_id: int) -> None:
        self.redis.delete(f"{self.prefix}:online:{agent_id}")
        self.redis.srem(f"{self.prefix}:agents", agent_id)

    def agents_online(self, team: Optional[str] = None) -> int:
        """Agents whose heartbeat has not expired (Redis's clock, so machines' clocks don't matter)."""
        ids = [_text(a) for a in self.redis.smembers(f"{self.prefix}:agents")]
        if not ids:
            return 0
        values = self.redis.mget([f"{self.prefix}:online:{a}" for a in ids])
        gone = [a for a, v in zip(ids, values, strict=True) if v is None]
        if gone:
            # a touch may land between MGET and SREM; it re-adds itself on its next heartbeat
            self.redis.srem(f"{self.prefix}:agents", *gone)
        live = [_text(v) for v in values if v is not None]
        if team is None:
            return len(live)
        return sum(1 for v in live if team in v.split(","))

    # --- notifications ---------------------------------------------------------------------------

    def publish(self, kind: str, payload: Mapping[str, Any]) -> int:
        """Tells every console (any process) that something changed; returns the listener count."""
        message = json.dumps({"kind": kind, "payload": dict(payload), "ts": time.time()},
                             ensure_ascii=False, default=str)
        return int(self.redis.publish(self.channel, message))

    def subscribe(self) -> PubSub:
        """A pubsub already listening; read with get_message() and decode with parse_message()."""
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(self.channel)
        return pubsub


def parse_message(message: Optional[Mapping[str, Any]]) -> Optional[dict[str, Any]]:
    """The JSON body of a pub/sub message, or None for control messages and garbage."""
    if not message or message.get("type") != "message":
        return None
    try:
        body = json.loads(_text(message["data"]))
    except (ValueError, TypeError):
        return None
    return body if isinstance(body, dict) else None


async def listen(client: redis.asyncio.Redis, prefix: str = "handoff") -> AsyncGenerator[dict[str, Any], None]:
    """Yields notifications forever (for a Sanic websocket/SSE handler); cancel the task to stop."""
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"{prefix}:notify")
    try:
        async for message in pubsub.listen():
            body = parse_message(message)
            if body is not None:
                yield body
    finally:
        await pubsub.unsubscribe()
        await pubsub.close()
