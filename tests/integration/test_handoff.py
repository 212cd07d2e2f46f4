"""The handoff, end to end on the real processes: a customer on Rasa's callback channel, agents
on the handoff API, the case store in SQLite (and PostgreSQL below), the queue in Redis.

Each test reads as a dialogue: what the customer says, what they receive, what the agent sees.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from typing import Any, Callable, Iterator

import pytest
import redis

from tests.integration.conftest import Agent, ApiError, ChatCustomer, Inbox, create_agent, start_stack
from tests.pg import start_postgres
from tools.stack import Stack

CASE_ID = re.compile(r"C-\d{8}-\d{4,}")


def eventually(check: Callable[[], Any], timeout: float = 15, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        time.sleep(every)


def case_id_in(texts: list[str]) -> str:
    for text in texts:
        found = CASE_ID.search(text)
        if found:
            return found.group(0)
    raise AssertionError(f"no case id in {texts}")


def full_scenario(stack: Stack, chat: ChatCustomer, alice: Agent, bob: Agent, boss: Agent) -> None:
    """Severe complaint → handoff → claim → package → reply both ways → resolve → rating → closed."""
    alice.call("GET", "/queue")
    replies = chat.say("充电宝冒烟起火，差点烧到孩子，订单20251103887，我电话13812345678")
    case_id = case_id_in(replies)
    joined = "\n".join(replies)
    assert "严重" in joined and "转接人工" in joined and "前面还有" in joined and "预计等待" in joined
    assert chat.tracker()["paused"] is True

    queue = alice.call("GET", "/queue")["cases"]
    ours = next(row for row in queue if row["id"] == case_id)
    assert ours["severity"] == "severe" and ours["queue_status"] == "queued"
    assert all(row["priority"] >= ours["priority"] for row in queue[:ours["position"] - 1])  # nothing lower ahead

    mark = chat.mark()
    case = alice.call("POST", f"/cases/{case_id}/claim")["case"]
    assert case["assigned_agent"] == "alice" and case["queue_status"] == "claimed"
    chat.receives(mark, lambda t: "alice" in t)  # "人工客服 alice 已接入"
    with pytest.raises(ApiError) as taken:
        bob.call("POST", f"/cases/{case_id}/claim")
    assert taken.value.status == 409 and "alice" in taken.value.body["error"]["message"]

    package = alice.call("GET", f"/cases/{case_id}")["case"]["package"]
    assert package["customer"] == {"id": chat.conversation_id, "channel": "callback", "language": "zh-Hans"}
    last = [m for m in package["transcript"] if m["role"] == "customer"][-1]
    assert last["intent"] == "complain_product_quality" and last["emotion"] and 0 < last["emotion_confidence"] <= 1
    assert "138****5678" in last["text"] and "13812345678" not in json.dumps(package)
    assert [p["emotion"] for p in package["emotion_trajectory"]] == [last["emotion"]]
    assert package["entities"]["order_id"] == "20251103887"
    assert package["severity"]["level"] == "severe" and "risk:safety_health" in package["severity"]["reasons"]
    assert "严重" in package["summary"] and "20251103887" in package["summary"]
    assert package["earlier_cases"] == [] and package["suggested_replies"] and package["canned_replies"]
    assert package["sla"]["first_response_due"] and package["sla"]["resolution_due"]

    mark = chat.mark()
    sent = alice.call("POST", f"/cases/{case_id}/reply", {"text": "您好，我是客服 alice，孩子还好吗？我们马上处理。"},
                      headers={"Idempotency-Key": "r1"})
    assert sent["delivered"] is True
    assert "孩子还好吗" in chat.receives(mark, lambda t: "孩子还好吗" in t)
    again = alice.call("POST", f"/cases/{case_id}/reply", {"text": "您好，我是客服 alice，孩子还好吗？我们马上处理。"},
                       headers={"Idempotency-Key": "r1"})
    assert again["duplicate"] is True
    time.sleep(0.5)
    assert sum("孩子还好吗" in str(m.get("text")) for m in chat.inbox.since(chat.conversation_id, mark)) == 1
    bot_events = [e for e in chat.tracker()["events"] if e["event"] == "bot" and "孩子还好吗" in (e.get("text") or "")]
    assert len(bot_events) == 1 and bot_events[0]["metadata"]["handoff_agent"] == "alice"

    assert chat.say("孩子没事，就是吓坏了，你们一定要给个说法") == []  # the bot stays quiet
    messages = eventually(lambda: [m for m in alice.call("GET", f"/cases/{case_id}/messages")["messages"]
                                   if m["role"] == "customer"])
    assert messages[-1]["text"].startswith("孩子没事") and messages[-1]["intent"] and messages[-1]["emotion"]

    alice.call("POST", f"/cases/{case_id}/notes", {"text": "已联系仓库查批次"})
    alice.call("POST", f"/cases/{case_id}/state", {"state": "investigating", "note": "查批次"})
    with pytest.raises(ApiError) as refused:
        alice.call("POST", f"/cases/{case_id}/state", {"state": "received"})
    assert refused.value.status == 409 and "allowed" in refused.value.body["error"]["message"]

    mark = chat.mark()
    resolved = alice.call("POST", f"/cases/{case_id}/resolve", {"note": "退款并补偿"})
    assert resolved["handed_back"] is True and resolved["case"]["state"] == "follow_up"
    chat.receives(mark, lambda t: "1–5" in t or "打分" in t)
    with pytest.raises(ApiError) as late:
        alice.call("POST", f"/cases/{case_id}/reply", {"text": "还有一件事"})
    assert late.value.status == 409

    assert any("跳过" in t or "更好" in t for t in chat.say("5"))
    assert any("感谢" in t for t in chat.say("处理很及时"))
    final = alice.call("GET", f"/cases/{case_id}")["case"]
    assert final["rating"]["score"] == 5 and final["rating"]["comment"] == "处理很及时"
    assert final["state"] == "closed"
    assert [t["to_state"] for t in final["transitions"]] == ["received", "investigating", "follow_up", "closed"]
    follow_ups = boss.call("GET", "/follow-ups")["follow_ups"]
    assert any(f["case_id"] == case_id for f in follow_ups)


def test_severe_complaint_goes_to_a_person_and_back_to_the_bot(stack: Stack, chat: ChatCustomer,
                                                               supervisor: Agent) -> None:
    full_scenario(stack, chat, create_agent(stack, "alice"), create_agent(stack, "bob"), supervisor)


def test_two_agents_claiming_at_once_get_it_once(stack: Stack, inbox: Inbox, supervisor: Agent) -> None:
    agents = [create_agent(stack, f"racer{i}") for i in range(6)]
    customer = ChatCustomer(stack, inbox, "chat-race")
    case_id = case_id_in(customer.say("我要投诉，再不处理我就去12315"))
    results: list[Any] = []

    def claim(agent: Agent) -> None:
        try:
            results.append(agent.call("POST", f"/cases/{case_id}/claim")["case"]["assigned_agent"])
        except ApiError as exc:
            results.append(exc.status)

    threads = [threading.Thread(target=claim, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1 and sorted(r for r in results if not isinstance(r, str)) == [409] * 5


def test_customer_writing_while_the_agent_resolves_loses_nothing(stack: Stack, chat: ChatCustomer) -> None:
    agent = create_agent(stack, "carol")
    agent.call("GET", "/queue")
    case_id = case_id_in(chat.say("the blender caught fire and burned my hand, I want a lawyer"))
    agent.call("POST", f"/cases/{case_id}/claim")
    agent.call("POST", f"/cases/{case_id}/reply", {"text": "I'm so sorry. Is your hand OK?"})
    mark = chat.mark()
    said = threading.Thread(target=chat.say, args=("also the receipt is in the box",))
    said.start()
    agent.call("POST", f"/cases/{case_id}/resolve")
    said.join()
    chat.receives(mark, lambda t: "1 to 5" in t)
    texts = [e.get("text") for e in chat.tracker()["events"] if e["event"] == "user"]
    assert "also the receipt is in the box" in texts
    eventually(lambda: any(m["text"] == "also the receipt is in the box"
                           for m in agent.call("GET", f"/cases/{case_id}/messages")["messages"]))


def test_queue_survives_a_redis_flush_and_a_restart(stack: Stack, inbox: Inbox, supervisor: Agent) -> None:
    agent = create_agent(stack, "dave")
    agent.call("GET", "/queue")
    first = case_id_in(ChatCustomer(stack, inbox, "chat-flush-1").say("充电宝爆炸了，把沙发烧了"))
    client = redis.Redis.from_url(stack.redis_url)
    client.flushall()  # everything in Redis is gone, the database still has the case
    agent.call("GET", "/queue")  # signs in again: presence lived in Redis too
    assert first in [c["id"] for c in agent.call("GET", "/queue")["cases"]]

    client.shutdown(nosave=True)  # Redis dies; the project's own redis-server is started again
    time.sleep(0.5)
    stack.start_redis()
    eventually(lambda: agent.call("GET", "/queue") is not None)
    assert first in [c["id"] for c in agent.call("GET", "/queue")["cases"]]
    customer = ChatCustomer(stack, inbox, "chat-flush-2")
    second = case_id_in(customer.say("再不退款我就去消协投诉你们"))
    claimed = agent.call("POST", f"/cases/{second}/claim")["case"]
    assert claimed["assigned_agent"] == "dave"
    assert customer.say("我等着呢") == []
    eventually(lambda: any(m["text"] == "我等着呢" for m in agent.call("GET", f"/cases/{second}/messages")["messages"]),
               timeout=30)


def test_unclaimed_severe_case_breaches_its_sla_and_alerts_supervisors(stack: Stack, inbox: Inbox,
                                                                       supervisor: Agent) -> None:
    case_id = case_id_in(ChatCustomer(stack, inbox, "chat-sla").say("外卖里吃出钢丝，孩子嘴都划破了"))
    before = supervisor.call("GET", f"/cases/{case_id}")["case"]["priority"]
    alerts = eventually(lambda: [a for a in supervisor.call("GET", "/alerts")["alerts"]
                                 if a["case_id"] == case_id], timeout=20)
    assert alerts[0]["kind"] == "sla_breach" and alerts[0]["level"] == "severe"
    assert supervisor.call("GET", f"/cases/{case_id}")["case"]["priority"] > before
    with pytest.raises(ApiError) as not_boss:
        create_agent(stack, "erin").call("GET", "/alerts")
    assert not_boss.value.status == 403


def test_customer_asks_where_the_case_is(stack: Stack, inbox: Inbox, supervisor: Agent) -> None:
    customer = ChatCustomer(stack, inbox, "chat-status")
    case_id = case_id_in(customer.say("I was charged twice for order 20251103887"))
    replies = ChatCustomer(stack, inbox, "chat-status-later").say(f"{case_id} 处理到哪一步了")
    assert any(case_id in r and "已受理" in r for r in replies), replies


def test_the_api_is_documented_and_refuses_bad_requests(stack: Stack, supervisor: Agent) -> None:
    with urllib.request.urlopen(f"{stack.handoff_url}/openapi.json") as response:
        document = json.loads(response.read())
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {"listQueue", "claimCase", "getCase", "replyToCase", "addNote", "transferCase", "updateCaseState",
            "resolveCase", "listAlerts"} <= operations
    with pytest.raises(ApiError) as anonymous:
        Agent(stack, "nobody", "wrong-token").call("GET", "/queue")
    assert anonymous.value.status == 401
    with pytest.raises(ApiError) as unknown:
        supervisor.call("GET", "/cases/C-20000101-0001")
    assert unknown.value.status == 404
    with pytest.raises(ApiError) as malformed:
        supervisor.call("POST", "/cases/C-20000101-0001/reply", raw=b"{not json")
    assert malformed.value.status == 400
    with pytest.raises(ApiError) as empty:
        supervisor.call("POST", "/cases/C-20000101-0001/notes", {"text": ""})
    assert empty.value.status == 422


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[Stack]:
    url, stop_pg = start_postgres(tmp_path_factory.mktemp("pg"))
    stack = start_stack(tmp_path_factory.mktemp("var-pg"), inbox, DATABASE_URL=url)
    yield stack
    stack.stop()
    stop_pg()


def test_the_same_handoff_on_postgresql(pg_stack: Stack, inbox: Inbox) -> None:
    boss = create_agent(pg_stack, "pg-sam", "supervisor")
    chat = ChatCustomer(pg_stack, inbox, "chat-pg")
    full_scenario(pg_stack, chat, create_agent(pg_stack, "alice"), create_agent(pg_stack, "bob"), boss)



def test_conversation_ids_with_any_characters_reach_the_customer(stack: Stack, inbox: Inbox,
                                                                 supervisor: Agent) -> None:
    """A REST integrator may use e-mail addresses or names as sender ids; the agent's reply must
    still reach that conversation (Rasa's API gets the id percent-encoded)."""
    agent = create_agent(stack, "frank")
    agent.call("GET", "/queue")
    customer = ChatCustomer(stack, inbox, "客户 alice@example.com/42?#%")
    case_id = case_id_in(customer.say("再不退钱我就去12315投诉"))
    agent.call("POST", f"/cases/{case_id}/claim")
    mark = customer.mark()
    agent.call("POST", f"/cases/{case_id}/reply", {"text": "您好，我来处理您的退款"})
    customer.receives(mark, lambda t: "我来处理" in t)
