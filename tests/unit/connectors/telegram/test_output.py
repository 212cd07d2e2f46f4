"""The output channel against the stand-in Bot API (tests/telegram_stub.py): keyboards, long
replies, plain text, images and custom payloads."""

from __future__ import annotations

from connectors.telegram.output import keyboard
from connectors.telegram.state import ButtonStore, RedisLink
from tests.telegram_stub import BotApiStub
from tests.unit.connectors.telegram.support import channel


async def test_keyboard_layout() -> None:
    store = ButtonStore(RedisLink(None), "123")
    rating = await keyboard([{"title": str(n), "payload": str(n)} for n in range(5, 0, -1)], store)
    assert rating is not None and [[b.callback_data for b in row] for row in rating.inline_keyboard] == [
        ["5", "4", "3", "2", "1"]]
    long = await keyboard([{"title": "查询订单物流进度", "payload": "/query_order_status"},
                           {"title": "Read our return policy", "payload": "/query_return_policy"},
                           {"title": "Website", "url": "https://shop.example/help"}], store)
    assert long is not None and [len(row) for row in long.inline_keyboard] == [1, 1, 1]
    assert long.inline_keyboard[2][0].url == "https://shop.example/help"
    vertical = await keyboard([{"title": "1", "payload": "1"}, {"title": "2", "payload": "2"}], store, "vertical")
    assert vertical is not None and len(vertical.inline_keyboard) == 2
    assert await keyboard([], store) is None


async def test_long_reply_is_split_and_sent_as_plain_text(api: BotApiStub) -> None:
    out = channel(api).get_output_channel()
    text = ("<b>&amp;*_[]</b> 😀 退款说明\n" + "第二行 *粗体* _斜体_ [链接](x) & < >\n" * 150 + "\n\n") * 3
    mark = api.mark()
    await out.send_text_message("5151", text)
    sent = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert len(sent) > 1 and "".join(c.text for c in sent) == text
    assert all(c.chat_id == "5151" and "parse_mode" not in c.params for c in sent)


async def test_buttons_hang_on_the_last_part(api: BotApiStub) -> None:
    out = channel(api).get_output_channel()
    mark = api.mark()
    await out.send_response("5252", {"text": "打分" * 3000, "buttons": [{"title": "5", "payload": "5"}]})
    sent = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert len(sent) == 2 and "reply_markup" not in sent[0].params
    assert sent[1].params["reply_markup"] == {"inline_keyboard": [[{"text": "5", "callback_data": "5"}]]}
    mark = api.mark()
    await out.send_response("5252", {"text": "快速回复", "quick_replies": [{"title": "是", "payload": "/affirm"}]})
    [quick] = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert quick.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "/affirm"


async def test_image_and_custom_payloads(api: BotApiStub) -> None:
    out = channel(api).get_output_channel()
    mark = api.mark()
    await out.send_response("5353", {"image": "https://shop.example/p.png"})
    await out.send_response("5353", {"custom": {"text": "自定义消息"}})
    await out.send_response("5353", {"custom": {"handoff": {"case": "C-1"}}})  # internal: not shown
    calls = [(c.method, c.params.get("photo") or c.text) for c in api.calls[mark:] if c.method != "getMe"]
    assert calls == [("sendPhoto", "https://shop.example/p.png"), ("sendMessage", "自定义消息")]
