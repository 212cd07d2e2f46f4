"""Handoff latencies and claim throughput, on SQLite and on PostgreSQL side by side in one run.

For each database a whole stack is started (Redis, action server, Rasa, handoff service):
- customer message → claimable: a severe complaint is posted to Rasa's callback channel; the
  clock stops when the queue announces the case (Redis pub/sub, which is sent after the case is
  in the database and in the queue: from then on `claimCase` succeeds);
- agent reply → customer: `replyToCase` is called; the clock stops when the customer's channel
  (a local receiver of Rasa's callback channel) gets the text;
- claims per second: 50 agents, each in its own thread, call `claimNext` until the queue is empty;
  double claims are counted from the responses and from the database.

    python -m benchmarks.handoff [--messages 60] [--cases 500]

Results: docs/benchmarks.md (section "Handoff latency and claims") and results/benchmarks/handoff.json.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, Optional

import redis

from benchmarks.report import DOC, machine, now, replace_section
from core.settings import ROOT
from handoff.desk import Desk
from handoff.queue import CaseQueue
from handoff.store import CaseStore
from tests.integration.conftest import Agent, ApiError, ChatCustomer, Inbox, create_agent, start_stack
from tests.pg import start_postgres
from tools.stack import Stack

SECTION = "## Handoff latency and claims"
RESULTS = ROOT / "results" / "benchmarks" / "handoff.json"
SEVERE = ["充电宝冒烟起火，差点烧到孩子", "再不退钱我就去12315投诉", "the heater caught fire, I'm calling my lawyer",
          "外卖里吃出钢丝，孩子嘴都划破了", "账号被盗刷了五千块，我要报警"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 0.5), 2), "p99": round(percentile(values, 0.99), 2),
            "max": round(max(values), 2) if values else float("nan"), "n": len(values)}


def to_claimable(stack: Stack, inbox: Inbox, agent: Agent, messages: int, tag: str) -> tuple[list[float], list[str]]:
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    pubsub = client.pubsub()
    pubsub.subscribe("handoff:notify")
    pubsub.get_message(timeout=1)
    times: list[float] = []
    cases: list[str] = []
    for i in range(messages):
        customer = ChatCustomer(stack, inbox, f"bench-{tag}-{i}")
        started = time.perf_counter()
        thread = threading.Thread(target=customer.say, args=(SEVERE[i % len(SEVERE)],))
        thread.start()
        case_id = None
        while case_id is None:
            note = pubsub.get_message(timeout=30)
            if note is None:
                raise RuntimeError("no case was queued within 30 s")
            if note.get("type") != "message":
                continue
            data = json.loads(note["data"])
            if data.get("kind") == "queued":
                case_id = data["payload"]["case_id"]
        times.append((time.perf_counter() - started) * 1000)
        thread.join()
        cases.append(case_id)
    pubsub.close()
    return times, cases


def reply_delivery(stack: Stack, inbox: Inbox, agent: Agent, cases: list[str], tag: str) -> list[float]:
    times = []
    for i, case_id in enumerate(cases):
        case = agent.call("POST", f"/cases/{case_id}/claim")["case"]
        sender = case["conversation_id"]
        text = f"您好，我是客服，马上为您处理（{tag}-{i}）"
        mark = inbox.count(sender)
        started = time.perf_counter()
        agent.call("POST", f"/cases/{case_id}/reply", {"text": text})
        inbox.wait_for(sender, mark, lambda t, text=text: t == text, timeout=30)  # type: ignore[misc]
        times.append((time.perf_counter() - started) * 1000)
    return times


def claims(stack: Stack, agents: list[Agent], cases: int, database_url: str) -> dict[str, Any]:
    store = CaseStore(database_url)
    desk = Desk(store, CaseQueue(redis.Redis.from_url(stack.redis_url, decode_responses=True)))
    for i in range(cases):
        desk.hand_off(conversation_id=f"bench-claim-{i}", channel="rest", customer_id=f"bench-claim-{i}",
                      language="zh-Hans" if i % 2 else "en", category="complain_refund", severity="important",
                      emotion="anger", reasons=["bench"])
    got: list[str] = []
    errors: Counter[int] = Counter()
    lock = threading.Lock()

    def work(agent: Agent) -> None:
        while True:
            try:
                case = agent.call("POST", "/queue/next")["case"]
            except ApiError as exc:
                with lock:
                    errors[exc.status] += 1
                continue
            if case is None:
                return
            with lock:
                got.append(case["id"])

    threads = [threading.Thread(target=work, args=(a,)) for a in agents]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    counts = Counter(got)
    assigned = [c for c in store.cases(limit=100000) if c.conversation_id.startswith("bench-claim-")]
    return {"agents": len(agents), "cases": cases, "claimed": len(got), "seconds": round(elapsed, 2),
            "claims_per_second": round(len(got) / elapsed, 1),
            "double_claims_in_responses": sum(n - 1 for n in counts.values() if n > 1),
            "unclaimed_in_database": sum(1 for c in assigned if c.assigned_agent_id is None),
            "errors": dict(errors)}


def measure_one(name: str, var: Path, inbox: Inbox, messages: int, cases: int,
                database_url: Optional[str]) -> dict[str, Any]:
    env = {"DATABASE_URL": database_url} if database_url else {}
    stack = start_stack(var, inbox, **env)
    try:
        tag = name.split()[0].lower()  # ids without spaces
        agent = create_agent(stack, f"bench-{tag}", "supervisor")
        agent.call("GET", "/queue")
        # warm-up: the first message loads lazily imported code in every process
        to_claimable(stack, inbox, agent, 3, f"{tag}-warm")
        claim_times, case_ids = to_claimable(stack, inbox, agent, messages, tag)
        delivery = reply_delivery(stack, inbox, agent, case_ids, tag)
        agents = [create_agent(stack, f"bench-{tag}-{i}") for i in range(50)]
        throughput = claims(stack, agents, cases, database_url or f"sqlite:///{var / 'shop.db'}")
        return {"database": name, "message_to_claimable_ms": summary(claim_times),
                "reply_to_customer_ms": summary(delivery), "claims": throughput}
    finally:
        stack.stop()


def render(report: dict[str, Any]) -> str:
    rows = report["results"]
    lines = [SECTION, "", f"Run {report['when']} on {report['machine']['nproc']} cores "
             f"({report['machine']['cpu']}), load average {report['machine']['load_average']:.2f} at the start; "
             f"`python -m benchmarks.handoff --messages {report['messages']} "
             f"--cases {report['cases']}`. Each database gets its own whole stack (Redis, Rasa, action server, "
             "handoff service); customers on Rasa's callback channel, agents on the HTTP API.", "",
             "| measure | " + " | ".join(r["database"] for r in rows) + " |",
             "|---|" + "---|" * len(rows)]

    def row(label: str, key: str) -> None:
        lines.append(f"| {label} p50 / p99 ms | " + " | ".join(
            f"{r[key]['p50']} / {r[key]['p99']}" for r in rows) + " |")

    row("severe message → claimable", "message_to_claimable_ms")
    row("agent reply → customer's channel", "reply_to_customer_ms")
    lines.append("| claims per second, 50 agents | " + " | ".join(
        f"{r['claims']['claims_per_second']} ({r['claims']['claimed']} cases)" for r in rows) + " |")
    lines.append("| double claims | " + " | ".join(str(r["claims"]["double_claims_in_responses"]) for r in rows)
                 + " |")
    lines += ["", "Claimable = in the database and in the Redis queue (the queue announces it); the time includes "
              "Rasa's NLU, the routing and the action server writing the case and its handoff package. "
              "The customer's reply to the agent is timed until Rasa's callback channel delivers it.", ""]
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--cases", type=int, default=500)
    args = parser.parse_args(argv)
    inbox = Inbox()
    results = []
    with TemporaryDirectory(prefix="bench-handoff-") as tmp:
        work = Path(tmp)
        results.append(measure_one("SQLite", work / "sqlite", inbox, args.messages, args.cases, None))
        url, stop_pg = start_postgres(work / "pg")
        try:
            results.append(measure_one("PostgreSQL 15", work / "postgres", inbox, args.messages, args.cases, url))
        finally:
            stop_pg()
    inbox.server.shutdown()
    report = {"when": now(), "machine": machine(), "messages": args.messages, "cases": args.cases,
              "results": results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    DOC.write_text(replace_section(DOC.read_text(encoding="utf-8") if DOC.exists() else "", render(report),
                                   SECTION), encoding="utf-8")
    print(render(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
