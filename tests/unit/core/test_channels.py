"""Conversation ids name their channel, so no channel can address another channel's customer."""

from core.channels import channel_of, conversation_id, local_id


def test_each_channel_gets_its_own_namespace() -> None:
    assert conversation_id("telegram", "42") == "telegram:42"
    assert conversation_id("socketio", "abc") == "web:abc"
    assert conversation_id("rest", "alice@example.com") == "rest:alice@example.com"
    assert conversation_id("rest", "web:abc") == "rest:web:abc"  # a REST caller cannot reach a widget


def test_an_id_says_its_channel_and_the_channels_own_id() -> None:
    assert channel_of("telegram:42") == "telegram" and local_id("telegram:42") == "42"
    assert channel_of("web:abc") == "socketio"
    assert channel_of("alice") is None and local_id("alice") == "alice"


def test_namespacing_twice_changes_nothing() -> None:
    assert conversation_id("rest", conversation_id("rest", "bob")) == "rest:bob"
