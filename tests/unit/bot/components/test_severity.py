"""SeverityGrader: the severity level with its reasons, the complaint flag and the routing
decision in the parse result, after the whole custom pipeline."""

import json
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import GraphComponent
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY

from bot.components.emotion import COMPLAINT_CUTOFF_KEY, COMPLAINT_KEY, EMOTION_KEY
from bot.components.risk import RISKS_KEY, RISKS_NEAR_KEY
from bot.components.severity import SeverityGrader
from tests.unit.bot.components.pipeline import FULL, NGRAMS, SEVERITY, TOKENIZER, parse, process, train_and_load


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> list[GraphComponent]:
    return train_and_load(Path(tmp_path_factory.mktemp("model")), FULL)


def test_a_safety_risk_is_severe_and_goes_to_a_person(pipeline: list[GraphComponent]) -> None:
    result = parse(pipeline, "充电宝冒烟起火，差点烧到孩子")
    assert result["severity"]["level"] == "severe"
    reasons = result["severity"]["reasons"]
    assert reasons[0] == "intent:complain_product_quality"
    assert reasons[1].startswith("impact:material(")
    assert reasons[2].startswith("emotion:anger(")
    assert reasons[3] == "risk:safety_health"
    assert result["complaint"] is True
    assert result["handoff"] is True
    assert result["route"]["action"] == "handoff"
    assert result["route"]["reason"] == "severe"


def test_an_angry_material_complaint_is_important(pipeline: list[GraphComponent]) -> None:
    result = parse(pipeline, "快递一周了还没到，气死我了")
    assert result["severity"]["level"] == "important"
    assert result["severity"]["reasons"][0] == "intent:complain_delivery"
    assert result["handoff"] is True
    assert (result["route"]["action"], result["route"]["reason"]) == ("handoff", "important and upset")


def test_a_minor_complaint_is_general_and_answered_with_empathy(pipeline: list[GraphComponent]) -> None:
    result = parse(pipeline, "快递晚了一天，下次注意")
    assert result["severity"]["level"] == "general"
    assert result["severity"]["reasons"][0] == "intent:complain_delivery"
    assert result["severity"]["reasons"][1].startswith("impact:minor(")
    assert result["complaint"] is True
    assert result["handoff"] is False
    assert result["route"]["action"] == "answer_with_empathy"


def test_a_question_is_no_complaint(pipeline: list[GraphComponent]) -> None:
    result = parse(pipeline, "where is my order")
    assert result["severity"] == {"level": "none", "reasons": []}
    assert result["complaint"] is False
    assert result["handoff"] is False
    assert result["route"]["action"] == "answer"


def test_a_greeting_worded_as_a_complaint_becomes_one(tmp_path: Path) -> None:
    """What the components before it found is set by hand: a greet intent, an angry emotion and
    a high complaint score."""
    *upstream, severity = train_and_load(tmp_path, [TOKENIZER, NGRAMS, SEVERITY])
    message = process(upstream, "在吗？你们到底管不管")
    message.set(INTENT, {"name": "greet", "confidence": 0.7}, add_to_output=True)
    message.set(EMOTION_KEY, {"name": "anger", "confidence": 0.8}, add_to_output=True)
    message.set(COMPLAINT_KEY, 0.9, add_to_output=True)
    message.set(RISKS_KEY, [], add_to_output=True)
    severity.process([message])
    result = message.as_dict(only_output_properties=True)
    assert result["intent"] == {"name": "complain_general", "confidence": 0.9, "overrides": "greet"}
    assert result["severity"]["reasons"][0] == "intent:complain_general"
    assert result["severity"]["level"] != "none"
    assert result["complaint"] is True


def test_a_question_worded_as_a_complaint_is_flagged_but_not_graded(tmp_path: Path) -> None:
    """SPEC §8: `complaint` is whether the message is a complaint whatever its category, so the
    complaint head counts on its own under a task intent, which keeps its answer."""
    *upstream, severity = train_and_load(tmp_path, [TOKENIZER, NGRAMS, SEVERITY])
    message = process(upstream, "我的订单到哪了")
    message.set(INTENT, {"name": "query_order_status", "confidence": 0.9}, add_to_output=True)
    message.set(EMOTION_KEY, {"name": "neutral", "confidence": 0.7}, add_to_output=True)
    message.set(COMPLAINT_KEY, 0.8, add_to_output=True)
    message.set(RISKS_KEY, [], add_to_output=True)
    severity.process([message])
    result = json.loads(json.dumps(message.as_dict(only_output_properties=True)))
    assert result["intent"]["name"] == "query_order_status"
    assert result["severity"] == {"level": "none", "reasons": []}
    assert result["complaint"] is True
    assert result["route"]["action"] == "answer"


def graded_with(tmp_path: Path, text: str, intent: str, emotion: str, risks: list[dict[str, Any]]) -> dict[str, Any]:
    """The grader's result for a message whose intent, emotion and risks are set by hand."""
    *upstream, severity = train_and_load(tmp_path, [TOKENIZER, NGRAMS, SEVERITY])
    message = process(upstream, text)
    message.set(INTENT, {"name": intent, "confidence": 0.9}, add_to_output=True)
    message.set(EMOTION_KEY, {"name": emotion, "confidence": 0.8}, add_to_output=True)
    message.set(COMPLAINT_KEY, 0.05, add_to_output=True)
    message.set(RISKS_KEY, risks, add_to_output=True)
    severity.process([message])
    return json.loads(json.dumps(message.as_dict(only_output_properties=True)))


def test_a_risk_word_in_a_calm_question_is_another_sense(tmp_path: Path) -> None:
    lawyer = [{"kind": "legal_threat", "terms": ["lawyer"]}]
    result = graded_with(tmp_path, "my lawyer friend recommended you, how long is delivery", "query_shipping",
                         "neutral", lawyer)
    assert result["severity"] == {"level": "none", "reasons": []} and result["handoff"] is False


def test_the_lexicon_still_counts_where_the_message_is_not_understood(tmp_path: Path) -> None:
    letter = [{"kind": "legal_threat", "terms": ["律師"]}]
    result = graded_with(tmp_path, "我方律師將於本週寄發存證信函", "out_of_scope", "neutral", letter)
    assert result["severity"]["level"] == "severe" and result["handoff"] is True
    worried = graded_with(tmp_path, "冒烟了怎么退货", "query_return_policy", "anxiety",
                          [{"kind": "safety_health", "terms": ["冒烟"]}])
    assert worried["severity"]["level"] == "severe"


def vetoed_with(tmp_path: Path, emotion: str, risks: list[dict[str, Any]], score: float = 0.1,
                calibrated: bool = True, veto: float = 0.35) -> dict[str, Any]:
    """A positive review the intent model filed under complain_delivery (praise second), with the
    complaint head's calibrated probability `score` and the emotion and risks set by hand."""
    *upstream, severity = train_and_load(tmp_path, [TOKENIZER, NGRAMS, (SeverityGrader, {
        "featurizers": ["ngrams"], "complaint_veto": veto})])
    message = process(upstream, "送餐很快，汤也很好喝")
    message.set(INTENT, {"name": "complain_delivery", "confidence": 0.6}, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [{"name": "complain_delivery", "confidence": 0.6},
                                     {"name": "praise", "confidence": 0.3}], add_to_output=True)
    message.set(EMOTION_KEY, {"name": emotion, "confidence": 0.8}, add_to_output=True)
    message.set(COMPLAINT_KEY, score, add_to_output=True)
    if calibrated:
        message.set(COMPLAINT_CUTOFF_KEY, 0.68)
    message.set(RISKS_KEY, risks, add_to_output=True)
    severity.process([message])
    return json.loads(json.dumps(message.as_dict(only_output_properties=True)))


def test_a_complaint_intent_the_complaint_head_doubts_in_a_happy_message_is_answered_as_praise(
        tmp_path: Path) -> None:
    result = vetoed_with(tmp_path, "joy", [])
    assert result["intent"] == {"name": "praise", "confidence": 0.3, "overrides": "complain_delivery"}
    assert result["complaint"] is False
    assert result["severity"] == {"level": "none", "reasons": []}
    assert (result["handoff"], result["route"]["action"]) == (False, "answer")


def test_an_upset_or_risky_customer_keeps_the_complaint_whatever_the_head_says(tmp_path: Path) -> None:
    upset = vetoed_with(tmp_path, "anger", [])
    assert upset["intent"]["name"] == "complain_delivery" and upset["complaint"] is True
    risky = vetoed_with(tmp_path, "neutral", [{"kind": "safety_health", "terms": ["漏电"]}])
    assert risky["intent"]["name"] == "complain_delivery" and risky["complaint"] is True
    assert risky["severity"]["level"] == "severe" and risky["handoff"] is True


def test_the_veto_needs_a_calibrated_doubt(tmp_path: Path) -> None:
    """A believed complaint, an uncalibrated score (no probability) or the veto turned off keep the intent."""
    assert vetoed_with(tmp_path, "neutral", [], score=0.5)["complaint"] is True
    assert vetoed_with(tmp_path, "neutral", [], calibrated=False)["intent"]["name"] == "complain_delivery"
    assert vetoed_with(tmp_path, "neutral", [], veto=0.0)["severity"]["level"] != "none"


def graded_near(tmp_path: Path, intent: str, emotion: str, confidence: float) -> dict[str, Any]:
    """The grader's result for a message whose only risk is a learned kind short of its threshold."""
    tmp_path.mkdir()
    *upstream, severity = train_and_load(tmp_path, [TOKENIZER, NGRAMS, SEVERITY])
    message = process(upstream, "你们再不处理，这事没完")
    message.set(INTENT, {"name": intent, "confidence": 0.9}, add_to_output=True)
    message.set(EMOTION_KEY, {"name": emotion, "confidence": confidence}, add_to_output=True)
    message.set(COMPLAINT_KEY, 0.9, add_to_output=True)
    message.set(RISKS_KEY, [], add_to_output=True)
    message.set(RISKS_NEAR_KEY, [{"kind": "legal_threat", "model": 0.3, "threshold": 0.5}])
    severity.process([message])
    return json.loads(json.dumps(message.as_dict(only_output_properties=True)))


def test_a_near_risk_makes_a_surely_angry_complaint_severe_and_nothing_else(tmp_path: Path) -> None:
    """A learned risk short of its threshold (`risks_near`) counts in a complaint whose customer is
    sure to be angry, who is handed to a person either way: it raises the grade and the priority.
    A less sure anger, or an angry message that is no complaint, keeps its grade."""
    angry = graded_near(tmp_path / "angry", "complain_refund", "anger", 0.9)
    assert angry["severity"]["level"] == "severe" and "risk:legal_threat" in angry["severity"]["reasons"]
    assert angry["handoff"] is True and angry["route"]["reason"] == "severe"
    unsure = graded_near(tmp_path / "unsure", "complain_refund", "anger", 0.8)
    assert unsure["severity"]["level"] == "important" and unsure["handoff"] is False
    question = graded_near(tmp_path / "question", "query_refund_status", "anger", 0.95)
    assert "risk:legal_threat" not in question["severity"]["reasons"]
