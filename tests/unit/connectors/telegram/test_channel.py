"""The input channel without a Rasa server: its credentials, the webhook's checks and answers,
and the output channel Rasa finds for `output_channel=latest`."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from rasa.shared.exceptions import RasaException

from connectors.telegram.channel import TelegramInput
from connectors.telegram.output import TelegramOutput
from connectors.telegram.state import BUTTON_KEY_PREFIX
from tests.telegram_stub import BotApiStub, callback_update, text_update
from tests.unit.connectors.telegram.support import SECRET, Received, channel, post


def test_credentials_need_a_token_and_a_valid_secret() -> None:
    ch = TelegramInput.from_credentials({"access_token": "1:x", "secret_token": SECRET, "verify": "shop_bot",
                                         "webhook_url": "https://shop.example/webhooks/telegram/webhook"})
    assert isinstance(ch, TelegramInput) and ch.name() == "telegram"
    with pytest.raises(RasaException, match="secret_token"):
        TelegramInput.from_credentials({"access_token": "1:x"})
    with pytest.raises(RasaException, match="access_token"):
        TelegramInput.from_credentials({"secret_token": SECRET})
    with pytest.raises(RasaException, match="secret_token"):
        TelegramInput.from_credentials({"access_token": "1:x", "secret_token": "has spaces & more"})
    with pytest.raises(RasaException):
        TelegramInput.from_credentials(None)


async def test_wrong_or_missing_secret_is_refused_and_nothing_happens(api: BotApiStub) -> None:
    ch, received, mark = channel(api), Received(), api.mark()
    for secret in (None, "", "wrong", SECRET + "x"):
        status, body = await post(ch, text_update(1, 42, "你好"), received, secret=secret)
        assert status == 403 and body["error"]["code"] == "forbidden"
    assert received.messages == [] and api.mark() == mark
    status, _ = await post(ch, text_update(1, 42, "你好"), received)
    assert status == 200 and len(received.messages) == 1  # the refused calls did not use up the update id


async def test_malformed_bodies_are_400_with_a_reason(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    for body, code in ((b"{not json", "malformed_json"), (b"\xff\xfe", "malformed_json"), (b"", "malformed_json"),
                       (b"[]", "not_an_update"), (b'"text"', "not_an_update"), (b'{"message": {}}', "not_an_update"),
                       (b'{"update_id": "7"}', "not_an_update"), (b'{"update_id": true}', "not_an_update"),
                       (b'{"update_id": 7, "message": {"text": "no chat"}}', "not_an_update"),
                       (b'{"update_id": 8, "callback_query": {"id": 1}}', "not_an_update")):
        status, answer = await post(ch, body, received)
        assert (status, answer["error"]["code"]) == (400, code), body
        assert answer["error"]["message"]
    assert received.messages == []


async def test_text_message_becomes_a_user_message_for_the_chat(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    status, body = await post(ch, text_update(100, 4242, "订单 20251103887 到哪了"), received)
    assert (status, body) == (200, {"ok": True, "status": "accepted"})
    [message] = received.messages
    assert message.text == "订单 20251103887 到哪了" and message.sender_id == "telegram:4242"
    assert message.input_channel == "telegram" and isinstance(message.output_channel, TelegramOutput)
    info = message.metadata["telegram"]
    assert info["update_id"] == 100 and info["chat_type"] == "private"
    assert info["user"] == {"id": 4242, "is_bot": False, "first_name": "Lin", "username": "customer4242",
                            "language_code": "zh-hans"}
    json.dumps(message.metadata)  # stored in the tracker: must be plain JSON


async def test_the_same_update_twice_is_handled_once(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    assert (await post(ch, text_update(200, 42, "你好"), received))[1]["status"] == "accepted"
    assert (await post(ch, text_update(200, 42, "你好"), received))[1]["status"] == "duplicate"
    assert len(received.messages) == 1


async def test_other_updates_are_ignored_with_200(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    edited = {"update_id": 301, "edited_message": text_update(0, 42, "改一下")["message"]}
    sticker = text_update(302, 42, "")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "CAAC", "file_unique_id": "u", "type": "regular", "width": 512,
                                     "height": 512, "is_animated": False, "is_video": False}
    group = text_update(303, -100123, "大家好")
    group["message"]["chat"] = {"id": -100123, "title": "Shop fans", "type": "supergroup"}
    for update in (edited, sticker, group):
        assert await post(ch, update, received) == (200, {"ok": True, "status": "ignored"})
    assert received.messages == []


async def test_commands_reach_rasa_as_words(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    await post(ch, text_update(400, 42, "/start"), received)
    await post(ch, text_update(401, 43, "/start", language_code="en"), received)
    assert [m.text for m in received.messages] == ["你好", "hello"]


async def test_one_chats_messages_keep_their_order(api: BotApiStub) -> None:
    ch, received = channel(api), Received(delay=0.3)  # the first message is slow to handle
    await ch.receive(SECRET, json.dumps(text_update(500, 42, "第一句")).encode(), received)
    await ch.receive(SECRET, json.dumps(text_update(501, 42, "第二句")).encode(), received)
    await ch.drain()
    assert [m.text for m in received.messages] == ["第一句", "第二句"]


async def test_button_press_is_answered_and_sent_as_the_payload(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    mark = api.mark()
    status, body = await post(ch, callback_update(600, 4343, "5"), received)
    assert (status, body["status"]) == (200, "accepted")
    [answered] = [c for c in api.calls[mark:] if c.method == "answerCallbackQuery"]
    assert answered.params["callback_query_id"] == "4343600" and "text" not in answered.params
    [message] = received.messages
    assert (message.text, message.sender_id, message.input_channel) == ("5", "telegram:4343", "telegram")
    assert message.metadata["telegram"]["callback_query_id"] == "4343600"


async def test_long_payload_button_round_trip(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    payload = '/inform{"order_id": "20251103887", "note": "这是一个超过六十四字节的按钮载荷"}'
    mark = api.mark()
    await ch.get_output_channel().send_text_with_buttons("4444", "请选择", [{"title": "就是这个", "payload": payload}])
    sent = api.wait_for(lambda c: c.method == "sendMessage", mark)
    data = sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    await post(ch, callback_update(700, 4444, data), received)
    assert [m.text for m in received.messages] == [payload]


async def test_expired_button_is_explained_not_sent(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    mark = api.mark()
    await post(ch, callback_update(800, 4545, BUTTON_KEY_PREFIX + "gone"), received)
    [answered] = [c for c in api.calls[mark:] if c.method == "answerCallbackQuery"]
    assert "过期" in answered.params["text"] and received.messages == []


async def test_rasa_finds_this_output_channel_for_output_channel_latest(api: BotApiStub) -> None:
    """The path of an agent's reply: Rasa's server asks the latest input channel for an output."""
    from rasa.server import _get_output_channel
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    ch = channel(api)
    tracker = DialogueStateTracker.from_events("5555", [UserUttered("你好", input_channel="telegram")])

    request = SimpleNamespace(args={"output_channel": "latest"},
                              app=SimpleNamespace(ctx=SimpleNamespace(input_channels=[ch])))
    out = _get_output_channel(request, tracker)
    assert isinstance(out, TelegramOutput)
    mark = api.mark()
    await out.send_response(tracker.sender_id, {"text": "您好，我是客服 alice"})
    assert [c.text for c in api.calls[mark:] if c.method == "sendMessage" and c.chat_id == "5555"] == [
        "您好，我是客服 alice"]
