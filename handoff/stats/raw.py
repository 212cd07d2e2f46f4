"""The cases (and the bot's conversations) of a span of time, read as they are: for the days the
rollup has not summed yet (today, a day that changed since) and for rolling a day up.

One read per span: the cases created in it with their rating and their customer's previous case
(a window from 7 days before, for repeat contact), turned into `Outcome`s in Python. A day has a
few thousand cases, so this is a few tens of milliseconds; the page reads a year of them only
when the rollup cannot serve it (another time zone than the shop's, or before the first roll).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import numpy as np
import sqlalchemy as sa

from handoff.archive.models import BotEventRow, ConversationRow, TurnRow
from handoff.models import RatingRow
from handoff.stats.cells import Key
from handoff.stats.sql import CASES, in_range

REPEAT_WINDOW_DAYS = 7
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTION = "action_fallback"


@dataclass(frozen=True)
class Outcome:
    """One case as the statistics see it. `fr_met`/`res_met`: True met, False missed, None not
    decided yet (or, for the first response, not a handoff)."""

    key: Key
    created: datetime
    handoff: bool
    first_response_s: Optional[float]
    resolution_s: Optional[float]
    fr_met: Optional[bool]
    res_met: Optional[bool]
    eligible: bool
    repeat: bool
    score: Optional[int]
    pending: tuple[tuple[int, datetime], ...]  # (0 first response | 1 resolution, due) still ahead of `now`


def _decide(done: Optional[datetime], due: datetime, now: datetime) -> tuple[Optional[bool], Optional[datetime]]:
    if done is not None:
        return done <= due, None
    if due <= now:
        return False, None
    return None, due


def _instant(value: Any) -> Optional[datetime]:
    """A timestamp as read by `outcomes`: SQLite's stored UTC text parsed by fromisoformat (C,
    ten times faster than SQLAlchemy's regex for the thousands of rows of a day), PostgreSQL's
    aware datetime as it comes."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(value + "+00:00")


def outcomes(connection: sa.engine.Connection, since: datetime, until: datetime, now: datetime) -> list[Outcome]:
    """The cases created in [since, until), as of `now` (the SLA clock's present). The customer's
    previous case is one probe of ix_handoff_cases_customer_created_at per case: a day's cases
    cost a few thousand probes, where a window over the 7 days before cost a sort of eight days."""
    c, ratings = CASES.c, RatingRow.__table__
    earlier = CASES.alias("earlier")
    previous = (sa.select(sa.func.max(earlier.c.created_at)).where(earlier.c.customer_id == c.customer_id,
                                                                    earlier.c.created_at < c.created_at)
                .scalar_subquery())
    text = connection.dialect.name == "sqlite"

    def stamp(column: Any) -> Any:
        return sa.type_coerce(column, sa.String) if text else column

    stamps = [c.created_at, c.first_response_at, c.resolved_at, c.closed_at, c.first_response_due,
              c.resolution_due]
    query = (sa.select(c.category, c.severity, c.channel, c.language, c.team, c.handoff, ratings.c.score,
                       stamp(previous), *(stamp(s) for s in stamps))
             .select_from(CASES.outerjoin(ratings, ratings.c.case_id == c.id))
             .where(*in_range(c.created_at, since, until)))
    window = timedelta(days=REPEAT_WINDOW_DAYS)
    out: list[Outcome] = []
    for row in connection.execute(query).all():
        created, first, resolved, closed, first_due, resolution_due = (_instant(v) for v in row[8:])
        assert created is not None and first_due is not None and resolution_due is not None
        before = _instant(row[7])
        handoff = bool(row[5])
        done = resolved or closed
        fr_met, fr_due = _decide(first, first_due, now) if handoff else (None, None)
        res_met, res_due = _decide(done, resolution_due, now)
        pending = tuple((kind, due) for kind, due in enumerate((fr_due, res_due)) if due is not None)
        out.append(Outcome(
            key=(str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4])), created=created, handoff=handoff,
            first_response_s=(first - created).total_seconds() if handoff and first is not None else None,
            resolution_s=(done - created).total_seconds() if done is not None else None,
            fr_met=fr_met, res_met=res_met, eligible=done is not None,
            repeat=before is not None and before >= created - window,
            score=int(row[6]) if row[6] is not None else None, pending=pending))
    return out


def counts_of(outcome: Outcome) -> list[int]:
    """The rollup's count columns (handoff/stats/models.py COUNT_COLUMNS) of one case."""
    o = outcome
    return [1, int(o.handoff), int(o.fr_met is True), int(o.fr_met is False), int(o.res_met is True),
            int(o.res_met is False), int(o.eligible), int(o.repeat), int(o.first_response_s is not None),
            int(o.resolution_s is not None)] + [int(o.score == s) for s in (1, 2, 3, 4, 5)]


def bot(connection: sa.engine.Connection, since: datetime, until: datetime) -> dict[tuple[str, str], np.ndarray]:
    """(channel, language) → [conversations begun, of them without a case, customer turns,
    fallback turns] in [since, until). A turn is a fallback when the NLU gave nlu_fallback or the
    bot ran action_fallback, counted per conversation as the larger of the two so the rule
    nlu_fallback → action_fallback is not counted twice."""
    conversations, turns, events = ConversationRow.__table__, TurnRow.__table__, BotEventRow.__table__
    cv = conversations.c
    out: dict[tuple[str, str], np.ndarray] = {}

    def add(key: tuple[Any, Any], i: int, n: Any) -> None:
        out.setdefault((str(key[0]), str(key[1])), np.zeros(4, dtype=np.int64))[i] += int(n or 0)

    has_case = sa.exists().where(CASES.c.conversation_id == cv.id)
    for channel, language, started, contained in connection.execute(
            sa.select(cv.channel, cv.language, sa.func.count(), sa.func.sum(sa.case((~has_case, 1), else_=0)))
            .where(*in_range(cv.first_seen, since, until)).group_by(cv.channel, cv.language)):
        add((channel, language), 0, started)
        add((channel, language), 1, contained)
    joined = turns.join(conversations, cv.id == turns.c.conversation_id)
    for channel, language, n in connection.execute(
            sa.select(cv.channel, cv.language, sa.func.count()).select_from(joined)
            .where(*in_range(turns.c.at, since, until)).group_by(cv.channel, cv.language)):
        add((channel, language), 2, n)
    nlu = (sa.select(turns.c.conversation_id.label("cid"), sa.literal(1).label("t"), sa.literal(0).label("a"))
           .where(*in_range(turns.c.at, since, until), turns.c.intent == FALLBACK_INTENT))
    actions = (sa.select(events.c.conversation_id.label("cid"), sa.literal(0).label("t"), sa.literal(1).label("a"))
               .where(*in_range(events.c.at, since, until), events.c.kind == "action",
                      events.c.action == FALLBACK_ACTION))
    both = sa.union_all(nlu, actions).subquery()
    per = (sa.select(both.c.cid, sa.func.sum(both.c.t).label("t"), sa.func.sum(both.c.a).label("a"))
           .group_by(both.c.cid).subquery())
    larger = sa.case((per.c.t > per.c.a, per.c.t), else_=per.c.a)
    for channel, language, n in connection.execute(
            sa.select(cv.channel, cv.language, sa.func.sum(larger))
            .select_from(per.join(conversations, cv.id == per.c.cid)).group_by(cv.channel, cv.language)):
        add((channel, language), 3, n)
    return out
