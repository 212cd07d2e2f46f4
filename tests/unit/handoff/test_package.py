import json
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml

from core.settings import ROOT
from core.vocabulary import CASE_STATES
from handoff.package import MAX_TRANSCRIPT, build_package
from handoff.summary import pick_quote, summarize
from handoff.texts import LINE_KEYS, HandoffTexts, HandoffTextsFile, language_code
from shop.knowledge import KnowledgeError

T0 = datetime(2025, 11, 20, 9, 0, tzinfo=timezone.utc).timestamp()
UNMASKED_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def texts() -> HandoffTexts:
    return HandoffTexts.load()


def user(text: str, intent: str, at: float, *, confidence: float = 0.9, emotion: Optional[str] = "neutral",
         emotion_confidence: float = 0.8, level: Optional[str] = "none", reasons: Optional[list[str]] = None,
         entities: Optional[dict[str, str]] = None, complaint: bool = False, channel: str = "telegram") -> dict:
    parse: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": confidence},
                             "entities": [{"entity": k, "value": v, "extractor": "EntityRulerExtractor"}
                                          for k, v in (entities or {}).items()],
                             "complaint": complaint}
    if emotion:
        parse["emotion"] = {"name": emotion, "confidence": emotion_confidence}
    if level:
        parse["severity"] = {"level": level, "reasons": reasons or []}
    return {"event": "user", "text": text, "timestamp": at, "parse_data": parse, "input_channel": channel,
            "metadata": {}}


def bot(text: str, at: float, **extra: Any) -> dict:
    return {"event": "bot", "text": text, "timestamp": at, "data": {}, "metadata": {}, **extra}


def slot(name: str, value: Any, at: float) -> dict:
    return {"event": "slot", "name": name, "value": value, "timestamp": at}


def session(at: float) -> list[dict]:
    return [{"event": "action", "name": "action_session_start", "timestamp": at},
            {"event": "session_started", "timestamp": at},
            {"event": "action", "name": "action_listen", "timestamp": at}]


SEVERE_REASONS = ["intent:complain_refund", "emotion:anger(0.91)", "risk:regulator", "history:3rd_contact"]
HANDOFF_RECORD = {"level": "severe", "reasons": SEVERE_REASONS, "action": "handoff", "priority": 100,
                  "why": "severe", "intent": "complain_refund", "emotion": "anger", "emotion_confidence": 0.91}


def zh_hans_refund() -> list[dict]:
    """An earlier session asking about the refund, then today's angry complaint, the bot's
    handoff, and an agent who has picked it up."""
    return [
        *session(T0 - 86400 * 3),
        user("你好", "greet", T0 - 86400 * 3 + 1),
        bot("您好，我是示例商城的智能客服。", T0 - 86400 * 3 + 2),
        user("我的退款怎么还没到账？订单20251103887", "query_refund_status", T0 - 86400 * 3 + 10, emotion="anxiety",
             emotion_confidence=0.72, entities={"order_id": "20251103887"}),
        bot("订单 20251103887 的退款（¥299）当前状态：审核通过，退款处理中。", T0 - 86400 * 3 + 11),
        *session(T0),
        user("退款半个月了还没到账，已经第三次找你们了，再不处理我就打12315投诉！我电话13812345678",
             "complain_refund", T0 + 5, confidence=0.93, emotion="anger", emotion_confidence=0.91, level="severe",
             reasons=SEVERE_REASONS[:3], entities={"phone": "13812345678", "amount": "¥299"}, complaint=True),
        {"event": "action", "name": "action_route", "timestamp": T0 + 6},
        slot("severity", "severe", T0 + 6),
        slot("route", "handoff", T0 + 6),
        slot("routing", HANDOFF_RECORD, T0 + 6),
        slot("handoff_request", HANDOFF_RECORD, T0 + 6),
        bot("我非常重视您反映的退款问题，已按「严重」级别记录。", T0 + 7),
        bot("您好，我是人工客服李娜，退款的事由我负责。请问是 ¥299 那笔吗？", T0 + 60,
            metadata={"handoff_agent": "李娜"}),
        user("对，就是那笔", "affirm", T0 + 70, emotion="sadness", emotion_confidence=0.6),
    ]


def package(events: list[dict], language: str, texts: HandoffTexts, **overrides: Any) -> dict:
    arguments: dict[str, Any] = {"conversation_id": "tg-551234", "channel": "telegram", "language": language,
                                 "case": None, "slots": {}, "earlier_cases": [], "sla": {}, "texts": texts}
    arguments.update(overrides)
    return build_package(events, **arguments)


def test_zh_hans_package_has_every_field(texts: HandoffTexts) -> None:
    created = datetime(2025, 11, 20, 9, 0, 6, tzinfo=timezone.utc)
    case = {"id": "C-20251120-0001", "category": "complain_refund", "severity": "severe",
            "reasons": SEVERE_REASONS, "state": "received", "created_at": created}
    sla = {"first_response_due": datetime(2025, 11, 20, 9, 1, 6, tzinfo=timezone.utc),
           "resolution_due": "2025-11-20T13:00:06+00:00"}
    slots = {"order_id": "20251103887", "phone": "13812345678", "language": "zh-Hans", "routing": HANDOFF_RECORD,
             "handoff_request": HANDOFF_RECORD, "requested_slot": None, "session_started_metadata": {"x": 1},
             "pending_request": None}
    earlier = [{"id": "C-20251001-0007", "category": "complain_delivery", "severity": "general", "state": "closed",
                "created_at": datetime(2025, 10, 1, 8, 0)},
               {"case_id": "C-20251120-0001", "category": "complain_refund", "severity": "severe", "state": "received"}]
    p = package(zh_hans_refund(), "zh-Hans", texts, case=case, slots=slots, earlier_cases=earlier, sla=sla)

    assert json.loads(json.dumps(p, ensure_ascii=False)) == p
    assert p["customer"] == {"id": "tg-551234", "channel": "telegram", "language": "zh-Hans"}
    assert p["case"]["id"] == "C-20251120-0001" and p["case"]["created_at"] == "2025-11-20T09:00:06+00:00"

    transcript = p["transcript"]
    assert p["transcript_truncated"] == 0
    assert [m["role"] for m in transcript] == ["customer", "bot", "customer", "bot", "customer", "bot", "agent",
                                               "customer"]
    assert transcript[0]["at"] == "2025-11-17T09:00:01+00:00"
    complaint = transcript[4]
    assert complaint["intent"] == "complain_refund" and complaint["intent_confidence"] == 0.93
    assert complaint["emotion"] == "anger" and complaint["emotion_confidence"] == 0.91
    assert "138****5678" in complaint["text"] and "13812345678" not in complaint["text"]
    assert "20251103887" in transcript[2]["text"]
    assert transcript[5]["intent"] is None and transcript[5]["emotion"] is None
    assert transcript[6]["agent"] == "李娜" and "agent" not in transcript[5]

    assert [(t["emotion"], t["confidence"]) for t in p["emotion_trajectory"]] == [
        ("neutral", 0.8), ("anxiety", 0.72), ("anger", 0.91), ("sadness", 0.6)]
    assert p["emotion_trajectory"][2]["at"] == "2025-11-20T09:00:05+00:00"

    assert p["entities"] == {"order_id": "20251103887", "phone": "138****5678", "amount": "¥299"}
    assert p["slots"] == {"order_id": "20251103887", "phone": "138****5678"}
    assert p["severity"] == {"level": "severe", "reasons": SEVERE_REASONS}
    assert p["category"] == "complain_refund"

    summary = p["summary"]
    assert "退款" in summary and "严重" in summary and "20251103887" in summary and "¥299" in summary
    assert "第三次" in summary and "12315" in summary and "情绪从焦虑升为愤怒，目前失望" in summary
    assert not UNMASKED_MOBILE.search(summary) and "13812345678" not in json.dumps(p)

    assert p["earlier_cases"] == [{"id": "C-20251001-0007", "category": "complain_delivery", "severity": "general",
                                   "state": "closed", "created_at": "2025-10-01T08:00:00+00:00"}]
    assert len(p["suggested_replies"]) in (3, 4) and 3 <= len(p["canned_replies"]) <= 5
    assert any("20251103887" in r for r in p["suggested_replies"])
    assert any("C-20251120-0001" in r for r in p["suggested_replies"])
    assert all("{order_id}" not in r and "{case_id}" not in r and "{amount}" not in r for r in p["suggested_replies"])
    assert any("退款" in r for r in p["canned_replies"])
    assert p["sla"] == {"first_response_due": "2025-11-20T09:01:06+00:00",
                        "resolution_due": "2025-11-20T13:00:06+00:00"}


def test_without_a_case_the_handoff_grade_and_category_are_used(texts: HandoffTexts) -> None:
    p = package(zh_hans_refund(), "zh-Hans", texts)
    assert p["case"] is None
    assert p["severity"] == {"level": "severe", "reasons": SEVERE_REASONS}
    assert p["category"] == "complain_refund"
    assert any("{case_id}" in r for r in p["suggested_replies"])  # no case yet: the agent fills it in


def test_without_case_or_handoff_the_worst_message_of_the_latest_session_counts(texts: HandoffTexts) -> None:
    events = [e for e in zh_hans_refund() if e.get("event") != "slot"]
    p = package(events, "zh", texts)
    assert p["severity"] == {"level": "severe", "reasons": SEVERE_REASONS[:3]}  # not the closing "对，就是那笔"
    assert p["customer"]["language"] == "zh-Hans"


def zh_hant_quality() -> list[dict]:
    return [
        *session(T0),
        user("我買的充電寶用了兩天就冒煙了，差點燒到床單，太危險了！電話 0912-345-678", "complain_product_quality",
             T0 + 3, emotion="anxiety", emotion_confidence=0.86, level="severe",
             reasons=["intent:complain_product_quality", "emotion:anxiety(0.86)", "risk:safety_health"],
             entities={"phone": "0912-345-678"}, complaint=True, channel="web"),
        bot("我非常重視您反映的商品質量問題，已按「嚴重」級別記錄。", T0 + 4),
        user("訂單是 20251030777", "inform", T0 + 20, emotion="neutral", emotion_confidence=0.7,
             entities={"order_id": "20251030777"}, channel="web"),
    ]


def test_zh_hant_package_offers_replies_in_traditional_and_summarises_in_simplified(texts: HandoffTexts) -> None:
    p = package(zh_hant_quality(), "zh-Hant", texts, channel="")
    assert p["customer"] == {"id": "tg-551234", "channel": "web", "language": "zh-Hant"}
    assert p["category"] == "complain_product_quality"
    assert p["severity"]["level"] == "severe"
    assert p["entities"] == {"phone": "091*-***-678", "order_id": "20251030777"}
    assert "091*-***-678" in p["transcript"][0]["text"]
    assert "客户投诉产品质量问题（严重）" in p["summary"] and "20251030777" in p["summary"]
    assert "人身安全" in p["summary"] and "0912-345-678" not in p["summary"]
    assert any("訂單 20251030777" in r for r in p["suggested_replies"])
    assert any("質量問題" in r for r in p["canned_replies"])


def en_delivery() -> list[dict]:
    return [
        *session(T0),
        user("Where is my parcel? Order 20251103887 was due on Nov 6 and tracking hasn't moved for a week",
             "complain_delivery", T0 + 2, emotion="anxiety", emotion_confidence=0.64, level="general",
             reasons=["intent:complain_delivery", "emotion:anxiety(0.64)"],
             entities={"order_id": "20251103887", "date": "Nov 6"}, complaint=True, channel="socketio"),
        bot("Sorry for the inconvenience. I've noted your feedback about delivery.", T0 + 3),
        user("This is ridiculous, I want to talk to a real person. Email me at jane.doe@example.com", "request_human",
             T0 + 30, emotion="anger", emotion_confidence=0.83, level="important",
             reasons=["intent:complain_general", "emotion:anger(0.83)", "history:emotion_rising"],
             channel="socketio"),
        bot("Sure, I'll get you a person.", T0 + 31),
        bot("Hi, this is Sam from the support team. I'm checking order 20251103887 with the carrier now.", T0 + 90,
            data={"custom": {"agent": {"id": "a-7", "name": "Sam"}}}),
    ]


def test_en_package_marks_agent_messages_from_the_custom_payload(texts: HandoffTexts) -> None:
    p = package(en_delivery(), "en", texts, channel="socketio")
    assert p["customer"]["language"] == "en"
    roles = [m["role"] for m in p["transcript"]]
    assert roles == ["customer", "bot", "customer", "bot", "agent"]
    assert p["transcript"][-1]["agent"] == "Sam"
    assert "ja***@example.com" in p["transcript"][2]["text"]
    assert p["category"] == "complain_delivery"  # the request for a person is about the delivery complaint
    assert p["severity"] == {"level": "important",
                             "reasons": ["intent:complain_general", "emotion:anger(0.83)", "history:emotion_rising"]}
    summary = p["summary"]
    assert summary.startswith("Customer complains about delivery (important)")
    assert "anxiety to anger" in summary and "20251103887" in summary and "Nov 6" in summary
    assert "jane.doe" not in summary
    assert all(r.isascii() or "¥" in r or "–" in r for r in p["suggested_replies"] + p["canned_replies"])
    assert any("20251103887" in r for r in p["suggested_replies"])


def test_plain_request_for_a_person_gets_the_request_human_replies(texts: HandoffTexts) -> None:
    events = [user("转人工", "request_human", T0)]
    p = package(events, "zh-Hans", texts)
    assert p["category"] == "request_human"
    assert p["summary"] == "客户要求转人工。"
    assert p["suggested_replies"] == texts.suggested("request_human", "zh-Hans")
    assert any("400-820-0000" in r for r in p["canned_replies"])


def test_huge_conversation_keeps_the_latest_messages_and_says_how_many_were_dropped(texts: HandoffTexts) -> None:
    events: list[dict] = []
    for i in range(300):
        events.append(user(f"第{i}条消息，快递还没到", "complain_delivery", T0 + i * 2, level="general",
                           reasons=["intent:complain_delivery"], complaint=True))
        events.append(bot(f"回复{i}", T0 + i * 2 + 1))
    p = package(events, "zh-Hans", texts)
    assert len(p["transcript"]) == MAX_TRANSCRIPT
    assert p["transcript_truncated"] == 600 - MAX_TRANSCRIPT
    assert p["transcript"][-1]["text"] == "回复299" and p["transcript"][0]["text"] == "第200条消息，快递还没到"
    assert len(p["emotion_trajectory"]) == MAX_TRANSCRIPT
    assert len(p["summary"]) < 200


def test_robust_to_missing_and_malformed_fields(texts: HandoffTexts) -> None:
    events: list[Any] = [
        {"event": "user", "text": "在吗"},
        {"event": "user", "text": None, "parse_data": None, "timestamp": "not a time", "metadata": None},
        {"event": "user", "text": "hello", "parse_data": {"intent": None, "emotion": "angry", "entities": [None, {}],
                                                          "severity": "severe"}, "timestamp": 1e20},
        {"event": "bot", "text": None, "data": None},
        {"event": "bot", "text": "ok", "metadata": None, "data": {"custom": "not a dict"}},
        {"event": "slot"}, {"event": "slot", "name": "order_id", "value": "20251103887"},
        {"event": "session_started"}, {}, "garbage", None,
    ]
    p = package(events, "", texts, slots={"phone": None, "note": ""}, earlier_cases=[None, {"id": "C-1"}])
    assert [m["role"] for m in p["transcript"]] == ["customer", "customer", "customer", "bot"]
    assert p["transcript"][1]["text"] == "" and p["transcript"][1]["at"] is None
    assert p["transcript"][2]["at"] is None and p["transcript"][2]["intent"] is None
    assert p["emotion_trajectory"] == []
    assert p["entities"] == {}
    assert p["slots"] == {"order_id": "20251103887"}
    assert p["severity"] == {"level": "severe", "reasons": []}
    assert p["customer"] == {"id": "tg-551234", "channel": "telegram", "language": "zh-Hans"}
    assert p["earlier_cases"] == [{"id": "C-1", "category": None, "severity": None, "state": None,
                                   "created_at": None}]
    json.dumps(p)

    empty = package([], "en", texts, channel="")
    assert empty["transcript"] == [] and empty["severity"] == {"level": "none", "reasons": []}
    assert empty["summary"] == "Customer asks for a person." and empty["customer"]["channel"] is None


def test_summary_from_labels_in_both_languages(texts: HandoffTexts) -> None:
    arguments: dict[str, Any] = {
        "category": "complain_refund", "severity": "important", "reasons": SEVERE_REASONS,
        "emotion_trajectory": ["anxiety", None, "anger"],
        "customer_turns": ["20251103887", "退款半个月未到账，客服电话打了没人接，我的手机13812345678", "好"],
        "entities": {"order_id": "20251103887", "amount": "¥299", "phone": "13812345678"}, "earlier_cases": 2}
    zh = summarize("zh-Hant", **arguments, texts=texts)
    assert zh.startswith("客户投诉退款问题（重要）：退款半个月未到账，客服电话打了没人接，我的手机138****5678")
    assert "情绪从焦虑升为愤怒" in zh and "已第三次联系" in zh and "此前有 2 个投诉单" in zh
    assert "订单号 20251103887，金额 ¥299。" in zh and zh.endswith("风险：扬言投诉监管部门（12315、消协等）。")
    assert len(re.findall("。", zh)) == 3
    en = summarize("en", **arguments, texts=texts)
    assert en.startswith("Customer complains about refund (important): \"")
    assert "mood went from anxiety to anger" in en and "contact no. 3" in en and "Order 20251103887" in en
    assert not UNMASKED_MOBILE.search(zh + en)


def test_quote_is_masked_before_it_is_cut(texts: HandoffTexts) -> None:
    turn = "我" * 56 + "13812345678 后面还有很多很多话"
    summary = summarize("zh", category="complain_general", severity="general", reasons=[], emotion_trajectory=[],
                        customer_turns=[turn], entities={}, earlier_cases=0, texts=texts)
    assert "1381" not in summary and "…" in summary


def test_quote_prefers_words_over_numbers() -> None:
    assert pick_quote(["20251103887", "盖子坏了", "C-20251120-0042"]) == "盖子坏了"
    assert pick_quote(["ok", "The lid is bent", "the lid is torn"]) == "the lid is torn"
    assert pick_quote([]) == ""


# The texts file: complete for every category, language and line.

def complaint_categories() -> list[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [i for i in domain["intents"] if isinstance(i, str) and i.startswith("complain_")] + ["request_human"]


@pytest.mark.parametrize("language", ["zh-Hans", "zh-Hant", "en"])
def test_every_category_has_replies_in_every_language(texts: HandoffTexts, language: str) -> None:
    for category in complaint_categories():
        assert category in texts.categories, category
        suggested, canned = texts.suggested(category, language), texts.canned(category, language)
        assert 3 <= len(suggested) <= 4, (category, language)
        assert 3 <= len(canned) <= 5, (category, language)
        assert len(set(suggested + canned)) == len(suggested + canned)


@pytest.mark.parametrize("language", ["zh-Hans", "zh-Hant", "en"])
def test_every_line_and_state_exists_in_every_language(texts: HandoffTexts, language: str) -> None:
    for key in LINE_KEYS:
        assert texts.has_line(key), key
        assert texts.line(key, language)
    for state in CASE_STATES:
        assert texts.state_label(state, language) != state or language == "en"


def test_lines_fill_their_placeholders(texts: HandoffTexts) -> None:
    queued = texts.line("handoff_queued", "zh-Hans", case_id="C-20251120-0001", position=2, wait="约 3 分钟")
    assert "C-20251120-0001" in queued and "2 位" in queued and "约 3 分钟" in queued and "{" not in queued
    status = texts.line("case_status", "en", case_id="C-20251120-0001", state=texts.state_label("investigating", "en"),
                        updated="2025-11-20 10:00")
    assert status == "Case C-20251120-0001 is currently: under investigation (updated 2025-11-20 10:00)."
    assert texts.line("case_not_found", "zh-Hant", case_id="C-1").startswith("沒有查到投訴單 C-1")
    assert texts.state_label("in_progress", "zh-Hant") == "方案實施中"
    assert "{phone}" in texts.line("callback_recorded", "zh-Hans", case_id="C-1")  # unknown stays visible


def test_labels_fall_back_to_the_knowledge_file_then_to_the_key(texts: HandoffTexts) -> None:
    assert texts.label("severity", "important", "zh-Hans") == "重要"
    assert texts.label("severity", "severe", "zh-Hant") == "嚴重"
    assert texts.label("emotion", "anger", "en") == "anger"
    assert texts.label("nothing", "x", "en") == "x"
    assert HandoffTexts({}).label("severity", "severe", "zh") == "severe"


def test_unknown_category_gets_the_general_replies(texts: HandoffTexts) -> None:
    assert texts.suggested("complain_new_kind", "en") == texts.suggested("complain_general", "en")
    assert texts.canned(None, "zh") == texts.canned("complain_general", "zh-Hans")


@pytest.mark.parametrize(("given", "code"), [("zh", "zh-Hans"), ("zh-Hans", "zh-Hans"), ("zh-CN", "zh-Hans"),
                                             ("zh-Hant", "zh-Hant"), ("zh_TW", "zh-Hant"), ("zh-HK", "zh-Hant"),
                                             ("en", "en"), ("en-US", "en"), ("", "zh-Hans"), (None, "zh-Hans")])
def test_language_codes(given: Optional[str], code: str) -> None:
    assert language_code(given) == code


def test_explicit_traditional_wins_and_malformed_entries_are_refused() -> None:
    raw = {"lines": {"x": {"zh": "请稍等", "zh-Hant": "請稍候", "en": "One moment"},
                     "y": {"zh": "请稍等", "en": "Wait"}}}
    t = HandoffTexts(raw)
    assert t.line("x", "zh-Hant") == "請稍候" and t.line("y", "zh-Hant") == "請稍等"
    with pytest.raises(KnowledgeError):
        HandoffTexts({"lines": {"x": {"zh": "只有中文"}}})
    with pytest.raises(KnowledgeError):
        HandoffTexts({"replies": {"complain_refund": {"suggested": {"zh": "a", "en": "b"}}}})
    with pytest.raises(KnowledgeError):
        HandoffTexts([])  # type: ignore[arg-type]


def test_edits_are_picked_up_and_a_broken_file_keeps_the_last_good_version(tmp_path: Path) -> None:
    path = tmp_path / "handoff.yml"
    path.write_text('lines:\n  rating_thanks: {zh: "谢谢", en: "thanks"}\n', encoding="utf-8")
    live = HandoffTextsFile(path, knowledge=None)
    assert live.get().line("rating_thanks", "en") == "thanks"
    path.write_text('lines:\n  rating_thanks: {zh: "多谢", en: "thank you"}\n', encoding="utf-8")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert live.get().line("rating_thanks", "en") == "thank you"
    path.write_text("lines: [broken\n", encoding="utf-8")
    os.utime(path, (time.time() + 10, time.time() + 10))
    assert live.get().line("rating_thanks", "en") == "thank you"
    assert live.last_error and "not valid YAML" in live.last_error
