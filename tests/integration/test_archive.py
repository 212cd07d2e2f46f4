"""The conversation archive end to end: a customer talks to the real assistant over REST, Rasa's
broker writes the events to the stream, and the handoff service's archive consumer stores them
in SQL with what the NLU made of each message, masked, the bot's actions and replies beside."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Callable

from core.settings import load
from handoff.archive import Archive, ConversationHistory
from tests.integration.conftest import Customer
from tools.stack import Stack


def archived(stack: Stack, sender: str, turns: int, timeout: float = 60,
             done: Callable[[ConversationHistory], bool] = lambda history: True) -> ConversationHistory:
    """The customer's archived conversation once it has `turns` turns and `done` holds (the archive
    is fed off the bot's hot path by several workers, so it may lag the replies a little and a
    turn's events can be stored in any order)."""
    archive = Archive(load(stack._environment()).database_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            history = archive.conversation(sender)
            if history is not None and len(history.turns) >= turns and history.bot_events and done(history):
                return history
            assert time.monotonic() < deadline, f"archive has {history} for {sender}"
            time.sleep(0.3)
    finally:
        archive.engine.dispose()


def test_a_conversation_over_rest_is_archived_with_intent_emotion_and_severity(stack: Stack,
                                                                              customer: Customer) -> None:
    began = datetime.now(timezone.utc) - timedelta(seconds=5)
    assert customer.say("你好")
    customer.say("再不退钱我就去12315投诉，我电话13812345678")

    def whole_turn(h: ConversationHistory) -> bool:
        """The last turn's reply and its action are both in: each of the handoff service's
        workers stores the stream entries it was given, so one event can land before an earlier one."""
        return (any("C-" in str(b.text) for b in h.bot_events if b.kind == "utterance")
                and any(b.action == "action_handoff" for b in h.bot_events if b.kind == "action"))

    history = archived(stack, customer.conversation_id, 2, done=whole_turn)
    greeting, complaint = history.turns[:2]
    assert greeting.text == "你好" and greeting.intent and greeting.channel == "rest"
    assert complaint.text == "再不退钱我就去12315投诉，我电话138****5678"  # masked as in the case transcript
    assert complaint.intent and 0 < (complaint.intent_confidence or 0) <= 1
    assert complaint.emotion in ("anger", "anxiety") and 0 < (complaint.emotion_confidence or 0) <= 1
    assert complaint.severity == "severe" and "risk:regulator" in complaint.severity_reasons
    assert complaint.complaint is True and complaint.language == "zh-Hans"
    assert complaint.model_id and complaint.model_id == greeting.model_id

    conversation = history.conversation
    assert (conversation.customer_id, conversation.channel) == (customer.conversation_id, "rest")
    assert conversation.user_turns == 2 and began <= conversation.first_seen <= conversation.last_seen
    utterances = [b for b in history.bot_events if b.kind == "utterance"]
    actions = [b.action for b in history.bot_events if b.kind == "action"]
    assert utterances and all(b.text for b in utterances) and "action_listen" not in actions
    assert "action_handoff" in actions  # the severe complaint was handed to a person
    assert any("C-" in str(b.text) for b in utterances)  # and the customer was told the case id
    assert conversation.bot_messages == len(utterances) and conversation.actions == len(actions)

    archive = Archive(load(stack._environment()).database_url)
    try:  # the trainers' inbox reads turns by time
        assert customer.conversation_id in {t.conversation_id for t in archive.turns(began)}
    finally:
        archive.engine.dispose()
