"""The case repository: cases, their messages, state transitions and ratings."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.vocabulary import (
    CATEGORIES,
    CLOSED,
    FOLLOW_UP,
    FOLLOWED_UP,
    RECEIVED,
    REOPENED,
    SEVERITIES,
    normalise_case_id,
)
from handoff import lifecycle
from handoff.clock import as_utc
from handoff.models import CaseRow, FollowUpRow, MessageRow, RatingRow, TransitionRow
from handoff.store.db import StoreBase, choice
from handoff.store.errors import CaseClosed, CaseNotFound, ClaimConflict, RatingRefused, StaleCase, StoreError
from handoff.store.views import CaseView, MessageView, RatingView, TransitionView

QUEUE_STATUSES = ("none", "queued", "claimed", "callback", "returned")
WAITING = ("queued", "callback")  # waiting for a person: may be claimed, belongs in the queue
MESSAGE_ROLES = ("customer", "bot", "agent", "note", "system")
UPDATABLE = frozenset({
    "severity", "emotion", "reasons", "priority", "summary", "package", "queue_status", "handoff", "team",
    "callback_contact", "category",
})
ID_ATTEMPTS = 30
COMMENT_MAX = 2000  # characters of a rating comment kept
# Fields computed from a case as it is about to be written (the handoff package needs its id).
Derive = Callable[[CaseView], Mapping[str, Any]]
# pg_advisory_xact_lock key: serialises case numbering across processes.
CASE_ID_LOCK = 0x68616E64_0002


def _set_derived(row: Any, values: Mapping[str, Any]) -> None:
    unknown = set(values) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot derive {', '.join(sorted(unknown))}; updatable: {', '.join(sorted(UPDATABLE))}")
    for name, value in values.items():
        setattr(row, name, value)


# What an agent's final label may say (docs/handoff.md, "Final labels"): core's own vocabularies.
FINAL_LABELS: Mapping[str, tuple[str, ...]] = {"final_category": CATEGORIES, "final_severity": SEVERITIES}


def final_label(name: str, value: Any) -> Optional[str]:
    """An agent's final category or severity as stored: None when they did not say (absent or
    null), else a known value; ValueError names the allowed ones, so a typo is not kept as a label
    the training inbox would then compare with the bot's."""
    if value is None:
        return None
    allowed = FINAL_LABELS[name]
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"`{name}` must be one of {', '.join(allowed)}, not {value!r:.80}")
    return value


def printable(text: str) -> str:
    """A customer's text as stored: control characters (NUL, which PostgreSQL refuses, escapes)
    out; line breaks and tabs stay."""
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")


def clean_comment(comment: Optional[str]) -> Optional[str]:
    """A customer's free text as stored: control characters out, trimmed, capped; None when
    nothing is left."""
    text = printable(comment or "").strip()
    return text[:COMMENT_MAX] or None


class CaseRepository(StoreBase):
    def create_case(
        self, *, conversation_id: str, channel: str, customer_id: str, language: str, category: str,
        severity: str, emotion: Optional[str], reasons: list[str], priority: int, handoff: bool,
        queue_status: str, summary: str = "", package: Optional[dict[str, Any]] = None, team: str = "general",
        actor: str = "bot", note: str = "", derive: Optional[Derive] = None,
    ) -> CaseView:
        """`derive`: fields computed from the new case (its id, its deadlines), written with it."""
        choice("queue_status", queue_status, QUEUE_STATUSES)
        now = self.clock.now()
        first_due, resolution_due = self.sla.deadlines(severity, now)
        prefix = f"C-{now:%Y%m%d}-"
        for attempt in range(ID_ATTEMPTS):
            try:
                with self._session.begin() as s:
                    if self._pg:
                        s.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": CASE_ID_LOCK})
                    row = CaseRow(
                        id=f"{prefix}{self._last_number(s, prefix) + 1:04d}", conversation_id=conversation_id,
                        channel=channel, customer_id=customer_id, language=language, category=category,
                        severity=severity, emotion=emotion, reasons=list(reasons), priority=priority,
                        state=RECEIVED, team=team, handoff=handoff, queue_status=queue_status, summary=summary,
                        package=package, breaches=0, created_at=now, updated_at=now,
                        first_response_due=first_due, resolution_due=resolution_due,
                    )
                    if derive is not None:
                        _set_derived(row, derive(CaseView.of(row, reasons=tuple(reasons), assigned_agent=None)))
                    s.add(row)
                    s.flush()
                    s.add(TransitionRow(case_id=row.id, from_state=None, to_state=RECEIVED, actor=actor, at=now,
                                        note=note))
                    return self._view(s, row)
            except IntegrityError:  # another process took this number first
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise StoreError(f"could not number a new case {prefix}… after {ID_ATTEMPTS} attempts")

    @staticmethod
    def _last_number(s: Session, prefix: str) -> int:
        # Longest first: C-…-10000 sorts before C-…-9999 as text.
        last = s.execute(
            sa.select(CaseRow.id).where(CaseRow.id.like(f"{prefix}%"))
            .order_by(sa.func.length(CaseRow.id).desc(), CaseRow.id.desc()).limit(1)
        ).scalar()
        return int(last.rsplit("-", 1)[1]) if last else 0

    def get(self, case_id: str) -> CaseView:
        return self._read(lambda s: self._view(s, self._row(s, case_id)))

    def open_case_for(self, conversation_id: str) -> Optional[CaseView]:
        def work(s: Session) -> Optional[CaseView]:
            row = s.execute(
                sa.select(CaseRow).where(CaseRow.conversation_id == conversation_id, CaseRow.state != CLOSED)
                .order_by(CaseRow.created_at.desc(), CaseRow.id.desc()).limit(1)
            ).scalar()
            return self._view(s, row) if row is not None else None

        return self._read(work)

    def cases_of_customer(self, customer_id: str, exclude: Optional[str] = None, limit: int = 10) -> list[CaseView]:
        def work(s: Session) -> list[CaseView]:
            query = sa.select(CaseRow).where(CaseRow.customer_id == customer_id)
            if exclude:
                query = query.where(CaseRow.id != normalise_case_id(exclude))
            rows = s.execute(query.order_by(CaseRow.created_at.desc(), CaseRow.id.desc()).limit(limit)).scalars()
            return [self._view(s, row) for row in rows]

        return self._read(work)

    def cases(self, assigned_to: Optional[int] = None, state: Optional[str] = None, limit: int = 200) -> list[CaseView]:
        """Newest first, for the console's case lists (mine, or all for a supervisor)."""
        def work(s: Session) -> list[CaseView]:
            query = sa.select(CaseRow)
            if assigned_to is not None:
                query = query.where(CaseRow.assigned_agent_id == assigned_to)
            if state:
                query = query.where(CaseRow.state == state)
            rows = s.execute(query.order_by(CaseRow.created_at.desc(), CaseRow.id.desc()).limit(limit)).scalars()
            return [self._view(s, row) for row in rows]

        return self._read(work)

    def update(self, case_id: str, *, expected_version: Optional[int] = None, derive: Optional[Derive] = None,
               **fields: Any) -> CaseView:
        """Changes case fields; a new severity or a first request for a person moves the SLA deadlines.
        `derive`: fields computed from the case as changed (e.g. its new deadlines), written with it."""
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {', '.join(sorted(unknown))}; updatable: {', '.join(sorted(UPDATABLE))}")
        if "severity" in fields:
            choice("severity", fields["severity"], SEVERITIES)
        if "queue_status" in fields:
            choice("queue_status", fields["queue_status"], QUEUE_STATUSES)

        def work(s: Session) -> CaseView:
            row = self._row(s, case_id)
            if expected_version is not None and row.version != expected_version:
                raise StaleCase(f"case {row.id} is at version {row.version}, not {expected_version}")
            self._move_deadlines(row, fields.get("severity", row.severity), bool(fields.get("handoff")))
            for name, value in fields.items():
                setattr(row, name, list(value) if name == "reasons" else value)
            self._touch(row)
            if derive is not None:
                with s.no_autoflush:  # one UPDATE with the derived fields, not two
                    _set_derived(row, derive(self._view(s, row)))
            s.flush()
            return self._view(s, row)

        return self._write(work)

    def _move_deadlines(self, row: Any, severity: str, handoff: bool) -> None:
        """An escalation counts its (shorter) targets from now and never loosens a deadline; the
        first-response clock starts when a person is first asked for."""
        now = self.clock.now()
        first, resolution = self.sla.deadlines(severity, now)
        if handoff and not row.handoff:
            row.first_response_due = first
        elif severity != row.severity:
            row.first_response_due = min(row.first_response_due, first)
        if severity != row.severity:
            row.resolution_due = min(row.resolution_due, resolution)

    def transition(self, case_id: str, to_state: str, actor: str, note: str = "") -> CaseView:
        def work(s: Session) -> CaseView:
            row = self._row(s, case_id)
            self._move(s, row, to_state, actor, note)
            s.flush()
            return self._view(s, row)

        return self._write(work)

    def claim(self, case_id: str, agent_id: int) -> CaseView:
        """First come, first served: one conditional UPDATE, so two agents can never both win."""
        cid = normalise_case_id(case_id)

        def work(s: Session) -> CaseView:
            agent = self._agent_row(s, agent_id)
            claimed = s.execute(
                sa.update(CaseRow)
                .where(CaseRow.id == cid, CaseRow.assigned_agent_id.is_(None), CaseRow.queue_status.in_(WAITING),
                       CaseRow.state != CLOSED)
                .values(assigned_agent_id=agent.id, queue_status="claimed", updated_at=self.clock.now(),
                        version=CaseRow.version + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            row = s.get(CaseRow, cid, populate_existing=True)
            if row is None:
                raise CaseNotFound(f"no case {cid}")
            if claimed != 1:
                if row.assigned_agent_id == agent.id:
                    return self._view(s, row)  # a double click
                raise ClaimConflict(self._why_not_claimable(s, row))
            self._system_message(s, cid, f"agent:{agent.name}", f"claimed by {agent.name}")
            return self._view(s, row)

        return self._write(work)

    def _why_not_claimable(self, s: Session, row: Any) -> str:
        if row.assigned_agent_id is not None:
            return f"case {row.id} is already claimed by {self._agent_row(s, row.assigned_agent_id).name}"
        if row.state == CLOSED:
            return f"case {row.id} is closed"
        return f"case {row.id} is not waiting in the queue (queue status {row.queue_status})"

    def assign(
        self, case_id: str, agent_id: Optional[int], team: Optional[str] = None, actor: str = "system",
        note: str = "",
    ) -> CaseView:
        """Transfer to an agent, or (agent_id None) back to a team's queue."""

        def work(s: Session) -> CaseView:
            row = self._row(s, case_id)
            if row.state == CLOSED:
                raise CaseClosed(f"case {row.id} is closed; reopen it before assigning it")
            if team:
                row.team = team
            if agent_id is not None:
                agent = self._agent_row(s, agent_id)
                row.assigned_agent_id, row.queue_status = agent.id, "claimed"
                text = f"assigned to {agent.name} by {actor}"
            else:
                row.assigned_agent_id, row.queue_status = None, "queued"
                text = f"returned to the {row.team} queue by {actor}"
            self._system_message(s, row.id, actor, f"{text}: {note}" if note else text)
            self._touch(row)
            s.flush()
            return self._view(s, row)

        return self._write(work)

    def add_message(
        self, case_id: str, role: str, text: str, *, author: Optional[str] = None, intent: Optional[str] = None,
        emotion: Optional[str] = None, confidence: Optional[float] = None, event_key: Optional[str] = None,
        at: Optional[datetime] = None,
    ) -> Optional[MessageView]:
        """None when `event_key` was stored before: a channel delivered the same message twice."""
        choice("role", role, MESSAGE_ROLES)

        def work(s: Session) -> Optional[MessageView]:
            row = self._row(s, case_id)
            if event_key is not None and self._has_event(s, event_key):
                return None
            when = as_utc(at) if at is not None else self.clock.now()
            message = MessageRow(case_id=row.id, role=role, author=author, text=text, intent=intent,
                                 emotion=emotion, confidence=confidence, at=when, event_key=event_key)
            s.add(message)
            s.flush()  # a concurrent duplicate fails here, before the case is touched
            if role == "agent" and row.first_response_at is None:
                row.first_response_at = when
                self._touch(row)
            return MessageView.of(message)

        try:
            return self._write(work)
        except IntegrityError:
            if event_key is not None and self._read(lambda s: self._has_event(s, event_key)):
                return None
            raise

    @staticmethod
    def _has_event(s: Session, event_key: str) -> bool:
        return s.execute(sa.select(MessageRow.id).where(MessageRow.event_key == event_key)).first() is not None

    def messages(self, case_id: str) -> list[MessageView]:
        def work(s: Session) -> list[MessageView]:
            cid = self._row(s, case_id).id
            rows = s.execute(sa.select(MessageRow).where(MessageRow.case_id == cid)
                             .order_by(MessageRow.at, MessageRow.id)).scalars()
            return [MessageView.of(r) for r in rows]

        return self._read(work)

    def transitions(self, case_id: str) -> list[TransitionView]:
        def work(s: Session) -> list[TransitionView]:
            cid = self._row(s, case_id).id
            rows = s.execute(sa.select(TransitionRow).where(TransitionRow.case_id == cid)
                             .order_by(TransitionRow.at, TransitionRow.id)).scalars()
            return [TransitionView.of(r) for r in rows]

        return self._read(work)

    def resolve(
        self, case_id: str, actor: str, note: str = "", follow_up_after: timedelta = timedelta(hours=24),
        to_state: str = FOLLOW_UP, *, final_category: Optional[str] = None, final_severity: Optional[str] = None,
        labelled_by: Optional[str] = None,
    ) -> CaseView:
        """People are done with the case: it moves to `to_state` (follow_up, or closed at once) and
        the bot takes the customer back (queue status `returned`). A case
        resolved into follow_up that is important or severe gets a 回访 task.

        `final_category`/`final_severity`: the agent's own labels, kept next to the bot's (which
        stay as they were: the statistics describe what the bot decided) with `labelled_by`. One
        not given keeps what the case had (NULL, or an earlier resolve's label)."""
        choice("to_state", to_state, (FOLLOW_UP, CLOSED))
        labels = {name: final_label(name, value) for name, value in
                  (("final_category", final_category), ("final_severity", final_severity)) if value is not None}
        if labels and not labelled_by:
            raise ValueError("a final label needs `labelled_by`, the agent who set it")

        def work(s: Session) -> CaseView:
            row = self._row(s, case_id)
            if row.state == CLOSED:
                raise CaseClosed(f"case {row.id} is already closed")
            if row.state != to_state:
                self._move(s, row, to_state, actor, note)
            now = self._touch(row)
            row.resolved_at = row.resolved_at or now
            row.queue_status = "returned"
            if labels:
                for name, value in labels.items():
                    setattr(row, name, value)
                row.labelled_by = labelled_by
            if (to_state == FOLLOW_UP and row.severity in FOLLOWED_UP
                    and not self._open_follow_up(s, row.id)):
                s.add(FollowUpRow(case_id=row.id, due_at=now + follow_up_after, created_at=now,
                                  note=note or f"follow up with the customer ({row.severity} {row.category})"))
            s.flush()
            return self._view(s, row)

        return self._write(work)

    @staticmethod
    def _open_follow_up(s: Session, cid: str) -> bool:
        query = sa.select(FollowUpRow.id).where(FollowUpRow.case_id == cid, FollowUpRow.done_at.is_(None))
        return s.execute(query).first() is not None

    def rate(self, case_id: str, score: int, comment: Optional[str] = None, *, once: bool = False) -> RatingView:
        """One rating per case (a second one replaces it, unless `once`); rating closes the case.
        `once`: only a resolved case without a rating may be rated (RatingRefused otherwise), checked
        in the same transaction as the write, so neither a forged nor a concurrent rating slips by."""
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValueError(f"a rating is a whole number from 1 to 5, not {score!r}")
        text = clean_comment(comment)

        def work(s: Session) -> RatingView:
            row = self._row(s, case_id)
            rating = s.execute(sa.select(RatingRow).where(RatingRow.case_id == row.id)).scalar()
            if once and row.resolved_at is None:
                raise RatingRefused(f"case {row.id} was not resolved; there is nothing to rate yet")
            if once and rating is not None:
                raise RatingRefused(f"case {row.id} was rated already")
            if rating is None:
                rating = RatingRow(case_id=row.id)
                s.add(rating)
            rating.score, rating.comment, rating.at = score, text, self.clock.now()
            if row.state != CLOSED:
                self._move(s, row, CLOSED, "customer", f"rated {score}/5")
            s.flush()
            return RatingView.of(rating)

        return self._write(work, retry=(StaleDataError, IntegrityError))

    def add_rating_comment(self, case_id: str, comment: str) -> RatingView:
        """The customer's comment, after the score was stored; RatingRefused without a rating or
        when it has a comment already. An empty comment changes nothing."""
        text = clean_comment(comment)

        def work(s: Session) -> RatingView:
            row = self._row(s, case_id)
            rating = s.execute(sa.select(RatingRow).where(RatingRow.case_id == row.id)).scalar()
            if rating is None:
                raise RatingRefused(f"case {row.id} has no rating to comment on")
            if text is not None:
                if rating.comment is not None:
                    raise RatingRefused(f"the rating of case {row.id} has a comment already")
                rating.comment = text
                s.flush()
            return RatingView.of(rating)

        return self._write(work)

    def rating(self, case_id: str) -> Optional[RatingView]:
        def work(s: Session) -> Optional[RatingView]:
            cid = self._row(s, case_id).id
            row = s.execute(sa.select(RatingRow).where(RatingRow.case_id == cid)).scalar()
            return RatingView.of(row) if row is not None else None

        return self._read(work)

    def queued_cases(self) -> list[CaseView]:
        """Open cases waiting for a person (queued or awaiting a callback): rebuilds the Redis queue."""

        def work(s: Session) -> list[CaseView]:
            rows = s.execute(
                sa.select(CaseRow).where(CaseRow.queue_status.in_(WAITING), CaseRow.state != CLOSED)
                .order_by(CaseRow.priority.desc(), CaseRow.first_response_due, CaseRow.id)
            ).scalars()
            return [self._view(s, row) for row in rows]

        return self._read(work)

    def _move(self, s: Session, row: Any, to_state: str, actor: str, note: str) -> None:
        lifecycle.check(row.state, to_state)
        now = self._touch(row)
        s.add(TransitionRow(case_id=row.id, from_state=row.state, to_state=to_state, actor=actor, at=now, note=note))
        row.state = to_state
        if to_state == CLOSED:
            row.closed_at = now
        elif to_state == REOPENED:
            row.closed_at = None
            row.resolved_at = None

    def _system_message(self, s: Session, case_id: str, author: str, text: str) -> None:
        s.add(MessageRow(case_id=case_id, role="system", author=author, text=text, at=self.clock.now()))
