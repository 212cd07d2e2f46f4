"""SPEC sections 3–4 as cases: what a customer writes, what it is graded, what the bot does."""

from shop.risk import risks
from shop.routing import route
from shop.severity import History, Impact, grade


def test_fire_is_severe_and_handed_off_first() -> None:
    text = "充电宝冒烟起火，差点烧到孩子"
    g = grade("complain_product_quality", "anxiety", 0.9, risks(text))
    assert g.level == "severe"
    assert g.reasons == ["intent:complain_product_quality", "emotion:anxiety(0.90)", "risk:safety_health"]
    assert route(g.level, "anxiety", "complain_product_quality").action == "handoff"


def test_regulator_threat_is_severe() -> None:
    g = grade("complain_refund", "anger", 0.8, risks("再不退钱我就去12315投诉"))
    assert g.level == "severe" and "risk:regulator" in g.reasons


def test_slow_refund_with_anger_is_important_and_handed_off() -> None:
    g = grade("complain_refund", "anger", 0.91, risks("退款半个月还没到，到底什么时候退"))
    assert g.level == "important"
    d = route(g.level, "anger", "complain_refund")
    assert d.action == "handoff" and d.priority > route("important", "neutral", "complain_refund").priority


def test_mild_late_delivery_is_general_and_answered_with_empathy() -> None:
    g = grade("complain_delivery", "neutral", 0.6, risks("快递晚了一天，下次注意"))
    assert g.level == "general"
    assert route(g.level, "neutral", "complain_delivery").action == "answer_with_empathy"


def test_calm_important_complaint_is_registered() -> None:
    g = grade("complain_billing", "neutral", 0.8)
    assert g.level == "important"
    assert route(g.level, "neutral", "complain_billing").action == "register_case"


def test_third_contact_and_rising_emotion_raise_the_level() -> None:
    g = grade("complain_delivery", "sadness", 0.6, history=History(contact_number=3))
    assert g.level == "severe" and "history:3rd_contact" in g.reasons
    g = grade("complain_delivery", "anger", 0.4, history=History(emotion_rising=True))
    assert g.level == "important" and "history:emotion_rising" in g.reasons
    assert grade("complain_delivery", risks=risks("第三次问了，一直没人管")).level == "severe"


def test_standard_query_is_none_and_answered() -> None:
    g = grade("query_order_status", "neutral", 0.9)
    assert g.level == "none" and g.reasons == []
    assert route("none", "neutral", "query_order_status").action == "answer"


def test_request_human_fallbacks_and_no_agent() -> None:
    assert route("none", None, "request_human").action == "handoff"
    assert route("none", None, "out_of_scope", consecutive_fallbacks=2).action == "offer_human"
    assert route("none", None, "out_of_scope", consecutive_fallbacks=3).action == "handoff"
    assert route("severe", "anger", "complain_refund", agents_available=False).action == "callback"


def test_learned_impact_sets_the_starting_level_and_says_so() -> None:
    minor = grade("complain_product_quality", "neutral", 0.9, impact=Impact("general", 0.8))
    assert minor.level == "general" and "impact:minor(0.80)" in minor.reasons
    material = grade("complain_delivery", "neutral", 0.9, impact=Impact("important", 0.7))
    assert material.level == "important" and "impact:material(0.70)" in material.reasons


def test_a_complaint_recognised_by_wording_is_graded_as_a_general_complaint() -> None:
    g = grade("out_of_scope", "sadness", 0.8, complaint=True)
    assert g.level == "general" and g.reasons[0] == "intent:complain_general"


def test_asking_a_third_time_is_severe_even_as_a_plain_question() -> None:
    g = grade("query_order_status", "anger", 0.8, risks("这是我第三次问了，订单到底到哪了"))
    assert g.level == "severe" and "risk:repeat_contact" in g.reasons


def test_only_sure_anger_makes_an_important_complaint_a_handoff() -> None:
    """A calm customer whose words lean a little towards anger is registered and offered a person."""
    assert route("important", "anger", "complain_refund", emotion_confidence=0.97).action == "handoff"
    assert route("important", "anger", "complain_refund", emotion_confidence=0.3).action == "register_case"
    assert route("important", "anger", "complain_refund", emotion_confidence=0.6).action == "register_case"
    assert route("severe", "neutral", "complain_refund", emotion_confidence=0.3).action == "handoff"


def test_a_near_risk_counts_only_where_the_customer_is_handed_over_anyway() -> None:
    """`counts_near_risks` lets a learned risk just short of its threshold grade a complaint
    severe only when the customer is sure to be angry; every such complaint, whatever its
    category and impact, is already handed to a person, so the rule hands over no one new."""
    from core.vocabulary import COMPLAINT_CATEGORIES, HANDOFF_ANGER_CONFIDENCE
    from shop.severity import counts_near_risks

    assert counts_near_risks(True, "anger", HANDOFF_ANGER_CONFIDENCE)
    assert not counts_near_risks(True, "anger", HANDOFF_ANGER_CONFIDENCE - 0.01)  # not sure enough
    assert not counts_near_risks(True, "anxiety", 0.99) and not counts_near_risks(True, "sadness", 0.99)
    assert not counts_near_risks(False, "anger", 0.99)  # an angry question or greeting
    for intent in COMPLAINT_CATEGORIES:
        for impact in (None, Impact("general", 0.9), Impact("important", 0.9)):
            for confidence in (HANDOFF_ANGER_CONFIDENCE, 0.9, 1.0):
                assert counts_near_risks(True, "anger", confidence)
                without = grade(intent, "anger", confidence, [], impact=impact, complaint=True)
                assert route(without.level, "anger", intent, emotion_confidence=confidence).action == "handoff"
                near = grade(intent, "anger", confidence, ["legal_threat"], impact=impact, complaint=True)
                assert near.level == "severe" and route(near.level, "anger", intent).action == "handoff"
