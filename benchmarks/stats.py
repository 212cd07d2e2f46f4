"""Statistics over a year of synthetic cases, on SQLite and on PostgreSQL side by side in one run.

Each database gets the same synthetic year of 1,000,000 cases spread evenly, as it is at AS_OF
(16:00 on its last day: the rest of that day's cases and every answer, resolution or rating after
that moment do not exist yet), with ratings for part of them, SLA breaches, and a conversation
archive; written in bulk (executemany on SQLite, COPY
on PostgreSQL) into a schema made by the project's migrations. Then, per database, `page_data`
from the cases alone (before the rollup) for 7 and 30 days; the first rollup; and `page_data`
is timed `--calls` times (default 20) for a 7-day range, a 30-day range and the whole year, each
without and with a category filter; the drill-down (`handoff.stats.cases`) for a 30-day range
and for a heatmap cell over the year; and the aggregate export (CSV) of 30 days and of the year.

    python -m benchmarks.stats [--cases 1000000] [--calls 20]

Requirement (issue 12): p95 page-data time < 1 s. Results: docs/benchmarks.md (section
"Statistics at 1 million cases") and results/benchmarks/stats.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sqlite3
import time
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, Callable, Iterator, Optional

import psycopg2
import sqlalchemy as sa

from benchmarks.report import DOC, machine, now, replace_section
from core.settings import ROOT
from handoff.stats import Selection, StatsFilters, cases, export, page_data
from handoff.stats.rollup import refresh
from handoff.store import CaseStore
from tests.pg import start_postgres

SECTION = "## Statistics at 1 million cases"
RESULTS = ROOT / "results" / "benchmarks" / "stats.json"
TZ = "Asia/Shanghai"
END = date(2026, 12, 2)  # the last local day of the synthetic year
YEAR_START = datetime(2025, 12, 2, 16, tzinfo=timezone.utc)  # 2025-12-03 00:00 in Shanghai
AS_OF = datetime(2026, 12, 2, 8, tzinfo=timezone.utc)  # 16:00 on the last day: today is two thirds done
CATEGORIES = ["complain_refund", "complain_delivery", "complain_quality", "complain_billing", "complain_service",
              "complain_general", "order_status", "return_request", "ask_invoice", "account_help"]
CATEGORY_WEIGHTS = [20, 18, 12, 8, 6, 6, 12, 8, 5, 5]
SEVERITIES, SEVERITY_WEIGHTS = ["none", "general", "important", "severe"], [30, 40, 22, 8]
CHANNELS, CHANNEL_WEIGHTS = ["socketio", "telegram", "rest", "callback"], [55, 20, 20, 5]
TEAMS = {"complain_refund": "billing", "complain_billing": "billing", "complain_delivery": "logistics"}
CASE_COLUMNS = ("id", "conversation_id", "channel", "customer_id", "language", "category", "severity", "emotion",
                "reasons", "priority", "state", "team", "handoff", "queue_status", "summary", "breaches",
                "created_at", "updated_at", "first_response_due", "resolution_due", "first_response_at",
                "resolved_at", "closed_at", "version")


def is_stamp(value: str) -> bool:
    return len(value) == 26 and value[4] == "-" and value[10] == " " and value[19] == "."


def stamp(moment: Optional[datetime]) -> Optional[str]:
    """How UtcDateTime is stored on SQLite (naive UTC text); PostgreSQL reads it as UTC too."""
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def synthetic(count: int, seed: int = 12) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(table, row) in created_at order: cases with their ratings and breaches, and conversations
    of the archive (one per case, plus about as many again that the bot handled alone)."""
    rng = random.Random(seed)
    seconds = 365 * 86400
    moments = sorted(rng.random() for _ in range(count))
    sequence: dict[str, int] = {}
    for i, fraction in enumerate(moments):
        created = YEAR_START + timedelta(seconds=fraction * seconds)
        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        severity = rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
        handoff = severity in ("important", "severe") or rng.random() < 0.4
        first = created + timedelta(seconds=rng.lognormvariate(4.5, 1.2)) if handoff and rng.random() < 0.93 else None
        resolved = created + timedelta(seconds=rng.lognormvariate(8.5, 1.3)) if rng.random() < 0.85 else None
        closed = resolved + timedelta(days=2) if resolved and rng.random() < 0.6 else None
        if created > AS_OF:  # the database as it is at AS_OF: nothing has happened after it yet
            return
        first, resolved, closed = (t if t is not None and t <= AS_OF else None for t in (first, resolved, closed))
        changed = max(t for t in (created, first, resolved, closed) if t is not None)
        day = f"{created:%Y%m%d}"
        sequence[day] = sequence.get(day, 0) + 1
        case_id = f"C-{day}-{sequence[day]:05d}"
        conversation = f"{rng.choice(('web', 'telegram', 'rest'))}:u{i}"
        customer = f"cust-{rng.randrange(count // 3)}"
        yield "handoff_cases", (
            case_id, conversation, rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0], customer,
            "zh-Hans" if rng.random() < 0.8 else "en", category, severity, "anger", "[]", 50,
            "closed" if closed else ("follow_up" if resolved else "received"), TEAMS.get(category, "general"),
            handoff, "none", "退款纠纷，客户要求尽快处理", 0, stamp(created), stamp(changed),
            stamp(created + timedelta(minutes=5 if severity == "severe" else 30)),
            stamp(created + timedelta(hours=24 if severity == "severe" else 72)), stamp(first), stamp(resolved),
            stamp(closed), 1)
        if resolved and resolved + timedelta(minutes=3) <= AS_OF and rng.random() < 0.35:
            yield "handoff_ratings", (case_id, rng.choices((1, 2, 3, 4, 5), (5, 5, 10, 30, 50))[0], None,
                                      stamp(resolved + timedelta(minutes=3)))
        if handoff and (first is None or first > created + timedelta(minutes=30)) and \
                created + timedelta(minutes=30) <= AS_OF and rng.random() < 0.5:
            at = created + timedelta(minutes=30)
            yield "handoff_sla_events", (case_id, "first_response", stamp(at), stamp(at), 50, 60)
        for own, cid in ((True, conversation), (False, f"web:bot{i}")):
            if not own and rng.random() < 0.3:
                continue
            seen = created - timedelta(seconds=rng.randrange(30, 600))
            turns = rng.randint(1, 6)
            yield "archive_conversations", (cid, cid.split(":")[0], cid, "zh-Hans", stamp(seen), stamp(seen), turns)
            if rng.random() < 0.08:
                yield "archive_bot_events", (f"{cid}-fb", cid, stamp(seen + timedelta(seconds=5)), "action",
                                             "action_fallback")
            yield "archive_turns", (f"{cid}-t", cid, stamp(seen), "…",
                                    "nlu_fallback" if rng.random() < 0.06 else category, "[]")


COLUMNS = {
    "handoff_cases": CASE_COLUMNS,
    "handoff_ratings": ("case_id", "score", "comment", "at"),
    "handoff_sla_events": ("case_id", "kind", "due_at", "breached_at", "priority_before", "priority_after"),
    "archive_conversations": ("id", "channel", "customer_id", "language", "first_seen", "last_seen", "user_turns"),
    "archive_bot_events": ("event_key", "conversation_id", "at", "kind", "action"),
    "archive_turns": ("event_key", "conversation_id", "at", "text", "intent", "severity_reasons"),
}
ORDER = ("archive_conversations", "handoff_cases", "handoff_ratings", "handoff_sla_events", "archive_turns",
         "archive_bot_events")


def batches(count: int, size: int = 50_000) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    pending: dict[str, list[tuple[Any, ...]]] = {t: [] for t in ORDER}
    for n, (table, row) in enumerate(synthetic(count)):
        pending[table].append(row)
        if n % size == size - 1:
            yield pending
            pending = {t: [] for t in ORDER}
    yield pending


def load_sqlite(path: Path, count: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    for batch in batches(count):
        for table in ORDER:
            columns = COLUMNS[table]
            rows = batch[table]
            if table == "archive_conversations":
                rows = [(*r, 0, 0) for r in rows]
                columns = (*columns, "bot_messages", "actions")
            connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                   f"({', '.join('?' * len(columns))})", rows)
        connection.commit()
    connection.close()


def load_postgres(url: str, count: int) -> None:
    parsed = sa.engine.make_url(url)
    connection = psycopg2.connect(host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database)
    with connection, connection.cursor() as cursor:
        for batch in batches(count):
            for table in ORDER:
                columns = COLUMNS[table]
                rows = batch[table]
                if table == "archive_conversations":
                    rows = [(*r, 0, 0) for r in rows]
                    columns = (*columns, "bot_messages", "actions")
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                for row in rows:  # timestamps are UTC: say so, whatever the server's TimeZone
                    writer.writerow(["\\N" if v is None else (v + "+00" if isinstance(v, str) and is_stamp(v) else v)
                                     for v in row])
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                                   buffer)
        cursor.execute("ANALYZE")
    connection.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def timed(calls: int, work: Callable[[], Any]) -> dict[str, float]:
    work()  # warm the caches once, as a page that is open is
    spent = []
    for _ in range(calls):
        started = time.perf_counter()
        work()
        spent.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(spent, 0.5), 1), "p95_ms": round(percentile(spent, 0.95), 1),
            "calls": calls}


def scenarios() -> dict[str, StatsFilters]:
    def span(days: int, **dims: str) -> StatsFilters:
        return StatsFilters.parse({"from": (END - timedelta(days=days - 1)).isoformat(), "to": END.isoformat(),
                                   **dims}, TZ, END)

    return {"7 days": span(7), "7 days, category": span(7, category="complain_refund"),
            "30 days": span(30), "30 days, category": span(30, category="complain_refund"),
            "year": span(365), "year, category": span(365, category="complain_refund")}


RAW_LABELS = ("7 days", "30 days")  # a year from the cases alone takes minutes


def measure(name: str, url: str, calls: int) -> dict[str, Any]:
    engine = sa.create_engine(url, future=True) if not url.startswith("sqlite") else CaseStore(url).engine
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM handoff_cases")).scalar_one()
    moment = AS_OF  # today (the last day) is read from the cases, the days and months before from the rollup
    results: dict[str, Any] = {"database": name, "cases": count, "page": {}, "page_cases_only": {}}
    for label in RAW_LABELS:  # before the rollup: every figure from the cases
        results["page_cases_only"][label] = timed(2,
                                                  partial(page_data, engine, scenarios()[label], TZ, now=moment))
        print(name, "cases only", label, results["page_cases_only"][label], flush=True)
    started = time.perf_counter()
    built = refresh(engine, TZ, moment, limit=None)
    results["rollup_build_s"] = round(time.perf_counter() - started, 1)
    results["rollup_days"], results["rollup_months"] = built.days, built.months
    with engine.connect() as connection:
        results["rollup_rows"] = connection.execute(sa.text("SELECT count(*) FROM handoff_stats_rollup")).scalar_one()
    results["rollup_idle_pass"] = timed(3, partial(refresh, engine, TZ, moment))
    print(name, "rollup", built, results["rollup_build_s"], "s", results["rollup_rows"], "rows", flush=True)
    for label, filters in scenarios().items():
        results["page"][label] = timed(calls, partial(page_data, engine, filters, TZ, now=moment))
        print(name, label, results["page"][label], flush=True)
    later = moment + timedelta(minutes=10)  # SLAs of recent days fell due since the last pass: counted from `pending`
    stale = page_data(engine, scenarios()["year"], TZ, now=later)
    results["page_stale_year"] = {**timed(calls, partial(page_data, engine, scenarios()["year"], TZ, now=later)),
                                  "raw_days": stale["sources"]["raw_days"]}
    month, year = scenarios()["30 days"], scenarios()["year"]
    results["drill_30_days"] = timed(calls, lambda: cases(engine, Selection.parse({}, month)))
    results["drill_year_cell"] = timed(calls, lambda: cases(engine, Selection.parse({"dow": "0", "hod": "10"}, year)))
    results["export_30_days"] = timed(5, lambda: export(engine, Selection.parse({}, month), "aggregate", "csv"))
    results["export_year"] = timed(3, lambda: export(engine, Selection.parse({}, year), "aggregate", "csv"))
    print(name, {k: v for k, v in results.items() if k != "page"}, flush=True)
    return results


def render(report: dict[str, Any]) -> str:
    rows = report["results"]
    m = report["machine"]
    lines = [SECTION, "", f"Run {report['when']} on {m['nproc']} cores ({m['cpu']}), load average "
             f"{m['load_average']:.2f} at the end; `make benchmark-stats` (`python -m benchmarks.stats "
             f"--cases {report['cases']} --calls {report['calls']}`). The same synthetic year in each database "
             f"(loaded in {' and '.join(str(r['load_s']) + ' s' for r in rows)}): "
             f"{report['cases']:,} cases generated, {rows[0]['cases']:,} of them created by 16:00 on the last day, "
             "ratings for about a third of the resolved ones, first-response "
             "breaches, and an archive of about 1.7 conversations per case. `page_data` is the whole JSON of "
             "GET /stats (this period and the previous one) at 16:00 on the last day (today is read from the "
             "cases, the days and months before from the rollup); timed in-process, after one warm-up call. "
             "Requirement: p95 page data < 1 s.", "",
             "| p50 / p95 ms | " + " | ".join(r["database"] for r in rows) + " |", "|---|" + "---|" * len(rows)]
    def cell(t: dict[str, Any]) -> str:
        return f"{t['p50_ms']} / {t['p95_ms']}"

    for label in RAW_LABELS:
        lines.append(f"| page data, {label}, from the cases only (before the rollup) | "
                     + " | ".join(cell(r["page_cases_only"][label]) for r in rows) + " |")
    for label in scenarios():
        lines.append(f"| **page data, {label}** | " + " | ".join(cell(r["page"][label]) for r in rows) + " |")
    lines.append("| page data, year, 10 minutes after the last rollup pass (SLAs fell due meanwhile) | "
                 + " | ".join(f"{cell(r['page_stale_year'])} ({r['page_stale_year']['raw_days']} raw days)"
                              for r in rows) + " |")
    lines.append("| rollup pass with nothing to do | " + " | ".join(cell(r["rollup_idle_pass"]) for r in rows) + " |")
    for key, label in (("drill_30_days", "drill-down, 30 days, first 100 cases"),
                       ("drill_year_cell", "drill-down, heatmap cell over the year"),
                       ("export_30_days", "aggregate export CSV, 30 days"),
                       ("export_year", "aggregate export CSV, year")):
        lines.append(f"| {label} | " + " | ".join(cell(r[key]) for r in rows) + " |")
    lines.append("")
    for r in rows:
        met = [label for label, t in r["page"].items() if t["p95_ms"] < 1000]
        lines.append(f"- {r['database']}: the first rollup of the year took {r['rollup_build_s']} s "
                     f"({r['rollup_days']} days, {r['rollup_months']} months, {r['rollup_rows']:,} rows); "
                     f"p95 page data < 1 s for {', '.join(met) if met else 'no range'}; "
                     f"load average {r['load_average']:.2f} while it was measured.")
    lines += ["", "What each figure means and how it is computed: docs/statistics.md.", ""]
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args(argv)
    results = []
    with TemporaryDirectory(prefix="bench-stats-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'shop.db'}"
        CaseStore(url).create_schema()
        started = time.perf_counter()
        load_sqlite(work / "shop.db", args.cases)
        load_s = round(time.perf_counter() - started, 1)
        results.append({**measure("SQLite", url, args.calls), "load_s": load_s, "load_average": os.getloadavg()[0]})
        pg_url, stop = start_postgres(work / "pg")
        try:
            CaseStore(pg_url).create_schema()
            started = time.perf_counter()
            load_postgres(pg_url, args.cases)
            load_s = round(time.perf_counter() - started, 1)
            results.append({**measure("PostgreSQL 15", pg_url, args.calls), "load_s": load_s,
                            "load_average": os.getloadavg()[0]})
        finally:
            stop()
    report = {"when": now(), "machine": machine(), "cases": args.cases, "calls": args.calls, "results": results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    DOC.write_text(replace_section(DOC.read_text(encoding="utf-8") if DOC.exists() else "", render(report), SECTION),
                   encoding="utf-8")
    print(render(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
