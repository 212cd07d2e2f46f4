"""The Redis queue as an index of the case database: built, rebuilt and kept in line with it.

The database is the truth and Redis the fast index the agents claim from; every route writes the
database first. What can part them (Redis flushed or restarted without persistence, a write that
reached the database but not Redis) is healed here, in one place, so the desk's routes only say
"queue this case" and the sweep of `handoff/api/tasks.py` calls `reconcile` on every tick.
"""

from __future__ import annotations

import logging

from core.vocabulary import CLOSED
from handoff.access import queue_language
from handoff.queue import CaseQueue, QueueEntry
from handoff.store import CaseStore, CaseView
from handoff.store.cases import WAITING

log = logging.getLogger("handoff.desk")


class QueueIndex:
    def __init__(self, store: CaseStore, queue: CaseQueue) -> None:
        self.store, self.queue = store, queue

    def ensure(self) -> int:
        """After Redis lost its data (flush, restart without persistence) the queue is rebuilt
        from the open cases, so nothing waiting is lost. Returns how many cases were re-queued."""
        if self.queue.is_built():
            return -1
        return self.rebuild()

    def rebuild(self) -> int:
        return self.queue.rebuild(self._entries(self.store.queued_cases()))

    def _entries(self, cases: list[CaseView]) -> list[QueueEntry]:
        """Queue entries of the cases; a case whose team cannot name a queue is logged and left
        out, so one bad row never stops the queue from being rebuilt for everyone else."""
        entries = []
        for case in cases:
            entry = entry_of(case)
            try:
                self.queue.queue_key(entry.team, entry.language)  # raises ValueError for a bad name
            except ValueError as exc:
                log.error("case %s cannot be queued: %s", case.id, exc)
                continue
            entries.append(entry)
        return entries

    def reconcile(self) -> tuple[int, int]:
        """Brings the Redis queue back in line with the database (the truth): open waiting cases
        missing from Redis (a write that reached the database but not Redis) are queued again, and
        Redis entries of cases that are not waiting (claimed, closed, unknown) are removed.
        Returns (queued, removed).

        Redis is read before the database: every route writes the database first, so a case in
        this Redis snapshot that the later database read does not list as waiting really is not
        waiting. A case re-queued here is read again just before, so a claim in between is not
        undone; a race the re-read misses leaves a stale entry that claims skip and the next
        sweep removes."""
        rebuilt = self.ensure()
        if rebuilt >= 0:
            return rebuilt, 0
        in_redis = self.queue.members()
        waiting = {case.id: case for case in self.store.queued_cases()}
        queued = removed = 0
        for entry in self._entries(list(waiting.values())):
            if in_redis.get(entry.case_id) == self.queue.queue_key(entry.team, entry.language):
                continue
            fresh = self.store.get(entry.case_id)
            if fresh.queue_status in WAITING and fresh.state != CLOSED and fresh.assigned_agent_id is None:
                self.enqueue(fresh)
                queued += 1
        for case_id in in_redis.keys() - waiting.keys():
            removed += int(self.queue.discard(case_id))
        if queued or removed:
            log.warning("queue reconciled with the database: %d re-queued, %d removed", queued, removed)
        return queued, removed

    def enqueue(self, case: CaseView) -> None:
        """Queues the case and tells the consoles' live feed."""
        entry = entry_of(case)
        self.queue.enqueue(entry.case_id, entry.team, entry.language, entry.priority, entry.due, entry.enqueued_at)
        self.queue.publish("queued", {"case_id": case.id, "priority": case.priority, "severity": case.severity})


def entry_of(case: CaseView) -> QueueEntry:
    return QueueEntry(case.id, case.team, queue_language(case.language), case.priority,
                      case.first_response_due, case.created_at)
