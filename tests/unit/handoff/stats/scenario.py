"""A known week of cases, ratings, breaches and bot conversations, written straight into the
store's tables, with the figures a supervisor must get for it. The same scenario runs on SQLite
(tests/unit/handoff/stats) and on PostgreSQL (tests/integration/test_stats_postgres.py).

The shop's zone is Asia/Shanghai (UTC+8); the range 2026-11-26..2026-12-02 starts at
2026-11-25 16:00 UTC, so case C7 (16:10 UTC on the 25th) is the 26th's and C8 (15:50) is not.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

import sqlalchemy as sa

from handoff.archive.models import BotEventRow, ConversationRow, TurnRow
from handoff.models import CaseRow, RatingRow, SlaEventRow
from handoff.stats import StatsFilters

TZ = "Asia/Shanghai"
TODAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 3, 4, 0, tzinfo=timezone.utc)
WEEK = {"from": "2026-11-26", "to": "2026-12-02"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


def filters(**args: str) -> StatsFilters:
    return StatsFilters.parse({**WEEK, **args}, TZ, TODAY)


def case(case_id: str, created: datetime, *, category: str = "complain_refund", severity: str = "general",
         channel: str = "rest", language: str = "zh-Hans", team: str = "general", handoff: bool = True,
         customer: str = "cust", conversation: Optional[str] = None, first: Optional[float] = None,
         resolved: Optional[float] = None, closed: Optional[float] = None, first_due: float = 120,
         resolution_due: float = 7200, state: str = "received") -> dict[str, Any]:
    """A handoff_cases row; durations in seconds after `created`."""
    def after(seconds: Optional[float]) -> Optional[datetime]:
        return None if seconds is None else created + timedelta(seconds=seconds)

    return dict(id=case_id, conversation_id=conversation or f"rest:{case_id}", channel=channel, customer_id=customer,
                language=language, category=category, severity=severity, emotion=None, reasons=[], priority=50,
                state=state, team=team, handoff=handoff, queue_status="none", summary="摘要 13812345678",
                package={"secret": True}, callback_contact="13812345678", breaches=0, created_at=created,
                updated_at=created, first_response_due=after(first_due), resolution_due=after(resolution_due),
                first_response_at=after(first), resolved_at=after(resolved), closed_at=after(closed), version=1)


CASES = [
    case("C1", utc(2026, 11, 26, 5, 0), severity="severe", team="billing", customer="cust-a",
         conversation="rest:conv-1", first=60, resolved=3600, state="follow_up"),
    case("C2", utc(2026, 11, 26, 5, 30), severity="important", channel="socketio", language="en", customer="cust-a",
         first=300, resolved=86400, state="closed", closed=86400),
    case("C3", utc(2026, 11, 27, 16, 30), category="complain_delivery", channel="telegram", customer="cust-b",
         resolution_due=86400),
    case("C4", utc(2026, 12, 1, 23, 0), category="order_status", severity="none", language="en", handoff=False,
         customer="cust-c", closed=10, state="closed"),
    case("C5", utc(2026, 12, 2, 16, 30), customer="cust-e"),  # 00:30 on 12-03 in Shanghai: after the range
    case("C6", utc(2026, 11, 20, 2, 0), severity="severe", customer="cust-f", first=120, resolved=7200),
    case("C7", utc(2026, 11, 25, 16, 10), customer="cust-g", handoff=False, resolution_due=30 * 86400),
    case("C8", utc(2026, 11, 25, 15, 50), category="complain_delivery", customer="cust-d"),  # 23:50 on the 25th
]
RATINGS = [("C1", 5, utc(2026, 11, 26, 6, 5)), ("C2", 2, utc(2026, 11, 27, 6, 0))]
BREACHES = [("C2", "first_response", utc(2026, 11, 26, 5, 32)), ("C3", "first_response", utc(2026, 11, 27, 16, 35)),
            ("C3", "resolution", utc(2026, 11, 28, 16, 30))]
# conversation id → (first seen, channel, language, turn intents, bot actions)
CONVERSATIONS = {
    "rest:conv-1": (utc(2026, 11, 26, 4, 58), "rest", "zh-Hans", ["complain_refund", "complain_refund"], []),
    "rest:conv-x": (utc(2026, 11, 27, 1, 0), "rest", "zh-Hans", ["greet", "nlu_fallback", "order_status"],
                    ["action_fallback", "utter_greet"]),
    "socketio:conv-y": (utc(2026, 11, 28, 1, 0), "socketio", "en", ["ask_hours"], ["action_fallback"]),
}


def write(engine: sa.engine.Engine) -> None:
    """Writes the scenario into a migrated, empty store."""
    with engine.begin() as connection:
        connection.execute(sa.insert(CaseRow.__table__), CASES)
        connection.execute(sa.insert(RatingRow.__table__), [
            dict(case_id=cid, score=score, comment="好", at=at) for cid, score, at in RATINGS])
        connection.execute(sa.insert(SlaEventRow.__table__), [
            dict(case_id=cid, kind=kind, due_at=at, breached_at=at, priority_before=50, priority_after=60)
            for cid, kind, at in BREACHES])
        for cid, (seen, channel, language, intents, actions) in CONVERSATIONS.items():
            connection.execute(sa.insert(ConversationRow.__table__).values(
                id=cid, channel=channel, customer_id=cid, language=language, first_seen=seen, last_seen=seen,
                user_turns=len(intents), bot_messages=0, actions=len(actions)))
            for i, intent in enumerate(intents):
                connection.execute(sa.insert(TurnRow.__table__).values(
                    event_key=f"{cid}-t{i}", conversation_id=cid, at=seen + timedelta(seconds=i), text="…",
                    intent=intent, channel=channel, language=language, severity_reasons=[]))
            for i, action in enumerate(actions):
                connection.execute(sa.insert(BotEventRow.__table__).values(
                    event_key=f"{cid}-a{i}", conversation_id=cid, at=seen + timedelta(seconds=i), kind="action",
                    action=action))


def assert_week(page: dict[str, Any]) -> None:
    """The figures of the scenario's week, as a supervisor reads them."""
    assert page["range"] == {"from": "2026-11-26", "to": "2026-12-02", "tz": TZ,
                             "previous": {"from": "2026-11-19", "to": "2026-11-25"}}
    kpis = page["kpis"]
    assert kpis["cases"] == {"current": 5, "previous": 2, "change": 1.5}
    assert kpis["handoffs"]["current"] == 3 and kpis["breaches"]["current"] == 3
    assert page["volume"]["by_day"][0] == {"day": "2026-11-26", "count": 3}  # C7 is the 26th's in Shanghai
    assert [d["count"] for d in page["volume"]["by_day"]] == [3, 0, 1, 0, 0, 0, 1]
    assert page["volume"]["by_hour"][1] == {"hour": "2026-11-26T13:00:00+08:00", "count": 2}
    assert page["volume"]["by"]["category"][0] == {"key": "complain_refund", "count": 3, "previous": 1}
    assert {"category": "complain_delivery", "severity": "general", "count": 1} in page["volume"]["category_severity"]
    times = page["times"]
    assert times["first_response"] == {"p50_s": 180.0, "p90_s": 276.0, "n": 2}
    assert times["resolution"] == {"p50_s": 3600.0, "p90_s": 69840.0, "n": 3}
    assert times["sla"]["first_response"] == {"met": 1, "missed": 2, "rate": 0.3333}
    assert times["sla"]["resolution"] == {"met": 2, "missed": 2, "rate": 0.5}
    assert times["breaches"] == {"total": 3, "first_response": 2, "resolution": 1}
    assert page["csat"] == {"distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}, "average": 3.5,
                            "responses": 2, "eligible": 3, "response_rate": 0.6667}
    assert page["repeat_contact"] == {"cases": 5, "repeat": 1, "rate": 0.2, "window_days": 7}
    assert page["bot"] == {"conversations": 3, "contained": 2, "containment_rate": 0.6667, "turns": 6,
                           "fallbacks": 2, "fallback_rate": 0.3333}
    cells = {(dow, hod): n for dow, hod, n in page["heatmap"]["cells"]}
    assert len(cells) == 168 and cells[(3, 13)] == 2  # Thursday 13:00 in Shanghai: C1 and C2
    assert cells[(5, 0)] == 1 and sum(cells.values()) == 5
