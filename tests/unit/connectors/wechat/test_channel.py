"""The webhook as WeChat and as an outsider see it: the URL check, signatures on every POST, safe
and plain mode, MsgIds handled once (and run again when the process holding one was SIGKILLed),
the 5-second passive reply and what follows through the API, non-text messages, the subscribe
greeting and numbered choices answered with a digit."""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
from typing import Any
from urllib.parse import parse_qs

import pytest
import redis
from wechatpy.crypto import _get_signature

from connectors.wechat.channel import GREETING, MAX_BODY, TEXT_ONLY
from connectors.wechat.state import DONE
from tests.unit.connectors.wechat.holder import Holder
from tests.unit.connectors.wechat.support import Bot, channel, post
from tests.wechat_stub import APPID, TOKEN, WeChatApiStub, WeChatServer, image_xml, sign, subscribe_xml, text_xml

MSG_IDS = itertools.count(24_000_000_000_000_000)


def msg(openid: str, text: str) -> str:
    return text_xml(openid, text, next(MSG_IDS))


def test_the_url_check_echoes_only_for_our_token(api: WeChatApiStub) -> None:
    ch = channel(api)
    good = {"signature": sign(TOKEN, "1700000000", "42"), "timestamp": "1700000000", "nonce": "42"}
    assert ch.signed(good) is True
    assert ch.signed({**good, "signature": sign("otherToken", "1700000000", "42")}) is False
    assert ch.signed({**good, "nonce": "43"}) is False
    assert ch.signed({}) is False


async def test_safe_mode_text_is_answered_passively(api: WeChatApiStub) -> None:
    bot = Bot("您的订单运输中")
    status, reply = await post(channel(api), msg("o1", "订单 20251103887 到哪了"), bot)
    assert (status, reply) == (200, "您的订单运输中")
    [message] = bot.messages
    assert message.text == "订单 20251103887 到哪了" and message.sender_id == "wechat:o1"
    assert message.input_channel == "wechat" and message.metadata["wechat"]["openid"] == "o1"
    assert api.calls == []  # nothing through the API: no token fetched either


async def test_plain_mode_text_is_answered_passively(api: WeChatApiStub) -> None:
    assert await post(channel(api), msg("o1", "你好"), Bot("您好"), safe=False) == (200, "您好")


async def test_a_wrong_signature_is_403_before_anything_is_parsed(api: WeChatApiStub) -> None:
    bot = Bot()
    ch = channel(api)
    status, _ = await post(ch, msg("o1", "你好"), bot, token="forgedToken1")
    assert status == 403
    status, _ = await post(ch, b"not xml at all", bot, token="forgedToken1")
    assert status == 403
    status, _ = await post(ch, msg("o1", "你好"), bot, query="timestamp=1&nonce=2")
    assert status == 403
    assert bot.messages == []


async def test_a_forged_msg_signature_in_safe_mode_is_403(api: WeChatApiStub) -> None:
    query, body = WeChatServer().request(msg("o1", "你好"))
    args = {k: v[-1] for k, v in parse_qs(query).items()}
    args["msg_signature"] = "0" * 40
    bot = Bot()
    status, _ = await channel(api).receive(args, body, bot)
    assert status == 403 and bot.messages == []


async def test_oversized_and_malformed_bodies_are_refused(api: WeChatApiStub) -> None:
    bot = Bot()
    ch = channel(api)
    assert (await post(ch, b"<xml>" + b"x" * MAX_BODY + b"</xml>", bot, safe=False))[0] == 413
    assert (await post(ch, b"<xml><MsgType>text", bot, safe=False))[0] == 400
    assert (await post(ch, b"<xml><Content>no type</Content></xml>", bot, safe=False))[0] == 400
    assert (await post(ch, b"<xml><Encrypt>bm90IGFlcw==</Encrypt></xml>", bot))[0] in (400, 403)
    assert bot.messages == []


async def test_a_retried_msgid_is_handled_once(api: WeChatApiStub, redis_url: str) -> None:
    """WeChat retries only when the passive reply did not reach it: the retry gets the same reply
    again (from another process too), and Rasa sees the message once."""
    xml = msg("o1", "订单 20251105123 什么时候发货")
    bot = Bot("明天发货")
    first, second = channel(api, redis_url), channel(api, redis_url)  # the retry reaches another process
    assert await post(first, xml, bot) == (200, "明天发货")
    assert await post(second, xml, bot) == (200, "明天发货")
    assert await post(first, xml, bot) == (200, "明天发货")
    assert len(bot.messages) == 1


async def test_a_retry_while_the_first_is_still_handled_runs_nothing(api: WeChatApiStub) -> None:
    """The answer not ready in time follows through the API, once."""
    xml = msg("o3", "订单 20251103887 到哪了")
    bot = Bot("查到了：运输中", delay=0.5)
    ch = channel(api, reply_wait_s=0.1)
    assert await post(ch, xml, bot) == (200, None)
    assert await post(ch, xml, bot) == (200, None)
    await ch.drain(timeout=5)
    assert [c.text for c in api.sent("o3")] == ["查到了：运输中"]
    assert len(bot.messages) == 1


async def test_a_retry_after_its_holder_was_killed_runs_the_message(api: WeChatApiStub, redis_url: str) -> None:
    """The process that took the message was SIGKILLed while Rasa handled it: WeChat's next try
    waits for its lease to lapse and runs the message, so it is answered, not lost."""
    msg_id = next(MSG_IDS)
    bot = Bot("明天发货")
    with Holder(redis_url, APPID, str(msg_id), lease_s=0.6) as holder:
        holder.kill()
        assert await post(channel(api, redis_url), text_xml("o7", "什么时候发货", msg_id), bot) == (200, "明天发货")
    assert [m.text for m in bot.messages] == ["什么时候发货"]
    assert redis.Redis.from_url(redis_url, decode_responses=True).get(f"wechat:msg:{APPID}:{msg_id}") == DONE


async def test_a_retry_while_a_live_holder_works_runs_nothing(api: WeChatApiStub, redis_url: str) -> None:
    """Another live process holds the message past its lease length: the retry waits, then
    answers "success" (the holder's answer follows through the API) and runs nothing."""
    msg_id = next(MSG_IDS)
    bot = Bot()
    with Holder(redis_url, APPID, str(msg_id), lease_s=1.2):
        assert await post(channel(api, redis_url, reply_wait_s=2.5), text_xml("o8", "在吗", msg_id), bot) == (200, None)
    assert bot.messages == []


async def test_a_retry_waiting_for_a_live_holder_never_sleeps_past_its_reply_window(
        api: WeChatApiStub, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """WeChat's 5 s count while the retry polls the holder: its last look is cut to what is left
    of `reply_wait_s`, not a whole poll later (0.5 s is not a multiple of the 0.2 s poll)."""
    loop = asyncio.get_running_loop()
    ends: list[float] = []
    real_sleep = asyncio.sleep

    async def recording(delay: float, *args: Any) -> Any:
        ends.append(loop.time() + delay)
        return await real_sleep(delay, *args)

    msg_id = next(MSG_IDS)
    with Holder(redis_url, APPID, str(msg_id), lease_s=5.0):
        monkeypatch.setattr(asyncio, "sleep", recording)
        started = loop.time()
        answer = await post(channel(api, redis_url, reply_wait_s=0.5), text_xml("o8", "在吗", msg_id), Bot())
        assert answer == (200, None)
        monkeypatch.undo()
    assert ends and max(ends) <= started + 0.5 + 0.05


async def test_a_retry_during_the_first_answer_gets_its_passive_reply(api: WeChatApiStub, redis_url: str) -> None:
    """The retry reaches another process while the first is answering: it waits for that answer
    and repeats it instead of saying nothing."""
    xml = msg("o9", "订单 20251105123 什么时候发货")
    bot = Bot("明天发货", delay=0.5)
    first, second = channel(api, redis_url), channel(api, redis_url)
    answers = await asyncio.gather(post(first, xml, bot), post(second, xml, bot))
    assert answers == [(200, "明天发货"), (200, "明天发货")]
    assert len(bot.messages) == 1


async def test_a_message_is_done_when_rasa_finished_not_when_wechat_was_answered(api: WeChatApiStub,
                                                                                redis_url: str) -> None:
    """Answered "success" while Rasa still works: the lease is kept until the answer is out."""
    msg_id = next(MSG_IDS)
    ch = channel(api, redis_url, reply_wait_s=0.1)
    key = f"wechat:msg:{APPID}:{msg_id}"
    assert await post(ch, text_xml("o10", "订单 20251103887 到哪了", msg_id), Bot("运输中", delay=0.5),
                      drain=False) == (200, None)
    plain = redis.Redis.from_url(redis_url, decode_responses=True)
    assert plain.get(key) not in (None, DONE)
    await ch.drain(timeout=5)
    assert plain.get(key) == DONE and [c.text for c in api.sent("o10")] == ["运输中"]


async def test_a_slow_answer_follows_through_the_customer_service_api(api: WeChatApiStub) -> None:
    bot = Bot("让我查一下", "查到了：运输中", delay=0.5)
    ch = channel(api, reply_wait_s=0.2)
    status, reply = await post(ch, msg("o2", "订单 20251103887 到哪了"), bot)
    assert (status, reply) == (200, None)
    assert [c.text for c in api.sent("o2")] == ["让我查一下", "查到了：运输中"]  # in order, one by one


async def test_a_long_answer_is_passive_first_then_the_api(api: WeChatApiStub) -> None:
    text = "退货须在签收后七天内申请，商品须完好。" * 120
    status, reply = await post(channel(api), msg("o3", "怎么退货"), Bot(text))
    assert status == 200 and reply is not None and text.startswith(reply)
    rest = [c.text for c in api.sent("o3")]
    assert rest and reply + "".join(rest) == text


async def test_an_image_gets_the_polite_text_and_reaches_no_one(api: WeChatApiStub) -> None:
    bot = Bot()
    status, reply = await post(channel(api), image_xml("o4", next(MSG_IDS)), bot)
    assert (status, reply) == (200, TEXT_ONLY)
    assert "文字" in TEXT_ONLY and "text" in TEXT_ONLY and bot.messages == []


async def test_subscribing_is_a_greeting(api: WeChatApiStub) -> None:
    bot = Bot("您好，我是小店助手")
    assert await post(channel(api), subscribe_xml("o5"), bot) == (200, "您好，我是小店助手")
    assert [m.text for m in bot.messages] == [GREETING]


async def test_a_digit_answers_the_numbered_choices(api: WeChatApiStub) -> None:
    buttons: list[dict[str, Any]] = [{"title": "满意", "payload": "/rate{\"score\": 5}"},
                                     {"title": "不满意", "payload": "/rate{\"score\": 1}"}]
    bot = Bot(("请为本次服务打分", buttons))
    ch = channel(api)
    status, reply = await post(ch, msg("o6", "好了"), bot)
    assert reply is not None and "1. 满意" in reply and "2. 不满意" in reply
    bot.answers = ["谢谢"]
    await post(ch, msg("o6", "2"), bot)
    await post(ch, msg("o6", "2"), bot)  # the choices answered one question: now it is just "2"
    assert [m.text for m in bot.messages] == ["好了", '/rate{"score": 1}', "2"]


@pytest.mark.parametrize("encrypt", [
    "", "!!!not base64%%%", base64.b64encode(os.urandom(5)).decode(), base64.b64encode(os.urandom(16)).decode(),
    base64.b64encode(os.urandom(48)).decode(), base64.b64encode(os.urandom(32)).decode()[:-3],
])
async def test_garbage_encrypted_by_someone_holding_the_token_is_400_not_500(api: WeChatApiStub,
                                                                            encrypt: str) -> None:
    """The signatures match (whoever sent it knows the Token) but the AES content is not ours."""
    timestamp, nonce = "1700000000", "77"
    args = {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
            "encrypt_type": "aes", "msg_signature": _get_signature(TOKEN, timestamp, nonce, encrypt)}
    bot = Bot()
    status, _ = await channel(api).receive(args, f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode(), bot)
    assert status == 400 and bot.messages == []
