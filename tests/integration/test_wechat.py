"""WeChat, end to end on the real processes: Rasa loads `connectors.wechat.WeChatInput` from its
credentials file, the tests post WeChat's XML to its webhook, signed and AES-encrypted as WeChat
does (safe mode), and what the customer would see is the passive reply in the HTTP answer plus
the stand-in API's recorded customer-service messages (客服消息).

A message whose Rasa process is SIGKILLed mid-message is answered by WeChat's retry (played by a
real process holding the message's lease, killed); one whose process had already answered WeChat
"success" (so no retry comes) is answered by the stack's Rasa sweeping the unfinished messages.
The severe complaint goes all the way: handoff, the agent's reply through Rasa's output channel
into the customer-service API, resolve, the rating question, the rating stored; and an agent
writing after WeChat's 48 hours is told the customer can no longer be reached.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import quote

import pytest
import redis

from connectors.wechat.state import LEASE_S
from connectors.wechat.sweeper import SWEEP_S
from core.reach import last_inbound_key
from tests.integration.conftest import Agent, ApiError, Inbox, create_agent
from tests.unit.connectors.wechat.holder import Answered, Holder
from tests.wechat_stub import (
    AES_KEY,
    APPID,
    SECRET,
    TOKEN,
    WeChatApiStub,
    WeChatServer,
    image_xml,
    sign,
    subscribe_xml,
    text_xml,
)
from tools.stack import Stack, free_port
from tools.train import model_path

CASE_ID = re.compile(r"C-\d{8}-\d{4,}")
MSG_IDS = itertools.count(random.randint(10**18, 2 * 10**18))
OPENIDS = itertools.count(random.randint(10**6, 9 * 10**6))


@pytest.fixture(scope="module")
def api() -> Iterator[WeChatApiStub]:
    with WeChatApiStub() as stub:
        yield stub
        unreachable = [c.openid for c in stub.calls if c.answer.get("errcode") == 45015]
        failed = [(c.method, c.answer) for c in stub.calls if not c.ok and c.openid not in unreachable]
        assert not failed, f"the WeChat API refused calls: {failed}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox, api: WeChatApiStub) -> Iterator[Stack]:
    if not Path(model_path()).exists():
        pytest.fail("no trained model: run `make train`")
    wechat = ("connectors.wechat.WeChatInput:\n"
              f"  token: {TOKEN}\n  appid: {APPID}\n  secret: {SECRET}\n  encoding_aes_key: {AES_KEY}\n"
              f"  api_base_url: \"{api.base_url}\"\n")
    s = Stack(model=Path(model_path()), rasa_port=free_port(), action_port=free_port(), handoff_port=free_port(),
              redis_url=f"redis://localhost:{free_port()}/0", var_dir=tmp_path_factory.mktemp("var-wechat"),
              callback_url=inbox.url, extra_credentials=wechat,
              env={"HANDOFF_SLA_TICK": "0.5", "HANDOFF_PRESENCE_TTL": "3600"})
    s.start()
    yield s
    s.stop()


class WeChatCustomer:
    """A follower of the Official Account: WeChat posts their messages, they read the passive
    replies and the customer-service messages sent to their openid."""

    def __init__(self, stack: Stack, api: WeChatApiStub) -> None:
        self.stack, self.api = stack, api
        self.openid = f"oShop_{next(OPENIDS)}_stand-in"
        self.conversation = f"wechat:{self.openid}"  # namespaced by channel (core.channels)
        self.wechat = WeChatServer()
        self.passive: list[str] = []

    def post(self, xml: str, safe: bool = True, token: Optional[str] = None,
             body: Optional[bytes] = None) -> tuple[int, Optional[str]]:
        """WeChat's POST; the status and the passive reply's text (None for "success")."""
        query, data = self.wechat.request(xml, safe=safe, token=token)
        request = urllib.request.Request(f"{self.stack.rasa_url}/webhooks/wechat/webhook?{query}",
                                         data=body if body is not None else data, method="POST",
                                         headers={"Content-Type": "text/xml"})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, None
        assert time.monotonic() - started < 5, "WeChat gives up on a passive reply after 5 s"
        text = self.wechat.reply_text(answer, query)
        if text:
            self.passive.append(text)
        return status, text

    def message(self, text: str) -> str:
        return text_xml(self.openid, text, next(MSG_IDS))

    def say(self, text: str) -> int:
        mark = self.api.mark()
        status, _ = self.post(self.message(text))
        assert status == 200
        return mark

    def texts(self, start: int = 0, passive_from: int = 0) -> list[str]:
        return self.passive[passive_from:] + [c.text for c in self.api.sent(self.openid, start)]

    def receives(self, start: int, needle: str = "", pattern: Optional[re.Pattern[str]] = None,
                 timeout: float = 30, passive_from: int = 0) -> str:
        """The first text (passive, or through the API from `start`) with `needle` and `pattern`."""
        deadline = time.monotonic() + timeout
        while True:
            for text in self.texts(start, passive_from):
                if needle in text and (pattern is None or pattern.search(text)):
                    return text
            if time.monotonic() > deadline:
                raise AssertionError(f"no reply with {needle!r} within {timeout} s: {self.texts(start)}")
            time.sleep(0.1)

    def ask(self, text: str, needle: str = "", pattern: Optional[re.Pattern[str]] = None) -> str:
        passive_from = len(self.passive)
        return self.receives(self.say(text), needle, pattern, passive_from=passive_from)

    def tracker(self) -> dict[str, Any]:
        url = f"{self.stack.rasa_url}/conversations/{quote(self.conversation)}/tracker?token={self.stack.auth_token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return dict(json.loads(response.read()))

    def user_texts(self) -> list[str]:
        return [e.get("text") for e in self.tracker()["events"] if e["event"] == "user"]

    def recorded(self, expected: list[str], timeout: float = 10) -> list[str]:
        """The customer's messages in the transcript, once they equal `expected` or at `timeout`.

        Why wait: an answer sent through the customer-service API leaves while Rasa is still
        handling the message; Rasa saves the tracker after the last action, a moment later
        (the stop-23 CI run read it in between)."""
        deadline = time.monotonic() + timeout
        while (texts := self.user_texts()) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        return texts


@pytest.fixture()
def customer(stack: Stack, api: WeChatApiStub) -> WeChatCustomer:
    return WeChatCustomer(stack, api)


@pytest.fixture(scope="module")
def agent(stack: Stack) -> Agent:
    wei = create_agent(stack, "wei")
    wei.call("GET", "/queue")  # signs in: an agent is online
    return wei


def test_the_admin_consoles_url_check(stack: Stack) -> None:
    timestamp, nonce = str(int(time.time())), "1234567"
    url = f"{stack.rasa_url}/webhooks/wechat/webhook?timestamp={timestamp}&nonce={nonce}&echostr=echo-42"
    with urllib.request.urlopen(f"{url}&signature={sign(TOKEN, timestamp, nonce)}", timeout=10) as response:
        assert response.read() == b"echo-42"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}&signature={sign('otherToken', timestamp, nonce)}", timeout=10)
    assert refused.value.code == 403


def test_an_order_question_is_answered(customer: WeChatCustomer) -> None:
    answer = customer.ask("订单 20251103887 到哪了", "20251103887")
    assert "运输中" in answer
    events = [e for e in customer.tracker()["events"] if e["event"] == "user"]
    assert events[-1]["input_channel"] == "wechat"
    assert events[-1]["metadata"]["wechat"]["openid"] == customer.openid


def test_a_retried_msgid_is_answered_once(customer: WeChatCustomer) -> None:
    xml = customer.message("订单 20251105123 什么时候发货")
    mark = customer.api.mark()
    first: list[tuple[int, Optional[str]]] = []
    original = threading.Thread(target=lambda: first.append(customer.post(xml)))
    original.start()
    time.sleep(0.3)
    # WeChat's retry while the first is being answered: "success", or the same passive reply if
    # the first was answered meanwhile; either way the message runs once.
    status, during = customer.post(xml)
    assert status == 200 and (during is None or "20251105123" in during)
    if during:
        customer.passive.pop()  # the customer sees one of the two
    original.join(30)
    # Once it was answered, a retry means that answer did not reach WeChat: the same one again.
    assert customer.post(xml) == first[0]
    if first[0][1]:
        customer.passive.pop()  # the customer sees one of the two: only the retry's arrived
    customer.receives(mark, "20251105123")
    time.sleep(2)  # time enough for a second answer, if there were one
    assert sum("20251105123" in t for t in customer.texts(mark)) == 1
    assert customer.recorded(["订单 20251105123 什么时候发货"]) == ["订单 20251105123 什么时候发货"]


def test_a_message_whose_process_was_killed_is_answered_by_wechats_retry(customer: WeChatCustomer,
                                                                          stack: Stack) -> None:
    """The Rasa process that got WeChat's first try is SIGKILLed while it handles the message.
    Played by a separate real process that takes the message through the channel's own `State`
    in the stack's Redis, as that Rasa process did, and holds it (killing the stack's Rasa would
    leave no Rasa to answer the retry for minutes, as it restarts). While it lives, WeChat's
    retry runs nothing; once it is killed, the next retry is answered."""
    msg_id = next(MSG_IDS)
    xml = text_xml(customer.openid, "订单 20251103887 到哪了", msg_id)
    mark = customer.api.mark()
    with Holder(stack.redis_url, APPID, str(msg_id)) as holder:
        # the holder is alive: the retry waits for it (longer than a lease) and says "success"
        assert customer.post(xml) == (200, None)
        assert customer.user_texts() == []
        holder.kill()
        status, _ = customer.post(xml)  # WeChat's next try, right after the kill
        assert status == 200
    assert "运输中" in customer.receives(mark, "20251103887")
    assert customer.recorded(["订单 20251103887 到哪了"]) == ["订单 20251103887 到哪了"]
    time.sleep(2)  # time enough for a second answer, if there were one
    assert sum("20251103887" in t for t in customer.texts(mark)) == 1


def test_a_message_answered_success_by_a_process_then_killed_is_still_answered(customer: WeChatCustomer,
                                                                             stack: Stack) -> None:
    """WeChat's try reached a Rasa process whose Rasa was slow: it answered "success" and was to
    send the answer through the API, and is SIGKILLed. WeChat sends nothing more. Played by a real
    process running the channel (`WeChatInput`, in the stack's Redis, with the stand-in API) whose
    Rasa never finishes. While it lives, the stack's Rasa leaves the message to it; once it is
    killed, the stack's sweeper runs the message and the customer gets the answer through the
    customer-service API, once."""
    msg_id = next(MSG_IDS)
    xml = text_xml(customer.openid, "订单 20251103887 到哪了", msg_id)
    mark = customer.api.mark()
    with Answered(stack.redis_url, customer.api.base_url, xml) as holder:
        time.sleep(SWEEP_S + LEASE_S)  # a sweep or more while the holder lives: it renews its lease
        assert customer.user_texts() == [] and customer.texts(mark) == []
        holder.kill()
    assert "运输中" in customer.receives(mark, "20251103887")
    assert customer.recorded(["订单 20251103887 到哪了"]) == ["订单 20251103887 到哪了"]
    time.sleep(2)  # time enough for a second answer, if there were one
    assert sum("20251103887" in t for t in customer.texts(mark)) == 1
    assert customer.passive == []  # all of it through the API: WeChat had its "success"
    plain = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    assert plain.hget(f"wechat:unfinished:{APPID}", str(msg_id)) is None  # the customer's text is not kept
    assert plain.get(f"wechat:msg:{APPID}:{msg_id}") == "done"


def test_a_bad_signature_is_403_and_nothing_happens(customer: WeChatCustomer) -> None:
    mark = customer.api.mark()
    assert customer.post(customer.message("订单 20251103887 到哪了"), token="forgedToken99")[0] == 403
    assert customer.post(customer.message("订单 20251103887 到哪了"), safe=False, token="forgedToken99")[0] == 403
    time.sleep(1)
    assert customer.texts(mark) == []
    assert customer.user_texts() == []


def test_malformed_and_oversized_bodies_are_refused(customer: WeChatCustomer) -> None:
    assert customer.post("", safe=False, body=b"<xml><MsgType>text")[0] == 400
    assert customer.post("", safe=False, body=b"<xml>" + b"x" * 70_000 + b"</xml>")[0] == 413


def test_an_image_gets_the_polite_text(customer: WeChatCustomer) -> None:
    status, reply = customer.post(image_xml(customer.openid, next(MSG_IDS)))
    assert status == 200 and reply is not None and "文字" in reply and "text" in reply
    assert customer.user_texts() == []


def test_following_the_account_is_greeted(customer: WeChatCustomer) -> None:
    mark = customer.api.mark()
    status, _ = customer.post(subscribe_xml(customer.openid))
    assert status == 200
    assert customer.receives(mark)
    assert customer.recorded(["你好"]) == ["你好"]


def severe_case(customer: WeChatCustomer, agent: Agent) -> str:
    agent.call("GET", "/queue")
    queued = customer.ask("充电宝冒烟起火，差点烧到孩子", pattern=CASE_ID)
    case_id = CASE_ID.search(queued).group(0)  # type: ignore[union-attr]
    assert "转接人工" in queued
    case = agent.call("GET", f"/cases/{case_id}")["case"]
    assert case["package"]["customer"]["channel"] == "wechat"
    assert case["package"]["customer"]["id"] == customer.conversation
    mark = customer.api.mark()
    agent.call("POST", f"/cases/{case_id}/claim")
    customer.receives(mark, "wei", passive_from=len(customer.passive))  # "人工客服 wei 已接入", through the API
    return case_id


def test_severe_complaint_is_handed_off_and_the_agent_reaches_wechat(customer: WeChatCustomer,
                                                                      agent: Agent) -> None:
    case_id = severe_case(customer, agent)
    reply = "您好，孩子还好吗？<b>&amp;</b> 请放心 😀🔥"
    mark = customer.api.mark()
    assert agent.call("POST", f"/cases/{case_id}/reply", {"text": reply})["delivered"] is True
    # literally as the agent wrote it, through message/custom/send
    assert customer.receives(mark, "孩子还好吗", passive_from=len(customer.passive)) == reply

    mark = customer.api.mark()
    agent.call("POST", f"/cases/{case_id}/resolve", {"note": "退款并补偿"})
    question = customer.receives(mark, case_id, passive_from=len(customer.passive))
    assert "5 / 4 / 3 / 2 / 1" in question

    comment_question = customer.ask("5", "跳过")
    assert "跳过" in comment_question
    customer.ask("很好", "感谢")
    final = agent.call("GET", f"/cases/{case_id}")["case"]
    assert final["rating"]["score"] == 5 and final["rating"]["comment"] == "很好"
    assert final["state"] == "closed"


def test_after_48_hours_the_agent_learns_the_customer_is_unreachable(customer: WeChatCustomer, agent: Agent,
                                                                     stack: Stack) -> None:
    case_id = severe_case(customer, agent)
    redis.Redis.from_url(stack.redis_url).set(last_inbound_key(customer.conversation),
                                              str(time.time() - 49 * 3600))  # their last message, 49 hours ago
    customer.api.unreachable.add(customer.openid)  # and WeChat would refuse (45015)
    mark = customer.api.mark()
    with pytest.raises(ApiError) as refused:
        agent.call("POST", f"/cases/{case_id}/reply", {"text": "您好，还在吗？"})
    assert refused.value.status == 409
    error = refused.value.body["error"]
    assert error["code"] == "customer_unreachable" and "48" in error["message"]
    assert customer.api.sent(customer.openid, mark) == []
    messages = agent.call("GET", f"/cases/{case_id}/messages")["messages"]
    assert any(m["role"] == "system" and "48" in m["text"] for m in messages)

    customer.api.unreachable.discard(customer.openid)
    customer.say("还在吗")  # the customer writes again (to the agent: the bot is silent): the window opens again
    mark = customer.api.mark()
    assert agent.call("POST", f"/cases/{case_id}/reply", {"text": "在的，请讲"})["delivered"] is True
    assert customer.receives(mark, "在的", passive_from=len(customer.passive)) == "在的，请讲"


def test_a_long_message_arrives_split_within_2048_bytes(customer: WeChatCustomer, stack: Stack) -> None:
    customer.ask("你好")
    text = "\n\n".join(f"第{i}条说明：退货须在签收后七天内申请，<商品>须完好 & 配件齐全；保留[发票]。😀" * 12
                       for i in range(8))
    assert len(text.encode()) > 2048 * 3
    mark = customer.api.mark()
    url = (f"{stack.rasa_url}/conversations/{quote(customer.conversation)}/tracker/events"
           f"?token={stack.auth_token}&output_channel=wechat&execute_side_effects=true")
    request = urllib.request.Request(url, data=json.dumps({"event": "bot", "text": text}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    customer.receives(mark, "第7条")
    customer.api.wait_for(lambda c: c.openid == customer.openid and c.text.endswith("[发票]。😀"), mark)
    parts = [c.text for c in customer.api.sent(customer.openid, mark)]
    assert len(parts) >= 4 and "".join(parts) == text
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    assert all(p.endswith("\n\n") for p in parts[:-1])  # cut between paragraphs



def test_wechats_own_refusal_reaches_the_agent_when_the_time_is_unknown(customer: WeChatCustomer, agent: Agent,
                                                                         stack: Stack) -> None:
    """Redis lost the last message time: the reply is attempted, WeChat answers 45015, and the
    agent sees the failed delivery with WeChat's reason, in the answer and in the case."""
    case_id = severe_case(customer, agent)
    redis.Redis.from_url(stack.redis_url).delete(last_inbound_key(customer.conversation))
    customer.api.unreachable.add(customer.openid)
    with pytest.raises(ApiError) as refused:
        agent.call("POST", f"/cases/{case_id}/reply", {"text": "您好，还在吗？"})
    assert refused.value.status == 502 and "48 hours" in refused.value.body["error"]["message"]
    messages = agent.call("GET", f"/cases/{case_id}/messages")["messages"]
    assert any(m["role"] == "system" and "48 hours" in m["text"] for m in messages)
    assert [c.answer["errcode"] for c in customer.api.sent(customer.openid)][-1] == 45015
