"""The Bot API client: flood control waited out, a token of another bot refused."""

from __future__ import annotations

import pytest
from rasa.shared.exceptions import RasaException

from connectors.telegram.channel import TelegramInput
from tests.telegram_stub import BotApiStub
from tests.unit.connectors.telegram.support import SECRET, channel


async def test_flood_control_is_waited_out(api: BotApiStub) -> None:
    out = channel(api).get_output_channel()
    await out.send_text_message("5454", "warm up")  # initialises the bot
    mark = api.mark()
    api.fail_next("sendMessage", retry_after=1)
    await out.send_text_message("5454", "稍等一下")
    sent = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert [c.text for c in sent] == ["稍等一下", "稍等一下"] and sent[1].at - sent[0].at >= 0.9


async def test_a_token_of_another_bot_is_refused(api: BotApiStub) -> None:
    ch = TelegramInput(api.token, SECRET, verify="some_other_bot", base_url=api.base_url, redis_url="")
    with pytest.raises(RasaException, match="some_other_bot"):
        await ch.get_output_channel().send_text_message("42", "hi")
