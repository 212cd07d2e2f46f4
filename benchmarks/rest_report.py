"""The section "REST throughput and latency vs plain Rasa" of docs/benchmarks.md, from the report
`benchmarks.run` measures: what was measured, on which machine under what load, the table per
Rasa worker count and level, the goals, and memory per process."""

from __future__ import annotations

from typing import Any

from benchmarks.report import cell
from core.settings import ROOT

SECTION = "## REST throughput and latency vs plain Rasa"
RESULTS = ROOT / "results" / "benchmarks" / "rest.json"
PROGRAMS = ("rasa", "actions", "handoff", "redis")
PROGRAM_LABELS = {"rasa": "Rasa (main + workers)", "actions": "action server",
                  "handoff": "handoff service (main + workers)", "redis": "Redis"}
# Targets to report against, not to assert (a shared 2-core machine is no place for timing tests):
# (Rasa workers, concurrency, what, result key, limit, unit, "≥" or "≤").
GOALS = [(2, 20, "throughput", "messages_per_s", 60.0, "msg/s", "≥"), (2, 10, "p99", "p99_ms", 400.0, "ms", "≤")]


def goals(phases: list[dict[str, Any]]) -> list[str]:
    """The targets, reported against what was measured (a benchmark on a shared machine is no test)."""
    lines = []
    for workers, concurrency, what, key, limit, unit, better in GOALS:
        label = f"{workers} Rasa workers, {concurrency} concurrent: {what} {better} {limit:g} {unit}"
        found = [level["ours"][key] for phase in phases if phase["rasa_workers"] == workers
                 for level in phase["levels"] if level["concurrency"] == concurrency]
        if not found or found[0] is None:
            lines.append(f"- {label}: not measured in this run.")
            continue
        value = found[0]
        met = value >= limit if better == "≥" else value <= limit
        lines.append(f"- {label}: measured **{cell(value)} {unit}**, {'met' if met else 'not met'}.")
    return lines


def _latencies(r: dict[str, Any]) -> str:
    return f"{cell(r['p50_ms'])} / {cell(r['p95_ms'])} / {cell(r['p99_ms'])}"


def _memory_rows(label: str, mem: dict[str, Any]) -> list[str]:
    rows = []
    for name in PROGRAMS:
        m = mem["ours"][name]
        each = ", ".join(cell(p["rss_mb"], 0) for p in m["processes"]) or "–"
        rows.append(f"| {label} | {PROGRAM_LABELS[name]} | {m['count']} | {each} | {cell(m['rss_mb_sum'], 0)} | "
                    f"{cell(m['pss_mb_sum'], 0)} |")
    count = sum(mem["ours"][name]["count"] for name in PROGRAMS)
    rows.append(f"| {label} | **whole stack** | {count} | | **{cell(mem['ours_stack_rss_mb'], 0)}** | "
                f"**{cell(mem['ours_stack_pss_mb'], 0)}** |")
    return rows


def render(report: dict[str, Any]) -> str:
    """Our section of docs/benchmarks.md, self-contained so it can be replaced on every run."""
    m, s, end = report["machine"], report["settings"], report["load_end"]
    phases = report["phases"]
    worker_list = " and ".join(str(phase["rasa_workers"]) for phase in phases)
    out = [
        SECTION,
        "",
        f"Written by `{report['command']}` on {report['date']}. Machine: {m['nproc']} CPUs (`nproc`), "
        f"{m['cpu']}, {m['memory_mb'] // 1024} GiB RAM, Linux {m['kernel']}, Python {m['python']}. "
        f"Load average (1/5/15 min) {_loads(report['load_start'])} when the run started and {_loads(end)} when it "
        "ended; the table gives the 1-minute figure before each measurement. It counts this benchmark's own "
        f"processes too (the bot being measured, the load generator, the idle other bot): up to about {m['nproc']} "
        "of it is ours, the rest is other work (a CI rehearsal, other tests), which takes CPU from both "
        "bots alike but makes every number here lower and noisier than on a quiet machine.",
        "",
        "What was measured: Rasa's REST channel (`POST /webhooks/rest/webhook`), customer messages in and the "
        "bot's replies out. At each concurrency level N, N simulated conversations run at once, each with its own "
        "sender id, sending the next message only after the previous reply arrived; a conversation is one pass "
        f"through the same {len(report['messages'])} messages (below), then the next customer starts a new one "
        "(Rasa's cost per turn grows with the conversation's length, real chats are short). "
        f"Each bot gets up to {s['total']} messages or {s['time_limit_s']:.0f} s per level, whichever comes "
        f"first, after {s['warmup']} warm-up messages that are not counted. Latency is per message, from request "
        "to reply; errors count failed and unfinished requests.",
        "",
        f"Our stack ran {len(phases)} times, one after the other, with {worker_list} Rasa workers "
        "(`Stack(rasa_workers=…)`, i.e. `SANIC_WORKERS`); the plain bot ran throughout and was measured again "
        "in each phase at the same levels, so every ratio compares two measurements taken within a minute or two "
        "of each other. Which bot goes first alternates from level to level and between phases, so that neither "
        "always gets the warmer (or quieter) machine.",
        "",
        f"- **ours**: `{report['model']['path']}` (modified {report['model']['modified']}, sha256 "
        f"{report['model']['sha256']}) started by `tools.stack.Stack` under supervisord: Rasa (SQL tracker store "
        "on SQLite in its own var/, atomic Redis lock store, Redis event stream), the action server, the handoff "
        f"service ({phases[0]['handoff_workers'] if phases else '–'} workers) and Redis, each phase on fresh "
        "ports and a fresh var/. Unlike the plain bot, it reads and writes each conversation in the SQL tracker "
        "store on every message (section \"Tracker store\" below: tens of ms per message on SQLite) and sends "
        "each event to the Redis stream.",
        "- **plain Rasa**: the `rasa init` project trained with its default config, `rasa run --enable-api` with "
        "its own endpoints (one process, no action server, in-memory tracker and lock store).",
        "",
        "| Rasa workers | concurrency | load | first | ours msg/s | ours p50 ms | ours p95 ms | ours p99 ms "
        "| ours errors | plain Rasa msg/s | plain Rasa p50 / p95 / p99 ms | plain errors | ours ÷ plain |",
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in phases:
        for level in phase["levels"]:
            o, b = level["ours"], level["baseline"]
            first = "ours" if level["order"][0] == "ours" else "plain"
            out.append(
                f"| {phase['rasa_workers']} | {level['concurrency']} | {level['load_1m']:.1f} | {first} | "
                f"**{o['messages_per_s']:.1f}** | {cell(o['p50_ms'])} | {cell(o['p95_ms'])} | "
                f"{cell(o['p99_ms'])} | {o['errors'] + o['unfinished']} | {b['messages_per_s']:.1f} | "
                f"{_latencies(b)} | {b['errors'] + b['unfinished']} | **{cell(level['throughput_ratio'], 2)}×** |")
    out += ["", "Goals (reported, not asserted):", "", *goals(phases), ""]
    out += [
        "### Memory", "",
        "Resident memory (VmRSS, from /proc) of each process after its phase's last level: a program's main "
        "process first, then its workers (`stack.pids(name)`: the process group supervisord gave it). With one "
        "worker Sanic serves in the main process itself. With more "
        "than one worker Sanic forks them from Rasa's main process once it has imported Rasa, TensorFlow and "
        "spaCy (those pages are shared); each worker then loads the model on its own (Rasa's "
        "`before_server_start` listener), so the model is in memory once per worker, and the main process only "
        "watches them. The RSS sum counts shared pages once per process; PSS (`/proc/PID/smaps_rollup`) shares "
        "each page out among the processes that map it, so the PSS sum is what the program costs the machine.",
        "",
        "| bot | program | processes | RSS per process, MiB | RSS sum, MiB | PSS sum, MiB |",
        "|---|---|---:|---|---:|---:|",
    ]
    for phase in phases:
        out += _memory_rows(f"ours, {_workers(phase['rasa_workers'])}", phase["memory"]["after"])
    base = phases[-1]["memory"]["after"]["baseline"] if phases else None
    if base:
        each = ", ".join(cell(p["rss_mb"], 0) for p in base["processes"]) or "–"
        out.append(f"| plain Rasa | Rasa | {base['count']} | {each} | {cell(base['rss_mb_sum'], 0)} | "
                   f"{cell(base['pss_mb_sum'], 0)} |")
    out += [""] + [f"Rasa's RSS sum right after start-up, {_workers(phase['rasa_workers'])}: "
                   f"{cell(phase['memory']['before']['ours']['rasa']['rss_mb_sum'], 0)} MiB." for phase in phases]
    t = report["training"]
    ours_train = t["ours"].get("train_s") if t["ours"] else None
    out += [
        "", "### Training time", "",
        "| | ours | plain Rasa |", "|---|---:|---:|",
        f"| training (`rasa train --force`), s | {cell(ours_train, 0) if t['ours'] else 'not run (`--train-ours`)'} | "
        f"{cell(t['baseline'].get('train_s'), 0)} |",
        "",
        "Messages: " + ", ".join(f"`{text}`" for text in report["messages"]) + ".",
        "",
        f"Raw numbers: `{RESULTS.relative_to(ROOT)}`.",
        "",
    ]
    return "\n".join(out)


def _workers(count: int) -> str:
    return f"{count} Rasa worker" + ("" if count == 1 else "s")


def _loads(values: list[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)
