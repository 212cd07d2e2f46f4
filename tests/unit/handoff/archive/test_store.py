"""The archive's writer, retention sweep and reads on SQLite (the PostgreSQL run is in
tests/integration/test_archive_postgres.py)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

import handoff.archive.store as archive_store
from handoff.archive import Archive, archive_key
from handoff.clock import FakeClock
from handoff.masking import mask
from tests.unit.handoff.archive.support import MODEL, T0, action, bot, stamp, user


def test_a_user_turn_keeps_what_the_nlu_made_of_it(archive: Archive) -> None:
    assert archive.record(user("c1", "快递一周没到，再不处理我就去曝光你们", stamp(1)), "k1")

    [turn] = archive.turns(T0)
    assert (turn.conversation_id, turn.channel, turn.language) == ("c1", "rest", "zh-Hans")
    assert (turn.intent, turn.intent_confidence) == ("complain_delivery", 0.91)
    assert (turn.emotion, turn.emotion_confidence) == ("anger", 0.83)
    assert turn.severity == "severe" and turn.severity_reasons == ("emotion:anger", "risk:media")
    assert turn.complaint is True and turn.complaint_score == 0.97
    assert turn.model_id == MODEL and turn.at == T0 + timedelta(seconds=1)
    assert turn.text == "快递一周没到，再不处理我就去曝光你们"

    history = archive.conversation("c1")
    assert history is not None
    c = history.conversation
    assert (c.customer_id, c.channel, c.language, c.model_id) == ("c1", "rest", "zh-Hans", MODEL)
    assert (c.user_turns, c.bot_messages, c.actions) == (1, 0, 0)


def test_phones_and_ids_are_masked_as_in_the_case_transcript(archive: Archive) -> None:
    said = "我电话13812345678，身份证110101199003071234，订单20261122001"
    archive.record(user("c1", said, stamp(1)), "k1")
    archive.record(bot("c1", "好的，我们会打 13812345678 联系您", stamp(2)), "k2")

    history = archive.conversation("c1")
    assert history is not None
    assert history.turns[0].text == mask(said)
    assert "13812345678" not in history.turns[0].text and "138****5678" in history.turns[0].text
    assert "110101199003071234" not in history.turns[0].text
    assert "20261122001" in history.turns[0].text  # the order number the trainers need stays
    assert "13812345678" not in str(history.bot_events[0].text)


def test_a_redelivered_event_is_archived_once(archive: Archive) -> None:
    event = user("c1", "还没到", stamp(1))
    assert archive.record(event, archive_key(event)) is True
    assert archive.record(event, archive_key(event)) is False  # the stream handed it out again
    assert archive.record(dict(event)) is False  # the broker re-published it: same content, same key
    reply = bot("c1", "抱歉", stamp(2))
    assert archive.record(reply) and not archive.record(reply)

    assert len(archive.turns(T0)) == 1
    history = archive.conversation("c1")
    assert history is not None and len(history.bot_events) == 1
    assert (history.conversation.user_turns, history.conversation.bot_messages) == (1, 1)


def test_two_workers_archiving_the_same_events_at_once_store_them_once(archive: Archive) -> None:
    events = [user("c1", f"消息 {i}", stamp(i)) for i in range(20)]
    other = Archive(archive.url, clock=archive.clock)  # the second worker: its own engine and pool
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(store: Archive) -> None:
        barrier.wait()
        try:
            for event in events:
                store.record(event, archive_key(event))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(s,)) for s in (archive, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [t.text for t in archive.turns(T0)] == [f"消息 {i}" for i in range(20)]
    history = archive.conversation("c1")
    assert history is not None and history.conversation.user_turns == 20


def test_actions_and_utterances_are_bot_events_but_listening_and_state_are_not(archive: Archive) -> None:
    assert archive.record(action("c1", "action_handoff", stamp(2)))
    assert archive.record(bot("c1", "已为您转接人工", stamp(3)))
    assert archive.record(bot("c1", "您好，我是小王", stamp(4), handoff_agent="wang", case_id="C-1"))
    assert not archive.record(action("c1", "action_listen", stamp(5)))
    assert not archive.record({"sender_id": "c1", "event": "slot", "timestamp": stamp(6), "name": "x", "value": 1})
    assert not archive.record({"event": "user", "text": "no sender", "timestamp": stamp(7)})

    history = archive.conversation("c1")
    assert history is not None
    assert [(b.kind, b.action, b.text, b.agent) for b in history.bot_events] == [
        ("action", "action_handoff", None, None), ("utterance", "utter_sorry", "已为您转接人工", None),
        ("utterance", "utter_sorry", "您好，我是小王", "wang")]
    assert history.bot_events[0].policy == "RulePolicy" and history.bot_events[0].confidence == 1.0
    assert (history.conversation.bot_messages, history.conversation.actions) == (2, 1)


def test_events_arriving_out_of_order_keep_the_conversation_right(archive: Archive) -> None:
    # Two workers may finish one conversation's events in either order.
    archive.record(user("c1", "later", stamp(10), language="en"))
    archive.record(user("c1", "earlier", stamp(5), language="zh-Hans"))
    archive.record(action("c1", "action_ask", stamp(7)))

    history = archive.conversation("c1")
    assert history is not None
    c = history.conversation
    assert c.first_seen == T0 + timedelta(seconds=5) and c.last_seen == T0 + timedelta(seconds=10)
    assert c.language == "en"  # of the newest turn, not of the last one recorded
    assert [getattr(item, "text", None) or getattr(item, "action", None) for item in history.timeline()] == [
        "earlier", "action_ask", "later"]


def test_reads_by_time_window_and_intent(archive: Archive) -> None:
    archive.record(user("c1", "a", stamp(0), intent="ask_delivery"))
    archive.record(user("c2", "b", stamp(60)))
    archive.record(user("c3", "c", stamp(120), intent="ask_delivery"))

    assert [t.text for t in archive.turns(T0 + timedelta(seconds=30))] == ["b", "c"]
    assert [t.text for t in archive.turns(T0, T0 + timedelta(seconds=60))] == ["a"]
    assert [t.text for t in archive.turns(T0, intent="ask_delivery")] == ["a", "c"]
    assert [t.text for t in archive.turns(T0, conversation_id="c2")] == ["b"]
    assert [c.id for c in archive.conversations(T0)] == ["c3", "c2", "c1"]
    assert archive.conversation("nobody") is None
    assert archive.turns(T0)[0].to_dict()["at"] == T0.isoformat()


def test_odd_parse_data_is_stored_without_the_parts_that_make_no_sense(archive: Archive) -> None:
    event = user("c1", "hi", stamp(1))
    event["parse_data"] = {"intent": "greet", "emotion": None, "severity": {"level": "x" * 40, "reasons": "oops"},
                           "complaint": "yes", "language": None}
    event["metadata"] = None
    assert archive.record(event)
    [turn] = archive.turns(T0)
    assert (turn.intent, turn.emotion, turn.complaint, turn.model_id) == (None, None, None, None)
    assert turn.severity == "x" * 16 and turn.severity_reasons == ()


def test_the_retention_sweep_deletes_what_is_older_than_the_retention(
        archive: Archive, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_store, "SWEEP_BATCH", 2)  # several batches, as on a big table
    for i in range(5):
        archive.record(user("old", f"old {i}", stamp(i)))
        archive.record(bot("old", f"reply {i}", stamp(i + 0.5)))
    archive.record(user("both", "long ago", stamp(0)))
    clock.advance(timedelta(days=40).total_seconds())
    archive.record(user("both", "again today", clock.now().timestamp()))
    archive.record(user("new", "today", clock.now().timestamp()))

    assert archive.sweep() == {"turns": 6, "bot_events": 5, "conversations": 1}  # retention: 30 days

    assert archive.conversation("old") is None
    kept = archive.conversation("both")
    assert kept is not None and [t.text for t in kept.turns] == ["again today"]
    assert [t.text for t in archive.turns(T0)] == ["again today", "today"]
    assert archive.sweep() == {"turns": 0, "bot_events": 0, "conversations": 0}
    assert archive.sweep(retention_days=0)["conversations"] == 0  # today's rows are not older than now
