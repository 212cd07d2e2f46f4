"""The 48-hour window of WeChat's customer-service messages, decided in one place."""

from __future__ import annotations

from core.channels import channel_of, conversation_id
from core.reach import last_inbound_key, reply_window, unreachable_since

HOUR = 3600.0


def test_wechat_conversations_are_namespaced() -> None:
    assert conversation_id("wechat", "oAbC-123") == "wechat:oAbC-123"
    assert channel_of("wechat:oAbC-123") == "wechat"


def test_only_wechat_has_a_window() -> None:
    assert reply_window("wechat:o1") == 48 * HOUR
    assert reply_window("telegram:1") is None and reply_window("web:abc") is None and reply_window("o1") is None


def test_the_window_closes_48_hours_after_the_last_message() -> None:
    now = 1_800_000_000.0
    assert unreachable_since("wechat:o1", now - 47 * HOUR, now) is None
    assert unreachable_since("wechat:o1", now - 49 * HOUR, now) == now - HOUR
    assert unreachable_since("wechat:o1", None, now) is None  # unknown: WeChat itself will say
    assert unreachable_since("telegram:1", now - 1000 * HOUR, now) is None


def test_the_key_names_the_conversation() -> None:
    assert last_inbound_key("wechat:o1") == "reach:last_inbound:wechat:o1"
