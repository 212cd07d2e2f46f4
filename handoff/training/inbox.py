"""The trainers' inbox: the messages that need review, folded, sorted and grouped (docs/training.md).

From the sources' occurrences (handoff.training.sources):
1. every occurrence gets its text's key (handoff.training.texts); a key the training data already
   has, or that someone labelled or skipped, is folded out;
2. occurrences of one key fold into one item: `count` of them, the union of their reasons, the
   newest one's prediction and model, and the case an agent labelled if there is one;
3. items are filtered by reason and sorted (by uncertainty, newest first, or by reason);
4. similar items are grouped (handoff.training.similar), groups in the order of their first item,
   and the groups are paged.

Each item suggests a label: the agent's final category and severity when an agent gave them,
otherwise the bot's own prediction; the trainer accepts it with one key or corrects it. It is
computed afresh at every request, straight from the archive, so a message the bot just
misunderstood is in the inbox as soon as the archive has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Iterable, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from handoff.clock import Clock
from handoff.training import reviews
from handoff.training import thresholds as th
from handoff.training.labels import is_complaint
from handoff.training.similar import Similarity
from handoff.training.sources import CaseInfo, Occurrence, occurrences
from handoff.training.texts import TrainingTexts, text_key

SORTS = ("uncertainty", "newest", "reason")


@dataclass(frozen=True)
class Item:
    """One text to review: every occurrence of it folded together."""

    key: str
    text: str
    count: int
    reasons: tuple[str, ...]  # in thresholds.REASONS order
    newest: Occurrence
    case: Optional[CaseInfo]
    suggested: dict[str, Optional[str]]

    @property
    def certainty(self) -> float:
        """How sure the NLU was: its top-1/top-2 margin, else its confidence, else not at all."""
        o = self.newest
        return o.intent_margin if o.intent_margin is not None else (o.intent_confidence or 0.0)

    def to_dict(self) -> dict[str, Any]:
        o = self.newest
        return {"key": self.key, "text": self.text, "count": self.count, "reasons": list(self.reasons),
                "prediction": o.prediction(), "model_id": o.model_id, "language": o.language,
                "at": o.at.isoformat(), "conversation_id": o.conversation_id,
                "case": self.case.to_dict() if self.case else None, "suggested": dict(self.suggested)}


def suggestion(newest: Occurrence, case: Optional[CaseInfo]) -> dict[str, Optional[str]]:
    """The agent's final label where they gave one, else the prediction; a severity only with a
    complaint intent, and no intent where the NLU had none to offer (its fallback)."""
    intent = case.final_category if case and case.final_category else newest.intent
    severity = case.final_severity if case and case.final_severity else newest.severity
    if intent == th.FALLBACK_INTENT:
        intent = None
    if not intent or not is_complaint(intent) or severity == "none":
        severity = None
    return {"intent": intent, "emotion": newest.emotion, "severity": severity}


def fold(found: Iterable[Occurrence], skip: Callable[[str], bool]) -> list[Item]:
    """One item per key, newest occurrence first; keys for which `skip` is true are left out."""
    by_key: dict[str, list[Occurrence]] = {}
    for occurrence in found:
        key = text_key(occurrence.text)
        if not skip(key):
            by_key.setdefault(key, []).append(occurrence)
    items = []
    for key, group in by_key.items():
        group.sort(key=lambda o: (o.at, o.turn_id), reverse=True)
        reasons = set().union(*(o.reasons for o in group))
        labelled = [o.case for o in group if o.case and (o.case.final_category or o.case.final_severity)]
        cases = [o.case for o in group if o.case is not None]
        case = labelled[0] if labelled else (cases[0] if cases else None)
        items.append(Item(key, group[0].text, len(group), tuple(r for r in th.REASONS if r in reasons), group[0],
                          case, suggestion(group[0], labelled[0] if labelled else None)))
    return items


def _newest(item: Item) -> tuple[float, str]:
    return -item.newest.at.timestamp(), item.key  # the key breaks ties: the same order every time


def sort_key(sort: str) -> Callable[[Item], Any]:
    """uncertainty: least sure first; newest: latest first; reason: the strongest reason first
    (thresholds.REASONS), then more reasons, then less sure."""
    if sort == "newest":
        return _newest
    if sort == "uncertainty":
        return lambda i: (i.certainty, _newest(i))
    return lambda i: (th.REASONS.index(i.reasons[0]) if i.reasons else len(th.REASONS), -len(i.reasons),
                      i.certainty, _newest(i))


class Inbox:
    """The inbox over one database (the case store's: the archive shares it) and the training data."""

    def __init__(self, engine: sa.engine.Engine, clock: Clock, training: TrainingTexts,
                 similarity: Optional[Similarity] = None) -> None:
        self.engine, self.clock, self.training = engine, clock, training
        self.similarity = similarity or Similarity()

    def items(self) -> list[Item]:
        """Every undecided item, newest first."""
        since = self.clock.now() - timedelta(days=th.WINDOW_DAYS)
        with Session(self.engine, future=True) as s:
            found = occurrences(s, since)
        known = self.training.known().keys
        candidates = {text_key(o.text) for o in found} - known
        done = reviews.decided(self.engine, candidates)
        return fold(found, lambda key: key in known or key in done)

    def page(self, reasons: Sequence[str] = (), sort: str = "uncertainty", limit: int = th.PAGE_DEFAULT,
             offset: int = 0) -> dict[str, Any]:
        """The inbox as GET /training/inbox answers it: groups of items, paged by group."""
        items = [i for i in self.items() if not reasons or set(i.reasons) & set(reasons)]
        items.sort(key=sort_key(sort))
        leader_of = self.similarity.groups([i.text for i in items], self.training.known().texts)
        grouped: dict[int, list[Item]] = {}
        for index, leader in enumerate(leader_of):
            grouped.setdefault(leader, []).append(items[index])
        groups = [grouped[leader] for leader in sorted(grouped)]
        return {
            "total": len(groups), "items_total": len(items), "limit": limit, "offset": offset,
            "groups": [{"group": f"g-{members[0].key[:12]}", "size": len(members),
                        "items": [m.to_dict() for m in members]} for members in groups[offset:offset + limit]],
            "thresholds": {"low_confidence": th.LOW_CONFIDENCE, "small_margin": th.SMALL_MARGIN,
                           "low_rating": th.LOW_RATING, "similarity": th.SIMILARITY, "window_days": th.WINDOW_DAYS},
        }

    def waiting(self, keys: Iterable[str]) -> dict[str, Item]:
        """The items among these keys that are in the inbox now (undecided, not in the data)."""
        wanted = set(keys)
        return {i.key: i for i in self.items() if i.key in wanted}
