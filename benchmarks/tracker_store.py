"""Where Rasa keeps conversations: its RedisTrackerStore against its SQLTrackerStore, side by side.

Per customer message Rasa does one `retrieve` of the conversation and one `save` of it with the
new events (the processor, under the conversation's lock). This benchmark does exactly that,
with Rasa's own store classes and the project's domain, for conversations that grow turn by turn
to `--turns` turns; each turn is what our assistant records for an FAQ answer: the user event
with our parse data (intent ranking, language, emotion, risks, severity, route), the
featurization marker, the action, the bot message, a slot and `action_listen`.

Stores, all in one run and interleaved turn by turn so that a busy machine hurts each alike:
- `redis`: RedisTrackerStore on a redis-server of its own (appendonly, as tools.stack runs it);
- `sql (SQLite)`: SQLTrackerStore on a SQLite file (the default DATABASE_URL);
- `sql (PostgreSQL)`: SQLTrackerStore on a PostgreSQL server of its own (the several-machines
  DATABASE_URL), when PostgreSQL's binaries are installed.

    python -m benchmarks.tracker_store [--conversations 30] [--turns 40]

Results: docs/benchmarks.md (section "Tracker store") and results/benchmarks/tracker_store.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, Callable, Optional

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from benchmarks.report import DOC, cell, machine, now, replace_section
from core.settings import ROOT

SECTION = "## Tracker store"
RESULTS = ROOT / "results" / "benchmarks" / "tracker_store.json"
AT_TURNS = (10, 20, 40)
INTENTS = ["ask_returns", "ask_shipping", "ask_order_status", "ask_refund_status", "complain_delivery",
           "complain_quality", "request_human", "greet", "thank", "ask_invoice"]
ANSWER = ("签收后 7 天内支持无理由退货（商品完好、不影响二次销售；食品、贴身衣物除外），15 天内质量问题可换货或退货。"
          "在“我的订单 → 申请售后”提交即可，质量问题的退货运费由我们承担。仓库收到退货后 1–3 个工作日审核，"
          "退款原路返回，一般 1–7 个工作日到账。")


def parse_data(text: str, turn: int) -> dict[str, Any]:
    """The shape of our NLU result (bot/components): what a real user event carries."""
    ranking = [{"name": name, "confidence": round(0.9 / (i + 1), 4)} for i, name in enumerate(INTENTS)]
    return {
        "text": text, "intent": ranking[0], "intent_ranking": ranking, "language": "zh-Hans",
        "entities": [{"entity": "order_id", "value": f"2025110{turn:04d}", "start": 3, "end": 14,
                      "extractor": "RegexEntityExtractor"}],
        "emotion": {"name": "neutral", "confidence": 0.81},
        "emotion_ranking": [{"name": n, "confidence": c} for n, c in
                            (("neutral", 0.81), ("anger", 0.07), ("anxiety", 0.05), ("sadness", 0.04), ("joy", 0.03))],
        "risks": [], "complaint": None, "severity": {"level": "none", "reasons": []}, "handoff": False,
        "route": "answer", "message_id": uuid.uuid4().hex, "metadata": {},
    }


def session_start(now_: float) -> list[Event]:
    return [ActionExecuted("action_session_start", timestamp=now_), SessionStarted(timestamp=now_),
            ActionExecuted("action_listen", timestamp=now_)]


def turn_events(turn: int, now_: float) -> list[Event]:
    text = f"请问退货规定是什么，订单 2025110{turn:04d}"
    return [
        UserUttered(text, intent=parse_data(text, turn)["intent"], parse_data=parse_data(text, turn),
                    timestamp=now_, input_channel="rest"),
        DefinePrevUserUtteredFeaturization(False, timestamp=now_),
        ActionExecuted("action_answer", policy="RulePolicy", confidence=1.0, timestamp=now_),
        BotUttered(ANSWER, data={"elements": None, "quick_replies": None, "buttons": None},
                   metadata={"utter_action": "utter_returns"}, timestamp=now_),
        SlotSet("language", "zh-Hans", timestamp=now_),
        ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0, timestamp=now_),
    ]


async def one_message(store: TrackerStore, domain: Domain, sender: str, turn: int) -> tuple[float, float]:
    """What Rasa does for one message: retrieve, add the turn's events, save. Returns (ms, ms)."""
    started = time.perf_counter()
    tracker = await store.retrieve(sender)
    retrieved = time.perf_counter()
    if tracker is None:
        tracker = DialogueStateTracker(sender, domain.slots)
        for event in session_start(time.time()):
            tracker.update(event)
    for event in turn_events(turn, time.time()):
        tracker.update(event)
    before_save = time.perf_counter()
    await store.save(tracker)
    saved = time.perf_counter()
    return (retrieved - started) * 1000, (saved - before_save) * 1000


async def returning_customer(store: TrackerStore, domain: Domain, sender: str, sessions: int, turns: int) -> None:
    """A customer who has been here before: `sessions` past sessions of `turns` turns, days ago."""
    tracker = DialogueStateTracker(sender, domain.slots)
    for s in range(sessions):
        at = time.time() - 86400 * (sessions - s)
        for event in session_start(at):
            tracker.update(event)
        for turn in range(1, turns + 1):
            for event in turn_events(turn, at + turn):
                tracker.update(event)
    await store.save(tracker)


def pct(values: list[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run(stores: dict[str, TrackerStore], domain: Domain, conversations: int, turns: int,
              history: int = 0) -> dict[str, Any]:
    """`history` > 0: every conversation is a returning customer with that many past sessions."""
    timings: dict[str, dict[int, list[tuple[float, float]]]] = {name: {} for name in stores}
    run_id = uuid.uuid4().hex[:8]
    if history:
        for store in stores.values():
            for c in range(conversations):
                await returning_customer(store, domain, f"bench-{run_id}-{c}", history, 20)
    for turn in range(1, turns + 1):
        for c in range(conversations):
            order = list(stores.items())
            order = order[(turn + c) % len(order):] + order[:(turn + c) % len(order)]  # who goes first rotates
            for name, store in order:
                timings[name].setdefault(turn, []).append(
                    await one_message(store, domain, f"bench-{run_id}-{c}", turn))
    summary: dict[str, Any] = {}
    for name, per_turn in timings.items():
        rows = {}
        for at in (t for t in AT_TURNS if t <= turns):
            window = [pair for t in range(max(1, at - 4), at + 1) for pair in per_turn[t]]  # 5 turns around `at`
            total = [r + s for r, s in window]
            rows[at] = {"messages": len(window), "retrieve_p50": pct([r for r, _ in window], 0.5),
                        "save_p50": pct([s for _, s in window], 0.5), "p50": pct(total, 0.5),
                        "p95": pct(total, 0.95)}
        every = [r + s for pairs in per_turn.values() for r, s in pairs]
        summary[name] = {"by_turn": rows, "mean_all": statistics.fmean(every), "messages": len(every)}
    return summary


def open_stores(domain: Domain, exits: ExitStack, postgres: bool) -> dict[str, TrackerStore]:
    from tests.redis_server import RedisServer  # the benchmark starts its own servers, as the tests do

    tmp = Path(exits.enter_context(TemporaryDirectory(prefix="tracker-bench-")))
    server = exits.enter_context(RedisServer())
    stores: dict[str, TrackerStore] = {
        "in-memory (today, forgets on restart)": InMemoryTrackerStore(domain),
        "redis": RedisTrackerStore(domain, host="127.0.0.1", port=server.port, db=2),
        "sql (SQLite)": SQLTrackerStore(domain, host=f"sqlite:///{tmp / 'shop.db'}"),
    }
    if postgres:
        try:
            from tests.pg import start_postgres
            url, stop = start_postgres(tmp / "pg")
        except (RuntimeError, OSError, FileNotFoundError) as error:
            print(f"PostgreSQL left out: {error}")
        else:
            exits.callback(stop)
            sql = SQLTrackerStore(domain, host=url)
            exits.callback(sql.engine.dispose)
            stores["sql (PostgreSQL)"] = sql
    return stores


def markdown(result: dict[str, Any], command: str) -> str:
    m = result["machine"]
    lines = [
        f"{SECTION}\n",
        f"Written by `{command}` on {result['when']}. Machine: {m['nproc']} CPUs, {m['cpu']}, "
        f"{m['memory_mb'] // 1024} GiB RAM, Python {m['python']}; load average {m['load_average']:.2f} at the start.\n",
        f"What was measured: Rasa's own tracker store classes with the project's domain, called as Rasa's "
        f"processor calls them for each customer message (`retrieve`, add the turn's events, `save`). "
        f"{result['conversations']} conversations grow to {result['turns']} turns each; each turn is the six "
        "events our assistant records for an FAQ answer (user event with our full parse data, featurization "
        "marker, action, bot message, slot, `action_listen`). The stores take turns message by message. A row "
        "\"turn N\" pools the messages of turns N-4..N of every conversation; times in ms per message.\n",
        "| store | at turn | messages | retrieve p50 | save p50 | total p50 | total p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, data in result["stores"].items():
        for at, row in data["by_turn"].items():
            lines.append(f"| {name} | {at} | {row['messages']} | {cell(row['retrieve_p50'], 2)} | "
                         f"{cell(row['save_p50'], 2)} | {cell(row['p50'], 2)} | {cell(row['p95'], 2)} |")
    lines.append("")
    lines.append(f"A returning customer: {result['history']} earlier sessions of 20 turns (days ago), then a new "
                 "session; ms per message at its turn 10 (turns 6..10 pooled):\n")
    lines.append("| store | messages | retrieve p50 | save p50 | total p50 | total p95 |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for name, data in result["returning"].items():
        row = data["by_turn"].get(10) or data["by_turn"]["10"]
        lines.append(f"| {name} | {row['messages']} | {cell(row['retrieve_p50'], 2)} | {cell(row['save_p50'], 2)} | "
                     f"{cell(row['p50'], 2)} | {cell(row['p95'], 2)} |")
    lines.append("")
    means = ", ".join(f"{name} {data['mean_all']:.2f} ms" for name, data in result["stores"].items())
    lines.append(f"Mean over all {result['turns']} turns: {means}.\n")
    lines.append(result["decision"] + "\n")
    return "\n".join(lines)


def p50(summary: dict[str, Any], store: str, at: int) -> Optional[float]:
    rows = summary.get(store, {}).get("by_turn", {})
    row = rows.get(at) or rows.get(str(at))  # str keys once read back from the JSON
    return row["p50"] if row else None


def choose(result: dict[str, Any]) -> str:
    """The decision (tools/endpoints.py: SQL) with this run's figures; flagged if they disagree."""
    stores, back = result["stores"], result["returning"]
    sql = [name for name in stores if name.startswith("sql")]
    longest = max(int(at) for at in stores["redis"]["by_turn"])

    def figures(summary: dict[str, Any], at: int) -> str:
        return ", ".join(f"{name} {cell(p50(summary, name, at))}" for name in ["redis", *sql])

    redis_back = p50(back, "redis", 10) or 0.0
    sql_back = min(p50(back, name, 10) or float("inf") for name in sql)
    if redis_back <= sql_back:
        return (f"**Look again**: in this run Redis was not costlier for a returning customer "
                f"({figures(back, 10)} ms), which the choice of the SQL store in tools/endpoints.py rests on.")
    return (
        "**Chosen: SQLTrackerStore on the project's DATABASE_URL** (tools/endpoints.py, docs/state.md). "
        f"For a new, short conversation Redis is the cheapest (p50 at turn 10: {figures(stores, 10)} ms), "
        f"by turn {longest} the SQL stores have caught up ({figures(stores, longest)} ms), and for a "
        f"customer who comes back Redis costs {redis_back / sql_back:.0f}× the cheaper SQL store "
        f"({figures(back, 10)} ms). The reason is in Rasa's code: RedisTrackerStore keeps a conversation as "
        "one key and on every save reads it, replays it to merge, and rewrites it whole, all sessions "
        "included; SQLTrackerStore reads only the current session and appends the new events. A customer's "
        "history only grows (sessions expire after 60 minutes, the history stays), so Redis's cost per "
        "message grows without bound. The SQL store also keeps conversations with the cases, durable by "
        "default, where this project does not count on Redis keeping its data."
    )


def main(argv: Optional[list[str]] = None, write: Callable[[str], None] = print) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=30)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--history", type=int, default=3, help="past 20-turn sessions of a returning customer")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--render", action="store_true", help="write the section from the last run's JSON")
    args = parser.parse_args(argv)
    if args.render:
        saved: dict[str, Any] = json.loads(RESULTS.read_text(encoding="utf-8"))
        saved["decision"] = choose(saved)
        section = markdown(saved, saved.get("command", "python -m benchmarks.tracker_store"))
        write(section)
        DOC.write_text(replace_section(DOC.read_text(encoding="utf-8"), section, SECTION), encoding="utf-8")
        return saved
    domain = Domain.load(str(ROOT / "domain.yml"))
    result: dict[str, Any] = {"when": now(), "machine": machine(), "conversations": args.conversations,
                              "turns": args.turns, "history": args.history}
    with ExitStack() as exits:
        stores = open_stores(domain, exits, not args.no_postgres)
        result["stores"] = asyncio.run(run(stores, domain, args.conversations, args.turns))
        result["returning"] = asyncio.run(run(stores, domain, args.conversations, 10, history=args.history))
    result["decision"] = choose(result)
    given = [a for a in (sys.argv[1:] if argv is None else argv) if a != "--no-doc"]
    result["command"] = " ".join(["python -m benchmarks.tracker_store", *given])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    section = markdown(result, result["command"])
    write(section)
    if not args.no_doc:
        document = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        DOC.write_text(replace_section(document, section, SECTION), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
