"""Telegram, end to end on the real processes: Rasa loads `connectors.telegram.TelegramInput`
from its credentials file, the tests post Update JSON to its webhook as Telegram does, and what
the customer would see is read from the stand-in Bot API's recorded sendMessage calls.

The severe complaint goes all the way: handoff, the agent's reply through Rasa's
`output_channel=latest` into the Telegram chat, resolve, the rating keyboard, a button press.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import quote

import pytest

from tests.integration.conftest import Agent, Inbox, create_agent
from tests.telegram_stub import BotApiStub, Call, callback_update, text_update
from tools.stack import Stack, free_port
from tools.train import model_path

SECRET = "tg-integration_secret-42"
CASE_ID = re.compile(r"C-\d{8}-\d{4,}")
UPDATE_IDS = itertools.count(random.randint(10_000_000, 90_000_000))
CHAT_IDS = itertools.count(random.randint(700_000_000, 790_000_000))


@pytest.fixture(scope="module")
def api() -> Iterator[BotApiStub]:
    with BotApiStub() as stub:
        yield stub
        failed = [(c.method, c.result) for c in stub.calls if not c.ok]
        assert not failed, f"the Bot API refused calls: {failed}"


def start_telegram_stack(var: Path, inbox: Inbox, api: BotApiStub, extra: str = "", **env: str) -> Stack:
    """A stack whose Telegram channel is pointed at the stand-in Bot API; `extra`: more credential
    lines (YAML, two-space indented), `env`: more settings for every process."""
    if not Path(model_path()).exists():
        pytest.fail("no trained model: run `make train`")
    telegram = (
        "connectors.telegram.TelegramInput:\n"
        f"  access_token: \"{api.token}\"\n"
        f"  verify: {api.username}\n"
        f"  secret_token: {SECRET}\n"
        f"  base_url: \"{api.base_url}\"\n"
    ) + extra
    s = Stack(model=Path(model_path()), rasa_port=free_port(), action_port=free_port(), handoff_port=free_port(),
              redis_url=f"redis://localhost:{free_port()}/0", var_dir=var, callback_url=inbox.url,
              extra_credentials=telegram, env={"HANDOFF_SLA_TICK": "0.5", "HANDOFF_PRESENCE_TTL": "3600", **env})
    return s.start()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox, api: BotApiStub) -> Iterator[Stack]:
    """The stack of `start_stack`, with the Telegram channel pointed at the stand-in."""
    s = start_telegram_stack(tmp_path_factory.mktemp("var-telegram"), inbox, api,
                             "  webhook_url: https://shop.example/webhooks/telegram/webhook\n")
    yield s
    s.stop()


class TelegramCustomer:
    """A customer in a private chat with the bot: posts Updates, reads the stand-in's calls."""

    def __init__(self, stack: Stack, api: BotApiStub) -> None:
        self.stack, self.api = stack, api
        self.chat_id = next(CHAT_IDS)
        self.conversation = f"telegram:{self.chat_id}"  # namespaced by channel (core.channels)

    def post(self, body: Any, secret: Optional[str] = SECRET) -> tuple[int, dict[str, Any]]:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(f"{self.stack.rasa_url}/webhooks/telegram/webhook", data=data,
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def update(self, text: str) -> dict[str, Any]:
        return text_update(next(UPDATE_IDS), self.chat_id, text)

    def say(self, text: str) -> int:
        """Sends a message; returns the mark from which the bot's answer is looked for."""
        mark = self.api.mark()
        status, body = self.post(self.update(text))
        assert (status, body.get("status")) == (200, "accepted"), body
        return mark

    def press(self, data: str, message_id: int) -> int:
        mark = self.api.mark()
        status, body = self.post(callback_update(next(UPDATE_IDS), self.chat_id, data, self.api.bot_id, message_id))
        assert (status, body.get("status")) == (200, "accepted"), body
        return mark

    def receives(self, start: int, needle: str = "", pattern: Optional[re.Pattern[str]] = None,
                 timeout: float = 30) -> Call:
        return self.api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == str(self.chat_id)
                                 and needle in c.text and (pattern is None or bool(pattern.search(c.text))),
                                 start, timeout)

    def sent(self, start: int = 0) -> list[Call]:
        return [c for c in self.api.calls[start:] if c.method == "sendMessage" and c.chat_id == str(self.chat_id)]

    def tracker(self) -> dict[str, Any]:
        url = f"{self.stack.rasa_url}/conversations/{quote(self.conversation)}/tracker?token={self.stack.auth_token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())

    def user_events(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The tracker's user events once there are `count` (Rasa saves after replying)."""
        deadline = time.monotonic() + timeout
        while True:
            events = [e for e in self.tracker()["events"] if e["event"] == "user"]
            if len(events) >= count or time.monotonic() > deadline:
                return events
            time.sleep(0.2)


@pytest.fixture()
def customer(stack: Stack, api: BotApiStub) -> TelegramCustomer:
    return TelegramCustomer(stack, api)


@pytest.fixture(scope="module")
def agent(stack: Stack) -> Agent:
    tina = create_agent(stack, "tina")
    tina.call("GET", "/queue")  # signs in: an agent is online
    return tina


def test_order_status_is_answered_in_the_chat(customer: TelegramCustomer) -> None:
    mark = customer.say("订单 20251103887 到哪了")
    answer = customer.receives(mark, "20251103887")
    assert "运输中" in answer.text
    assert "parse_mode" not in answer.params
    events = customer.user_events(1)
    assert events[-1]["input_channel"] == "telegram"
    assert events[-1]["metadata"]["telegram"]["user"]["id"] == customer.chat_id


def test_an_update_delivered_twice_is_answered_once(customer: TelegramCustomer) -> None:
    update = customer.update("订单 20251105123 什么时候发货")
    mark = customer.api.mark()
    assert customer.post(update)[1]["status"] == "accepted"
    assert customer.post(update) == (200, {"ok": True, "status": "duplicate"})
    customer.receives(mark, "20251105123")
    time.sleep(2)  # time enough for a second answer, if there were one
    assert sum("20251105123" in c.text for c in customer.sent(mark)) == 1
    assert [e["text"] for e in customer.user_events(1)] == ["订单 20251105123 什么时候发货"]


def test_wrong_secret_is_403_and_nothing_is_sent(customer: TelegramCustomer) -> None:
    mark = customer.api.mark()
    for secret in (None, "not-the-secret"):
        status, body = customer.post(customer.update("订单 20251103887 到哪了"), secret=secret)
        assert status == 403 and body["error"]["code"] == "forbidden"
    time.sleep(1.5)
    assert customer.sent(mark) == []
    assert not [e for e in customer.tracker()["events"] if e["event"] == "user"]


def test_malformed_json_is_400_not_500(customer: TelegramCustomer) -> None:
    status, body = customer.post(b'{"update_id": 1, "message": ')
    assert status == 400 and body["error"]["code"] == "malformed_json"
    status, body = customer.post({"hello": "world"})
    assert status == 400 and body["error"]["code"] == "not_an_update"
    edited = {"update_id": next(UPDATE_IDS), "edited_message": customer.update("改一下")["message"]}
    assert customer.post(edited) == (200, {"ok": True, "status": "ignored"})


def test_severe_complaint_reaches_an_agent_whose_reply_reaches_telegram(customer: TelegramCustomer,
                                                                         agent: Agent) -> None:
    agent.call("GET", "/queue")
    mark = customer.say("充电宝冒烟起火，差点烧到孩子")
    queued = customer.receives(mark, pattern=CASE_ID)
    case_id = CASE_ID.search(queued.text).group(0)  # type: ignore[union-attr]
    assert "转接人工" in queued.text
    assert case_id in [row["id"] for row in agent.call("GET", "/queue")["cases"]]
    case = agent.call("GET", f"/cases/{case_id}")["case"]
    assert case["package"]["customer"]["channel"] == "telegram"
    assert case["package"]["customer"]["id"] == customer.conversation

    mark = customer.api.mark()
    agent.call("POST", f"/cases/{case_id}/claim")
    customer.receives(mark, "tina")  # "人工客服 tina 已接入"

    reply = "您好，孩子还好吗？<b>&amp;*_[]</b> 请放心 😀🔥"
    mark = customer.api.mark()
    sent = agent.call("POST", f"/cases/{case_id}/reply", {"text": reply})
    assert sent["delivered"] is True
    delivered = customer.receives(mark, "孩子还好吗")
    assert delivered.text == reply and "parse_mode" not in delivered.params  # literally, as the agent wrote

    mark = customer.api.mark()
    agent.call("POST", f"/cases/{case_id}/resolve", {"note": "退款并补偿"})
    question = customer.api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == str(customer.chat_id)
                                     and "reply_markup" in c.params, mark, timeout=30)
    assert case_id in question.text
    keys = [b["callback_data"] for row in question.params["reply_markup"]["inline_keyboard"] for b in row]
    assert sorted(keys) == ["1", "2", "3", "4", "5"]

    mark = customer.press("5", question.result["message_id"])
    answered = customer.api.wait_for(lambda c: c.method == "answerCallbackQuery", mark)
    assert answered.params["callback_query_id"].startswith(str(customer.chat_id))
    comment_question = customer.receives(mark, "跳过")
    assert comment_question.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "跳过"

    mark = customer.say("很好")
    customer.receives(mark, "感谢")
    final = agent.call("GET", f"/cases/{case_id}")["case"]
    assert final["rating"]["score"] == 5 and final["rating"]["comment"] == "很好"
    assert final["state"] == "closed"


def test_long_reply_arrives_split_and_intact(customer: TelegramCustomer, stack: Stack) -> None:
    customer.receives(customer.say("你好"))
    text = "\n\n".join(f"第{i}条说明：退货须在签收后七天内申请，<商品>须完好 & 配件齐全；*注意* _保留_ [发票]。😀"
                       * 25 for i in range(10))
    assert len(text) > 4096 * 2
    mark = customer.api.mark()
    url = (f"{stack.rasa_url}/conversations/{quote(customer.conversation)}/tracker/events"
           f"?token={stack.auth_token}&output_channel=latest&execute_side_effects=true")
    request = urllib.request.Request(url, data=json.dumps({"event": "bot", "text": text}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    customer.api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == str(customer.chat_id)
                          and c.text.endswith("[发票]。😀"), mark)
    parts = [c.text for c in customer.sent(mark)]
    assert len(parts) >= 3 and "".join(parts) == text
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert all(p.endswith("\n\n") for p in parts[:-1])  # cut between paragraphs
