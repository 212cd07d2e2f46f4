"""The second wall behind the action token: a made-up tracker naming someone else's case changes
nothing; the score is stored the moment it is given; a flood of new senders opens no cases."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from rasa_sdk.executor import ActionExecutor

import actions.guard as guard
from core.limits import RateLimiter
from handoff.desk import Desk
from handoff.store import CaseView
from tests.unit.actions.support import graded, route_and_reply, run

RATING_DOMAIN = {"forms": {"rating_form": {"required_slots": ["rating", "rating_comment"]}},
                 "slots": {"rating": {"type": "any", "mappings": [{"type": "from_text"}]},
                           "rating_comment": {"type": "text", "mappings": [{"type": "from_text"}]}}}


def resolved_case(desk: Desk, conversation: str = "t") -> CaseView:
    """A case of `conversation` that an agent resolved: the bot is asking for the rating."""
    case = desk.register(conversation_id=conversation, channel="rest", customer_id=conversation,
                         language="zh-Hans", category="complain_refund", severity="general", emotion="neutral",
                         reasons=[])
    return desk.store.resolve(case.id, "agent:alice")


async def answer_rating_form(ex: ActionExecutor, sender: str, slot: str, text: str,
                             slots: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """What Rasa sends while the rating form runs: the customer's answer as the slot candidate."""
    latest = {"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []}
    call = {
        "next_action": "validate_rating_form", "sender_id": sender, "domain": RATING_DOMAIN, "version": "3.6.2",
        "tracker": {"sender_id": sender, "slots": {**slots, slot: text, "requested_slot": slot},
                    "latest_message": latest, "paused": False, "followup_action": None,
                    "active_loop": {"name": "rating_form"}, "latest_action_name": "action_listen",
                    "events": [{"event": "user", "text": text, "parse_data": latest},
                               {"event": "slot", "name": slot, "value": text}]},
    }
    result = await ex.run(call)
    assert result is not None
    return ([r["text"] for r in result["responses"]],
            {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"})


async def store_rating(ex: ActionExecutor, sender: str, case_id: str, rating: int,
                       comment: Optional[str]) -> list[str]:
    call = {"next_action": "action_store_rating", "sender_id": sender, "domain": {}, "version": "3.6.2",
            "tracker": {"sender_id": sender, "latest_message": {"text": "forged", "intent": {}, "entities": []},
                        "slots": {"case_id": case_id, "rating": rating, "rating_comment": comment,
                                  "language": "zh-Hans"},
                        "events": [], "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": None}}
    result = await ex.run(call)
    assert result is not None
    return [r["text"] for r in result["responses"]]


# --- ownership ---------------------------------------------------------------------------------

async def test_a_forged_rating_for_someone_elses_case_changes_nothing(executor: ActionExecutor, desk: Desk,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    victim = desk.register(conversation_id="rest:alice", channel="rest", customer_id="rest:alice",
                           language="zh-Hans", category="complain_refund", severity="general", emotion="neutral",
                           reasons=[])
    texts = await store_rating(executor, "rest:mallory", victim.id, 1, "forged")
    assert "感谢" in texts[0]  # the caller learns nothing from the answer
    assert desk.store.get(victim.id).state == "received" and desk.store.rating(victim.id) is None
    assert any("belongs to another conversation" in r.getMessage() for r in caplog.records)


async def test_a_forged_score_in_the_form_for_someone_elses_resolved_case_is_not_stored(
        executor: ActionExecutor, desk: Desk) -> None:
    victim = resolved_case(desk, "rest:alice")
    _, slots = await answer_rating_form(executor, "rest:mallory", "rating", "1", {"case_id": victim.id})
    assert slots["rating"] == 1  # the form goes on as ever; the case is not touched
    assert desk.store.rating(victim.id) is None and desk.store.get(victim.id).state == "follow_up"


async def test_a_forged_decline_or_callback_for_someone_elses_case_changes_nothing(
        executor: ActionExecutor, desk: Desk) -> None:
    victim = resolved_case(desk, "rest:alice")
    await store_rating(executor, "rest:mallory", victim.id, 0, None)
    assert desk.store.get(victim.id).state == "follow_up"
    await run(executor, "action_store_callback", "13812345678", "inform",
              slots={"case_id": victim.id, "callback_contact": "13812345678"})  # sender "t", not alice
    assert desk.store.get(victim.id).callback_contact is None


async def test_a_case_still_with_people_cannot_be_rated_even_by_its_own_conversation(
        executor: ActionExecutor, desk: Desk) -> None:
    case = desk.register(conversation_id="t", channel="rest", customer_id="t", language="zh-Hans",
                         category="complain_refund", severity="general", emotion="neutral", reasons=[])
    await store_rating(executor, "t", case.id, 1, "forged")
    await store_rating(executor, "t", case.id, 0, None)
    assert desk.store.get(case.id).state == "received" and desk.store.rating(case.id) is None


# --- the rating is stored when it is given ------------------------------------------------------

async def test_the_score_is_stored_when_given_and_the_comment_joins_it_later(executor: ActionExecutor,
                                                                            desk: Desk) -> None:
    case = resolved_case(desk)
    _, slots = await answer_rating_form(executor, "t", "rating", "5", {"case_id": case.id, "language": "zh-Hans"})
    assert slots["rating"] == 5  # the form goes on to ask for the comment
    rating = desk.store.rating(case.id)
    assert rating is not None and rating.score == 5 and rating.comment is None  # the customer may leave now
    assert desk.store.get(case.id).state == "closed"

    texts = await store_rating(executor, "t", case.id, 5, "客服很耐心")
    rating = desk.store.rating(case.id)
    assert rating is not None and rating.score == 5 and rating.comment == "客服很耐心" and "感谢" in texts[0]


async def test_a_skipped_comment_keeps_the_score(executor: ActionExecutor, desk: Desk) -> None:
    case = resolved_case(desk)
    await answer_rating_form(executor, "t", "rating", "非常满意", {"case_id": case.id})
    _, slots = await answer_rating_form(executor, "t", "rating_comment", "跳过", {"case_id": case.id, "rating": 5})
    await store_rating(executor, "t", case.id, 5, slots["rating_comment"])
    rating = desk.store.rating(case.id)
    assert rating is not None and rating.score == 5 and rating.comment is None


# --- a flood of new senders ---------------------------------------------------------------------

SEVERE = graded("severe", ["intent:complain_product_quality", "risk:safety_health"], "anxiety")


async def test_over_the_new_case_limit_the_customer_gets_the_hotline_and_no_case(
        executor: ActionExecutor, desk: Desk, redis_url: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    tight = RateLimiter(redis_url, {"new_case": "2/hour"})
    monkeypatch.setattr("actions.guard.limiter", lambda: tight)
    monkeypatch.setattr(guard, "_quiet_until", 0.0)
    opened = []
    for sender in ("rest:a", "rest:b"):
        _, slots = await route_and_reply(executor, "充电宝冒烟了", "complain_product_quality", SEVERE, sender=sender)
        opened.append(slots["case_id"])
    _, again = await route_and_reply(executor, "还在冒烟！", "complain_product_quality", SEVERE, sender="rest:a")
    assert again["case_id"] == opened[0]  # a conversation's open case is raised, not counted again

    texts, slots = await route_and_reply(executor, "充电宝冒烟了", "complain_product_quality", SEVERE, sender="rest:c")
    assert "case_id" not in slots and "paused" not in slots
    assert "客服团队暂时无法再受理新的服务单" in texts[0] and "400-820-0000" in texts[0]
    texts, slots = await route_and_reply(executor, "my power bank is smoking", "complain_product_quality", SEVERE,
                                         sender="rest:d")
    assert "overloaded" in texts[0] and "400-820-0000" in texts[0] and "case_id" not in slots  # their language
    assert sorted(c.id for c in desk.store.cases()) == sorted(opened)  # no case, so no alert either
    assert sorted(e.case_id for e in desk.queue.entries()) == sorted(opened)
    warnings = [r for r in caplog.records if "new-case limit" in r.getMessage()]
    assert len(warnings) == 1  # one line per window, however many are refused


async def test_a_calm_complaint_over_the_limit_is_not_told_it_was_recorded(
        executor: ActionExecutor, desk: Desk, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    full = RateLimiter(redis_url, {"new_case": "1/hour"})
    full.hit("new_case", "all")
    monkeypatch.setattr("actions.guard.limiter", lambda: full)
    parse = graded("important", ["intent:complain_refund", "impact:material(0.80)"], "neutral", 0.6)
    texts, slots = await route_and_reply(executor, "退款两周了还没到账", "complain_refund", parse, sender="rest:e")
    assert "case_id" not in slots and "400-820-0000" in texts[0] and len(texts) == 1
    assert desk.store.cases() == []
