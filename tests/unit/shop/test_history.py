"""The conversation-level part of grading, from tracker events, without a model."""

from typing import Any

from shop.dialogue import emotion_rising, emotion_trajectory, history


def said(text: str, emotion: str, confidence: float = 0.9, intent: str = "complain_delivery",
         complaint: bool = False) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"text": text, "intent": {"name": intent},
                                                          "emotion": {"name": emotion, "confidence": confidence},
                                                          "complaint": complaint}}


def test_calm_then_angry_is_rising_but_angry_throughout_is_not() -> None:
    assert emotion_rising([said("where is it", "neutral"), said("this is ridiculous!!", "anger")])
    assert not emotion_rising([said("垃圾", "anger"), said("还不到？", "anger")])
    assert not emotion_rising([said("hi", "neutral")])


def test_a_new_session_starts_the_history_again() -> None:
    events = [said("a", "neutral", complaint=True), said("b", "anger", complaint=True),
              {"event": "session_started"}, said("c", "anger", complaint=True)]
    h = history(events)
    assert h.contact_number == 1 and not h.emotion_rising
    assert [t["text"] for t in emotion_trajectory(events)] == ["c"]


def test_fallbacks_before_the_latest_message_are_counted() -> None:
    miss = {"event": "user", "text": "?", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    assert history([miss, miss, said("我要投诉", "anger", complaint=True)]).consecutive_fallbacks == 2
