"""The credentials section is checked before the channel starts."""

from __future__ import annotations

import pytest
from rasa.shared.exceptions import RasaException

from connectors.wechat.channel import WeChatInput
from connectors.wechat.credentials import problems, webhook_url
from tests.wechat_stub import AES_KEY, APPID, SECRET, TOKEN

GOOD = {"token": TOKEN, "appid": APPID, "secret": SECRET, "encoding_aes_key": AES_KEY}


def test_a_good_section_has_no_problems() -> None:
    assert problems(GOOD) == []
    assert problems({**GOOD, "encoding_aes_key": None}) == []  # plain mode


@pytest.mark.parametrize("change,found", [
    ({"token": ""}, "needs `token`"), ({"secret": None}, "needs `secret`"),
    ({"token": "有空格 的"}, "3–32 letters"), ({"encoding_aes_key": AES_KEY[:-1]}, "it has 42"),
])
def test_problems_are_named(change: dict, found: str) -> None:
    assert any(found in p for p in problems({**GOOD, **change}))


def test_the_channel_refuses_a_bad_section() -> None:
    with pytest.raises(RasaException, match="43 letters"):
        WeChatInput.from_credentials({**GOOD, "encoding_aes_key": "short"})
    channel = WeChatInput.from_credentials({**GOOD, "redis_url": ""})
    assert isinstance(channel, WeChatInput) and channel.name() == "wechat"


def test_the_webhook_url() -> None:
    assert webhook_url("https://shop.example/") == "https://shop.example/webhooks/wechat/webhook"
