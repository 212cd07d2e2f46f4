"""The request helpers every route shares."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import cast

import pytest
from sanic.request import Request

from handoff.api.http import MAX_TEXT, ApiError, body_of, off_loop, text_field


def request_with(body: bytes) -> Request:
    return cast(Request, SimpleNamespace(body=body))


def test_a_body_is_a_json_object_or_a_400() -> None:
    assert body_of(request_with(b"")) == {}
    assert body_of(request_with('{"text": "你好"}'.encode())) == {"text": "你好"}
    for bad in (b"{not json", b"[1, 2]", b"\xff\xfe"):
        with pytest.raises(ApiError) as refused:
            body_of(request_with(bad))
        assert refused.value.status == 400 and refused.value.code == "bad_json"


def test_text_fields_are_non_empty_strings_within_the_limit() -> None:
    assert text_field({"text": "hello"}) == "hello"
    assert text_field({}, "note", required=False) == ""
    for data in ({}, {"text": "  "}, {"text": 5}):
        with pytest.raises(ApiError) as refused:
            text_field(data)
        assert (refused.value.status, refused.value.code) == (422, "invalid")
    with pytest.raises(ApiError) as refused:
        text_field({"text": "x" * (MAX_TEXT + 1)})
    assert refused.value.code == "too_long" and str(MAX_TEXT) in refused.value.message


async def test_database_calls_run_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    assert await off_loop(lambda x, y=0: (threading.get_ident(), x + y), 1, y=2) != (loop_thread, 3)
    assert (await off_loop(lambda x, y=0: (threading.get_ident(), x + y), 1, y=2))[1] == 3
