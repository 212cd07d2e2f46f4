"""Why a message is in the inbox: the NLU's doubts, a request for a person after it, and the
case it opened being rated low or relabelled by the agent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from handoff.training.sources import Occurrence, nlu_reasons, occurrences
from tests.unit.handoff.training.support import T0, World


def found(world: World) -> dict[str, Occurrence]:
    with Session(world.store.engine) as s:
        return {o.text: o for o in occurrences(s, T0 - timedelta(days=1))}


def test_the_nlus_doubts_at_the_documented_thresholds() -> None:
    assert nlu_reasons(0.59, 0.5, "greet") == {"low_confidence"}
    assert nlu_reasons(0.6, 0.15, "greet") == set()  # at the threshold is sure enough
    assert nlu_reasons(0.9, 0.14, "greet") == {"small_margin"}
    assert nlu_reasons(0.3, None, "nlu_fallback") == {"low_confidence", "fallback"}
    assert nlu_reasons(None, None, None) == set()


def test_unsure_hesitant_and_fallback_turns_are_found_and_sure_ones_are_not(world: World) -> None:
    world.say("c1", "这个能便宜点吗", 1, intent="query_payment", confidence=0.41, second=0.1)
    world.say("c2", "货到了但是盒子有点怪", 2, intent="query_order_status", confidence=0.7, second=0.62)
    world.say("c3", "zxqv 木有", 3, intent="nlu_fallback", confidence=0.3, second=None)
    world.say("c4", "我的快递到哪了", 4, confidence=0.97, second=0.01)
    got = found(world)
    assert set(got) == {"这个能便宜点吗", "货到了但是盒子有点怪", "zxqv 木有"}
    assert got["这个能便宜点吗"].reasons == {"low_confidence"}
    assert got["货到了但是盒子有点怪"].reasons == {"small_margin"}
    assert got["货到了但是盒子有点怪"].intent_margin is not None
    assert abs(got["货到了但是盒子有点怪"].intent_margin - 0.08) < 1e-9
    assert got["zxqv 木有"].reasons == {"fallback", "low_confidence"}
    hesitant = got["货到了但是盒子有点怪"]
    assert (hesitant.conversation_id, hesitant.language, hesitant.model_id, hesitant.case) == \
        ("c2", "zh-Hans", "20261201-090000-shop", None)


def test_asking_for_a_person_points_at_what_the_customer_said_before_not_at_pleasantries(world: World) -> None:
    world.say("c1", "积分怎么兑换成现金", 1, intent="query_account", confidence=0.95)
    world.say("c1", "你好", 2, intent="greet", confidence=0.99)
    world.say("c1", "转人工", 3, intent="request_human", confidence=0.99)
    world.say("c2", "转人工", 4, intent="request_human", confidence=0.99)  # nothing before it: nothing to review
    got = found(world)
    assert set(got) == {"积分怎么兑换成现金"}
    assert got["积分怎么兑换成现金"].reasons == {"asked_for_person"}


def test_a_low_rating_and_an_agents_correction_point_at_the_message_that_opened_the_case(world: World) -> None:
    world.say("c1", "东西坏了你们管不管", 1, intent="query_return_policy", confidence=0.92)
    world.say("c1", "转人工", 2, intent="request_human", confidence=0.99)
    relabelled = world.case("c1", 5, category="request_human", severity="none",
                            final_category="complain_product_quality", final_severity="important")
    world.say("c2", "退款一直不到账", 10, intent="complain_refund", confidence=0.95)
    rated = world.case("c2", 12, category="complain_refund", severity="general", rating=1)
    world.say("c3", "发票开错了", 20, intent="query_invoice", confidence=0.93)
    world.case("c3", 22, category="complain_billing", severity="general", final_category="complain_billing",
               final_severity="general", rating=5)  # agreed with the bot and rated well: nothing to learn
    got = found(world)
    assert set(got) == {"东西坏了你们管不管", "退款一直不到账"}
    broken = got["东西坏了你们管不管"]
    assert broken.reasons == {"label_changed", "asked_for_person"}
    assert broken.case is not None and broken.case.to_dict() == {
        "id": relabelled, "category": "request_human", "severity": "none",
        "final_category": "complain_product_quality", "final_severity": "important", "rating": None}
    refund = got["退款一直不到账"]
    assert refund.reasons == {"low_rating"} and refund.case is not None and refund.case.id == rated
    assert refund.case.rating == 1


def test_an_unsure_message_shows_the_case_it_led_to(world: World) -> None:
    world.say("c1", "你们这个东西有问题吧", 1, intent="complain_general", confidence=0.45)
    opened = world.case("c1", 3, category="complain_general", severity="general")
    got = found(world)
    assert got["你们这个东西有问题吧"].case is not None and got["你们这个东西有问题吧"].case.id == opened


def test_messages_older_than_the_window_are_left_out(world: World) -> None:
    world.say("c1", "很久以前的问题", -86400 * 2, confidence=0.2)
    world.say("c2", "刚才的问题", 1, confidence=0.2)
    assert set(found(world)) == {"刚才的问题"}
