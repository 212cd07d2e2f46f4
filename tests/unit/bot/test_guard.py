"""The customer-message gate (bot/guard.py): what a customer is told, and what NLU never sees.

A fake agent stands in for Rasa's (it records what reaches NLU) and a fake limiter for Redis;
the output channel is Rasa's own collecting channel, the one the REST webhook answers from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage

from bot import guard
from bot.guard import TEXTS_FILE, Gate, LimitTexts, clean
from core.limits import Verdict
from shop.knowledge import KnowledgeError

LIMIT = 4000


class FakeLimiter:
    def __init__(self, allowed: int = 1000, retry_after_s: int = 42) -> None:
        self.allowed, self.retry_after_s = allowed, retry_after_s
        self.hits: list[tuple[str, str]] = []

    def hit(self, rule: str, key: str = "all") -> Verdict:
        self.hits.append((rule, key))
        if sum(1 for r, k in self.hits if (r, k) == (rule, key)) > self.allowed:
            return Verdict(False, self.retry_after_s)
        return Verdict(True)


class FakeAgent:
    """Records every message that got past the gate, i.e. would have been parsed and stored."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    async def handle_message(self, message: UserMessage) -> Optional[list[dict[str, Any]]]:
        self.parsed.append(message.text or "")
        await message.output_channel.send_text_message(message.sender_id, "bot answer")
        return None


class BrokenChannel(OutputChannel):
    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        raise ConnectionError("customer's channel is down")


@pytest.fixture()
def limiter() -> FakeLimiter:
    return FakeLimiter()


@pytest.fixture()
def agent(limiter: FakeLimiter) -> FakeAgent:
    texts = LimitTexts.parse(TEXTS_FILE)
    fake = FakeAgent()
    gate = Gate(LIMIT, limiter, lambda: texts)
    fake.handle_message = guard.guarded(FakeAgent.handle_message, lambda: gate).__get__(fake)  # type: ignore
    return fake


async def send(agent: FakeAgent, text: Optional[str], sender: str = "rest:alice") -> list[str]:
    channel = CollectingOutputChannel()
    returned = await agent.handle_message(UserMessage(text, channel, sender))
    if returned is not None:
        assert returned == channel.messages  # what the REST webhook sends back
    return [m["text"] for m in channel.messages]


async def test_a_too_long_chinese_message_is_refused_in_chinese_and_never_parsed(agent: FakeAgent,
                                                                                 limiter: FakeLimiter) -> None:
    [reply] = await send(agent, "订单到哪了" * 40_000)  # 200 000 characters
    assert reply == "您的消息太长了（200000 字），我没有读取。请精简到 4000 字以内，分几条发送也可以。"
    assert agent.parsed == [] and limiter.hits == []  # not parsed, and not even a Redis round trip


async def test_a_too_long_message_is_answered_in_the_customers_script(agent: FakeAgent) -> None:
    [english] = await send(agent, "where is my order?" * 300)
    assert english.startswith("Your message is too long (5400 characters)") and "at most 4000" in english
    [traditional] = await send(agent, "請問退貨規定是什麼" * 500)
    assert traditional.startswith("您的訊息太長了（4500 字）")
    assert agent.parsed == []


async def test_a_message_of_exactly_the_limit_is_read(agent: FakeAgent) -> None:
    assert await send(agent, "a" * LIMIT) == ["bot answer"]
    assert agent.parsed == ["a" * LIMIT]


async def test_nul_and_control_characters_never_reach_nlu(agent: FakeAgent) -> None:
    assert await send(agent, "\x00订单\x07 20251103887\x1b[31m 到哪了\x85\x7f\r\n第二行\t好") == ["bot answer"]
    assert agent.parsed == ["订单 20251103887[31m 到哪了\n第二行\t好"]


async def test_a_message_of_only_control_characters_gets_a_polite_reply_in_both_languages(agent: FakeAgent) -> None:
    [reply] = await send(agent, "\x00\x00\x01\x9f")
    assert reply == ("抱歉，我没能读懂这条消息，请用文字再说一次。\n"
                     "Sorry, I could not read that message. Could you write it again in words?")
    assert agent.parsed == []


async def test_a_conversation_over_its_rate_is_asked_to_wait_and_others_are_not(agent: FakeAgent) -> None:
    agent_limit = FakeLimiter(allowed=5, retry_after_s=37)
    texts = LimitTexts.parse(TEXTS_FILE)
    gate = Gate(LIMIT, agent_limit, lambda: texts)
    agent.handle_message = guard.guarded(FakeAgent.handle_message, lambda: gate).__get__(agent)  # type: ignore
    for n in range(5):
        assert await send(agent, f"where is my order {n}?") == ["bot answer"]
    [slow_down] = await send(agent, "where is my order 5?")
    assert slow_down.startswith("You are sending messages too fast; please wait 37 seconds.")
    [zh] = await send(agent, "订单到哪了")
    assert zh.startswith("您发送得太快了，请等 37 秒后再发。")
    assert await send(agent, "where is my order?", sender="rest:bob") == ["bot answer"]
    assert agent.parsed == [f"where is my order {n}?" for n in range(5)] + ["where is my order?"]
    assert {key for _, key in agent_limit.hits} == {"rest:alice", "rest:bob"}
    assert {rule for rule, _ in agent_limit.hits} == {"conversation"}


async def test_a_message_without_text_passes_untouched(agent: FakeAgent) -> None:
    assert await send(agent, None) == ["bot answer"]


async def test_a_broken_channel_does_not_turn_a_refusal_into_an_error(agent: FakeAgent) -> None:
    assert await agent.handle_message(UserMessage("x" * (LIMIT + 1), BrokenChannel(), "telegram:1")) is None
    assert agent.parsed == []


def test_clean_keeps_ordinary_text_as_it_is() -> None:
    text = "  订单 20251103887\n到哪了\t"
    assert clean(text) is text  # no copy, no strip: Rasa already stripped it


def test_install_is_idempotent_and_keeps_the_original_behind_the_gate() -> None:
    class SomeAgent:
        async def handle_message(self, message: UserMessage) -> None:
            """Handle a single message."""

    assert guard.install(SomeAgent) is True
    wrapped = SomeAgent.handle_message
    assert guard.install(SomeAgent) is False
    assert SomeAgent.handle_message is wrapped and wrapped.__doc__ == "Handle a single message."


def test_rasa_serving_processes_get_the_gate_with_the_lock_store() -> None:
    from rasa.core.agent import Agent

    import bot.lock_store  # noqa: F401  what Rasa imports in every worker from the endpoints

    assert getattr(Agent.handle_message, "__shop_guard__", False)


def test_the_texts_file_has_every_line_in_every_language() -> None:
    texts = LimitTexts.parse(TEXTS_FILE)
    for lang in ("zh-Hans", "zh-Hant", "en"):
        assert "4000" in texts.render("too_long", lang, length=5000, limit=4000)
        assert "9" in texts.render("too_fast", lang, seconds=9, limit=4000)
        assert texts.render("unreadable", lang, limit=4000)


def test_a_texts_file_missing_a_line_is_refused_with_where(tmp_path: Path) -> None:
    path = tmp_path / "limits.yml"
    path.write_text("lines:\n  too_long:\n    zh: 太长\n    en: too long\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="too_fast, unreadable"):
        LimitTexts.parse(path)
