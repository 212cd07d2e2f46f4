"""Where the inbox's messages come from: the archive's customer turns and the agents' cases.

Each source says why a message needs review (thresholds.REASONS):
- the NLU's doubts: an archived turn with low intent confidence, a small top-1/top-2 margin,
  or Rasa's fallback intent;
- asked_for_person: the customer's last message before they asked for a person;
- low_rating, label_changed: the last message before a case was opened, when the customer rated
  the case low or the agent's final category or severity differs from the bot's.

Reads only: SQL over the archive's and the case store's tables, newest first and bounded
(thresholds), in one read transaction. Texts are the archive's, masked like everything
trainers see; cases come with their labels and rating, never a customer's contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from handoff.archive.models import TurnRow
from handoff.models import CaseRow, RatingRow
from handoff.training import thresholds as th

CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class CaseInfo:
    """The case a message led to: the bot's labels, the agent's final ones, the customer's score."""

    id: str
    category: str
    severity: str
    final_category: Optional[str]
    final_severity: Optional[str]
    rating: Optional[int]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "severity": self.severity,
                "final_category": self.final_category, "final_severity": self.final_severity,
                "rating": self.rating}

    @property
    def relabelled(self) -> bool:
        return (self.final_category is not None and self.final_category != self.category) or \
            (self.final_severity is not None and self.final_severity != self.severity)


@dataclass(frozen=True)
class Occurrence:
    """One archived customer turn that needs review, with what the NLU made of it and why."""

    turn_id: int
    text: str
    at: datetime
    conversation_id: str
    language: Optional[str]
    model_id: Optional[str]
    intent: Optional[str]
    intent_confidence: Optional[float]
    intent_margin: Optional[float]
    emotion: Optional[str]
    emotion_confidence: Optional[float]
    severity: Optional[str]
    reasons: frozenset[str]
    case: Optional[CaseInfo]

    def prediction(self) -> dict[str, Any]:
        return {"intent": self.intent, "intent_confidence": self.intent_confidence,
                "intent_margin": self.intent_margin, "emotion": self.emotion,
                "emotion_confidence": self.emotion_confidence, "severity": self.severity}


def nlu_reasons(confidence: Optional[float], margin: Optional[float], intent: Optional[str]) -> set[str]:
    """Why the NLU's own answer needs a look (none of these: it was sure)."""
    reasons = set()
    if confidence is not None and confidence < th.LOW_CONFIDENCE:
        reasons.add("low_confidence")
    if margin is not None and margin < th.SMALL_MARGIN:
        reasons.add("small_margin")
    if intent == th.FALLBACK_INTENT:
        reasons.add("fallback")
    return reasons


def _not_evidence(turn: Any) -> Any:
    """A turn that says something about the customer's problem: not a request for a person, not small talk."""
    return sa.or_(turn.intent.is_(None), turn.intent.notin_([th.REQUEST_HUMAN, *th.SMALL_TALK]))


def _doubts(s: Session, since: datetime) -> dict[int, set[str]]:
    t = TurnRow
    query = (sa.select(t.id, t.intent_confidence, t.intent_margin, t.intent)
             .where(t.at >= since, sa.or_(t.intent_confidence < th.LOW_CONFIDENCE, t.intent_margin < th.SMALL_MARGIN,
                                          t.intent == th.FALLBACK_INTENT))
             .order_by(t.at.desc(), t.id.desc()).limit(th.MAX_CANDIDATES))
    return {row.id: nlu_reasons(row.intent_confidence, row.intent_margin, row.intent) for row in s.execute(query)}


def _before_requests(s: Session, since: datetime) -> set[int]:
    """The customer's last message before each request for a person (in the same conversation)."""
    request, earlier = aliased(TurnRow), aliased(TurnRow)
    previous = (sa.select(earlier.id)
                .where(earlier.conversation_id == request.conversation_id,
                       sa.or_(earlier.at < request.at, sa.and_(earlier.at == request.at, earlier.id < request.id)),
                       _not_evidence(earlier))
                .order_by(earlier.at.desc(), earlier.id.desc()).limit(1).correlate(request).scalar_subquery())
    query = (sa.select(previous.label("turn_id")).where(request.at >= since, request.intent == th.REQUEST_HUMAN)
             .order_by(request.at.desc()).limit(th.MAX_CANDIDATES))
    return {row.turn_id for row in s.execute(query) if row.turn_id is not None}


def _case_of(row: Any) -> CaseInfo:
    return CaseInfo(row.id, row.category, row.severity, row.final_category, row.final_severity, row.score,
                    row.created_at)


def _case_columns() -> tuple[Any, ...]:
    c = CaseRow
    return (c.id, c.conversation_id, c.category, c.severity, c.final_category, c.final_severity, c.created_at,
            RatingRow.score)


def _from_cases(s: Session, since: datetime) -> dict[int, tuple[set[str], CaseInfo]]:
    """The message that opened each low-rated or relabelled case, with the case."""
    c, turn = CaseRow, aliased(TurnRow)
    opening = (sa.select(turn.id)
               .where(turn.conversation_id == c.conversation_id, turn.at <= c.created_at, _not_evidence(turn))
               .order_by(turn.at.desc(), turn.id.desc()).limit(1).correlate(c).scalar_subquery())
    changed = sa.or_(sa.and_(c.final_category.isnot(None), c.final_category != c.category),
                     sa.and_(c.final_severity.isnot(None), c.final_severity != c.severity))
    query = (sa.select(*_case_columns(), opening.label("turn_id"))
             .outerjoin(RatingRow, RatingRow.case_id == c.id)
             .where(c.created_at >= since, sa.or_(RatingRow.score <= th.LOW_RATING, changed))
             .order_by(c.created_at.desc()).limit(th.MAX_CASES))
    found: dict[int, tuple[set[str], CaseInfo]] = {}
    for row in s.execute(query):
        if row.turn_id is None:
            continue
        case = _case_of(row)
        reasons = ({"low_rating"} if row.score is not None and row.score <= th.LOW_RATING else set()) | \
            ({"label_changed"} if case.relabelled else set())
        previous = found.get(row.turn_id)
        found[row.turn_id] = ((previous[0] if previous else set()) | reasons, case)
    return found


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _cases_by_conversation(s: Session, conversations: set[str]) -> dict[str, list[CaseInfo]]:
    found: dict[str, list[CaseInfo]] = {}
    for chunk in _chunks(sorted(conversations)):
        query = (sa.select(*_case_columns()).outerjoin(RatingRow, RatingRow.case_id == CaseRow.id)
                 .where(CaseRow.conversation_id.in_(chunk)).order_by(CaseRow.created_at))
        for row in s.execute(query):
            found.setdefault(row.conversation_id, []).append(_case_of(row))
    return found


def _case_after(cases: list[CaseInfo], at: datetime) -> Optional[CaseInfo]:
    """The first case of the conversation opened at or after the message (what it led to)."""
    return next((case for case in cases if case.created_at >= at), None)


def occurrences(s: Session, since: datetime) -> list[Occurrence]:
    """Every archived turn since `since` that needs review, newest first, with its reasons and case."""
    reasons: dict[int, set[str]] = _doubts(s, since)
    for turn_id in _before_requests(s, since):
        reasons.setdefault(turn_id, set()).add("asked_for_person")
    known_cases: dict[int, CaseInfo] = {}
    for turn_id, (why, opened) in _from_cases(s, since).items():
        reasons.setdefault(turn_id, set()).update(why)
        known_cases[turn_id] = opened
    rows: list[Any] = []
    for chunk in _chunks(reasons):
        rows.extend(s.execute(sa.select(TurnRow).where(TurnRow.id.in_(chunk))).scalars())
    cases = _cases_by_conversation(s, {row.conversation_id for row in rows if row.id not in known_cases})
    found = []
    for row in rows:
        if not (row.text or "").strip() or not reasons[row.id]:
            continue
        case = known_cases.get(row.id) or _case_after(cases.get(row.conversation_id, []), row.at)
        found.append(Occurrence(
            turn_id=row.id, text=row.text, at=row.at, conversation_id=row.conversation_id, language=row.language,
            model_id=row.model_id, intent=row.intent, intent_confidence=row.intent_confidence,
            intent_margin=row.intent_margin, emotion=row.emotion, emotion_confidence=row.emotion_confidence,
            severity=row.severity, reasons=frozenset(reasons[row.id]), case=case))
    found.sort(key=lambda o: (o.at, o.turn_id), reverse=True)
    return found
