"""Only the server makes widget sessions; a token proves one id and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.web_session import new_session_id, presented_token, token_for, verified_session

KEY = "k" * 43


def test_a_new_session_is_an_unguessable_web_id() -> None:
    first, second = new_session_id(), new_session_id()
    assert first.startswith("web:") and len(first) == len("web:") + 32 and first != second


def test_the_token_brings_the_widget_back_to_its_own_conversation() -> None:
    session = new_session_id()
    assert verified_session(KEY, token_for(KEY, session)) == session


def test_a_token_is_bound_to_its_secret_so_every_worker_with_that_secret_accepts_it() -> None:
    session = new_session_id()
    token = token_for(KEY, session)
    assert verified_session(KEY, token) == verified_session("k" * 43, token) == session
    assert verified_session("another secret", token) is None  # a new SESSION_SECRET ends old sessions


@pytest.mark.parametrize("forged", [
    "web:0123.deadbeef",                                    # a made-up signature
    "alice@example.com",                                    # the hijack's bare id
    "rest:alice@example.com",                               # another channel's id
    token_for(KEY, "rest:alice@example.com"),               # signed, but not a web id
    token_for(KEY, "web:abc")[:-1] + "0",                   # one character changed
    token_for(KEY, "web:abc").replace("web:abc", "web:abd"),  # someone else's id, own signature
    "", None, 42, {"session_id": "web:abc"}, "web:" + "a" * 500 + ".00",
    "web:é." + "0" * 64,
])
def test_a_forged_or_foreign_token_proves_nothing(forged: Any) -> None:
    assert verified_session(KEY, forged) is None


def test_only_the_token_is_read_from_a_session_request() -> None:
    assert presented_token({"session_id": "rest:alice", "token": "t"}) == "t"
    assert presented_token({"session_id": "rest:alice"}) is None  # the old widget's request: no proof
    assert presented_token("rest:alice") is None and presented_token(None) is None
