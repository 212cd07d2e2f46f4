"""The output channel without a request (an agent's reply): customer-service messages, cut to
size, in order, buttons as numbered choices remembered for the customer's answer."""

from __future__ import annotations

from connectors.wechat.client import WeChatApi
from connectors.wechat.output import WeChatOutput
from connectors.wechat.state import RedisLink, State
from connectors.wechat.text import TEXT_LIMIT
from tests.wechat_stub import APPID, SECRET, WeChatApiStub


def output(api: WeChatApiStub, collecting: bool = False) -> WeChatOutput:
    return WeChatOutput(WeChatApi(APPID, SECRET, api.base_url, None), State(RedisLink(None), APPID), collecting)


async def test_an_agents_reply_goes_through_the_customer_service_api(api: WeChatApiStub) -> None:
    out = output(api)
    await out.send_text_message("wechat:o1", "您好，<b>孩子</b>还好吗？😀")
    [call] = api.sent("o1")
    assert call.ok and call.text == "您好，<b>孩子</b>还好吗？😀" and call.body["msgtype"] == "text"


async def test_a_long_message_arrives_in_parts_in_order(api: WeChatApiStub) -> None:
    text = "\n\n".join(f"第{i}条：退货须在签收后七天内申请。" * 40 for i in range(6))
    await output(api).send_text_message("wechat:o1", text)
    parts = [c.text for c in api.sent("o1")]
    assert len(parts) >= 3 and "".join(parts) == text
    assert all(len(p.encode()) <= TEXT_LIMIT for p in parts)


async def test_buttons_are_numbered_and_remembered(api: WeChatApiStub) -> None:
    out = output(api)
    buttons = [{"title": "满意", "payload": '/rate{"score": 5}'}, {"title": "不满意", "payload": '/rate{"score": 1}'}]
    await out.send_text_with_buttons("wechat:o1", "请为本次服务打分", buttons)
    [call] = api.sent("o1")
    assert "1. 满意" in call.text and "2. 不满意" in call.text
    assert (await out.state.take_choices("o1"))[0] == ("满意", '/rate{"score": 5}')


async def test_collecting_keeps_messages_until_taken(api: WeChatApiStub) -> None:
    out = output(api, collecting=True)
    await out.send_text_message("wechat:o1", "一")
    await out.send_custom_json("wechat:o1", {"text": "二"})
    await out.send_custom_json("wechat:o1", {"handoff": True})  # not for the customer
    assert api.sent("o1") == []
    assert out.take() == ["一", "二"]
    await out.send_text_message("wechat:o1", "三")
    assert [c.text for c in api.sent("o1")] == ["三"]
