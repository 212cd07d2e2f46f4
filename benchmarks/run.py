"""`make benchmark`: REST throughput, latency, memory and training time of our assistant vs a plain `rasa init` bot.

Both bots run at the same time on free loopback ports and get the same customer messages, level by
level, alternating which one goes first so that neither always profits from a warmer machine.
Results go to docs/benchmarks.md (only our section is replaced) and results/benchmarks/rest.json.

    python -m benchmarks.run [--total N] [--levels 1,10,20] [--time-limit S] [--keep-baseline DIR]
                             [--train-ours]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any, Optional

from benchmarks.baseline import build_baseline, start_baseline
from benchmarks.load import run_load
from benchmarks.processes import environment, rss_mb, run_logged, stop_process, tail
from benchmarks.report import DOC, cell, machine, now, replace_section
from core.settings import ROOT
from tools.stack import RASA, Stack, free_port, wait_http

SECTION = "## REST throughput and latency vs plain Rasa"
RESULTS = ROOT / "results" / "benchmarks" / "rest.json"
OUR_MODEL = ROOT / "models" / "shop.tar.gz"
STARTUP_TIMEOUT_S = 300.0

# What our customers actually write: English, Simplified and Traditional Chinese, queries,
# a complaint and small talk. The plain bot understands none of the shop intents; that is the point:
# both pay for the same NLU + dialogue round trip per message.
MESSAGES = [
    "hi",
    "你好",
    "where is my order 20251103887",
    "订单 20251103887 到哪了",
    "請問退貨規定",
    "how long does shipping take",
    "退款什么时候到账？订单号 20250918342",
    "可以開發票嗎？",
    "can I pay with Alipay?",
    "收到的耳机是坏的，我要投诉",
    "谢谢",
    "thanks, bye",
]


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    """Keeps the defaults of a full run in one place, so `make benchmark` needs no flags."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--total", type=int, default=500, help="messages per bot and level (default 500)")
    parser.add_argument("--levels", default="1,10,20", help="concurrency levels, comma-separated (default 1,10,20)")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per bot and level (default 120)")
    parser.add_argument("--keep-baseline", type=Path, metavar="DIR",
                        help="build the plain Rasa bot in DIR and keep it; reuse it if it is already trained")
    parser.add_argument("--train-ours", action="store_true",
                        help="also time a full training of our model (into a scratch dir; can take half an hour)")
    args = parser.parse_args(argv)
    try:
        args.levels = [int(level) for level in args.levels.split(",") if level.strip()]
    except ValueError:
        parser.error("--levels must be comma-separated integers, e.g. 1,10,20")
    if not args.levels or min(args.levels) < 1 or args.total < 1 or args.time_limit <= 0:
        parser.error("levels and --total must be >= 1 and --time-limit > 0")
    return args


def _raise_interrupt(signum: int, frame: Optional[FrameType]) -> None:
    """Turns SIGTERM into the same path as Ctrl-C, so the `finally` that stops our processes runs."""
    raise KeyboardInterrupt(f"signal {signum}")


def time_our_training(work: Path, log_dir: Path) -> dict[str, Any]:
    """Trains our data and config into a scratch dir, timed the same way as the baseline; models/ is left alone."""
    if not (ROOT / "build" / "spacy_shop").is_dir():
        raise RuntimeError("build/spacy_shop is missing; run `make spacy` first")
    env = environment(RASA_CACHE_DIRECTORY=str(work / "rasa-cache"))
    args = [RASA, "train", "--domain", "domain.yml", "--config", "config.yml", "--data", "nlu_data",
            "--out", str(work / "models"), "--fixed-model-name", "shop", "--force"]
    print("timing a training of our model into a scratch directory", flush=True)
    seconds = run_logged(args, ROOT, env, log_dir / "ours-train.log")
    return {"train_s": round(seconds, 1), "command": "rasa train --force (config.yml, domain.yml, nlu_data)"}


def copy_model(source: Path, target: Path, attempts: int = 20) -> dict[str, Any]:
    """Copies our model so that a retraining running meanwhile cannot swap or truncate it under the bot."""
    for _ in range(attempts):
        before = source.stat()
        shutil.copyfile(source, target)
        after = source.stat()
        unchanged = (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)
        if unchanged and target.stat().st_size == after.st_size:
            try:
                with tarfile.open(target, "r:gz") as archive:
                    archive.getmembers()
            except (tarfile.TarError, EOFError, OSError):
                pass
            else:
                digest = hashlib.sha256(target.read_bytes()).hexdigest()
                modified = datetime.fromtimestamp(after.st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
                return {"path": str(source.relative_to(ROOT)), "modified": modified, "sha256": digest[:12]}
        time.sleep(5)
    raise RuntimeError(f"{source} kept changing or is not a complete model; is a training writing it?")


def probe(url: str) -> str:
    """One message before measuring: a bot that answers nothing would otherwise look very fast."""
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", method="POST",
                                     data=json.dumps({"sender": "bench-probe", "message": "hi"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        replies = json.loads(response.read())
    if not isinstance(replies, list) or not replies:
        raise RuntimeError(f"{url} answered {replies!r} to 'hi'; is the model loaded?")
    return str(replies[0].get("text", replies[0]))


def memory(stack: Stack, baseline: subprocess.Popen[bytes]) -> dict[str, Optional[float]]:
    """Rasa alone is the fair comparison; our whole stack is what a deployment really needs."""
    pids = {name: proc.pid for name, proc in stack.procs.items()}
    ours_rasa = rss_mb(pids.get("rasa"))
    extra = [rss_mb(pids.get(name)) for name in ("actions", "redis")]
    return {
        "ours_rasa_mb": ours_rasa,
        "ours_stack_mb": round((ours_rasa or 0) + sum(x or 0 for x in extra), 1),
        "baseline_rasa_mb": rss_mb(baseline.pid),
    }


def render(report: dict[str, Any]) -> str:
    """Our section of docs/benchmarks.md, self-contained so it can be replaced on every run."""
    m, s = report["machine"], report["settings"]
    out = [
        SECTION,
        "",
        f"Written by `{report['command']}` on {report['date']}. Machine: {m['nproc']} CPUs (`nproc`), "
        f"{m['cpu']}, {m['memory_mb'] // 1024} GiB RAM, Linux {m['kernel']}, Python {m['python']}; "
        f"load average {m['load_average']:.2f} when the run started (other work on the machine skews the numbers).",
        "",
        "What was measured: Rasa's REST channel (`POST /webhooks/rest/webhook`) of both bots, running side by "
        "side on loopback ports. At each concurrency level N, N simulated conversations run at once, each with "
        "its own sender id, sending the next message only after the previous reply arrived; a conversation is one "
        f"pass through the same {len(report['messages'])} messages (below), then the next customer starts a new "
        "one (Rasa's cost per turn grows with the conversation's length, real chats are short). "
        f"Each bot gets up to {s['total']} messages or "
        f"{s['time_limit_s']:.0f} s per level, whichever comes first, after {s['warmup']} warm-up messages that are "
        "not counted; the bot that goes first alternates per level. Latency is per message, from request to reply.",
        "",
        f"- **ours**: `{report['model']['path']}` (modified {report['model']['modified']}, sha256 "
        f"{report['model']['sha256']}) with its action server and Redis lock store, started by `tools.stack.Stack`.",
        "- **plain Rasa**: the `rasa init` project trained with its default config, `rasa run --enable-api` with "
        "its own endpoints (no action server, in-memory lock store).",
        "",
    ]
    for level in report["levels"]:
        out += [f"### Concurrency {level['concurrency']}", "",
                "| bot | messages | messages/s | p50 ms | p95 ms | p99 ms | errors |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for key, label in (("ours", "ours"), ("baseline", "plain Rasa")):
            r = level[key]
            errors = r["errors"] + r["unfinished"]
            out.append(f"| {label} | {r['messages']} | {r['messages_per_s']:.1f} | {cell(r['p50_ms'])} | "
                       f"{cell(r['p95_ms'])} | {cell(r['p99_ms'])} | {errors} |")
        ratio = level["throughput_ratio"]
        out += ["", f"Throughput ours / plain Rasa: **{cell(ratio, 2)}×** "
                f"(first: {'ours' if level['order'][0] == 'ours' else 'plain Rasa'}).", ""]
    t, mem = report["training"], report["memory"]
    ours_train = t["ours"].get("train_s") if t["ours"] else None
    base = t["baseline"]
    out += [
        "### Training time and memory", "",
        "| | ours | plain Rasa |", "|---|---:|---:|",
        f"| training (`rasa train --force`), s | {cell(ours_train, 0) if t['ours'] else 'not run (`--train-ours`)'} | "
        f"{cell(base.get('train_s'), 0)} |",
        f"| Rasa process RSS after the run, MiB | {cell(mem['after']['ours_rasa_mb'], 0)} | "
        f"{cell(mem['after']['baseline_rasa_mb'], 0)} |",
        f"| Rasa process RSS after start-up, MiB | {cell(mem['before']['ours_rasa_mb'], 0)} | "
        f"{cell(mem['before']['baseline_rasa_mb'], 0)} |",
        f"| whole stack RSS after the run (+ action server, Redis), MiB | "
        f"{cell(mem['after']['ours_stack_mb'], 0)} | {cell(mem['after']['baseline_rasa_mb'], 0)} |",
        "",
        "RSS is VmRSS from /proc of the process and its children. Errors count failed and unfinished requests.",
        "",
        "Messages: " + ", ".join(f"`{text}`" for text in report["messages"]) + ".",
        "",
        f"Raw numbers: `{RESULTS.relative_to(ROOT)}`.",
        "",
    ]
    return "\n".join(out)


@dataclass
class Started:
    """What this run started, so that `main` can stop exactly that and nothing else."""

    stack: Optional[Stack] = None
    baseline: Optional[subprocess.Popen[bytes]] = None

    def stop(self) -> None:
        """Stops our stack and the baseline; safe to call with either or both never started."""
        if self.stack is not None:
            self.stack.stop()
        if self.baseline is not None:
            stop_process(self.baseline)


def measure(args: argparse.Namespace, argv: list[str], work: Path, started: Started) -> dict[str, Any]:
    """The benchmark proper; the caller owns clean-up, so every exit path stops what this starts."""
    log_dir = work / "logs"
    report: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "benchmarks.run", *argv]),
        "date": now(),
        "machine": machine(),
        "settings": {"total": args.total, "levels": args.levels, "time_limit_s": args.time_limit, "warmup": 3},
        "messages": MESSAGES,
    }
    print(f"machine: {report['machine']}", flush=True)
    baseline_dir = args.keep_baseline.resolve() if args.keep_baseline else work / "baseline"
    baseline_info = build_baseline(baseline_dir, log_dir)
    ours_info = time_our_training(work / "ours-train", log_dir) if args.train_ours else None
    report["training"] = {"ours": ours_info, "baseline": baseline_info}

    model = work / "shop.tar.gz"
    report["model"] = copy_model(OUR_MODEL, model)
    stack = started.stack = Stack(model=model, rasa_port=free_port(), action_port=free_port(),
                                   redis_url=f"redis://127.0.0.1:{free_port()}/0", var_dir=work / "var",
                                   log_dir=log_dir)
    base_port = free_port()
    baseline = started.baseline = start_baseline(Path(baseline_info["model"]), baseline_dir, base_port,
                                                  log_dir / "baseline-rasa.log")
    print("starting both bots (Redis, action server, 2× rasa run)…", flush=True)
    stack.start(timeout=STARTUP_TIMEOUT_S)
    wait_http(f"http://127.0.0.1:{base_port}/", STARTUP_TIMEOUT_S, baseline)
    urls = {"ours": f"http://127.0.0.1:{stack.rasa_port}", "baseline": f"http://127.0.0.1:{base_port}"}
    for name, url in urls.items():
        print(f"  {name} at {url} says to 'hi': {probe(url)[:70]!r}", flush=True)
    before = memory(stack, baseline)

    report["levels"] = []
    for index, level in enumerate(args.levels):
        order = ["ours", "baseline"] if index % 2 == 0 else ["baseline", "ours"]
        entry: dict[str, Any] = {"concurrency": level, "order": order}
        for name in order:
            result = asyncio.run(run_load(urls[name], MESSAGES, level, args.total, args.time_limit))
            entry[name] = result
            print(f"  concurrency {level:>3} {name:<8}: {result['messages']:>5} msgs in {result['elapsed_s']:.1f} s "
                  f"= {result['messages_per_s']:.1f}/s, p50 {result['p50_ms']} p95 {result['p95_ms']} "
                  f"p99 {result['p99_ms']} ms, errors {result['errors']}, unfinished {result['unfinished']}, "
                  f"empty {result['empty_replies']}, warm-up errors {result['warmup_errors']}"
                  + (f" {result['error_samples']}" if result["error_samples"] else ""), flush=True)
        base_rate = entry["baseline"]["messages_per_s"]
        entry["throughput_ratio"] = round(entry["ours"]["messages_per_s"] / base_rate, 3) if base_rate else None
        report["levels"].append(entry)
    report["memory"] = {"before": before, "after": memory(stack, baseline)}
    print(f"memory (MiB): {report['memory']}", flush=True)
    return report


def main(argv: Optional[list[str]] = None) -> int:
    """Runs the benchmark and writes the reports; stops every process it started, whatever happens."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    with tempfile.TemporaryDirectory(prefix="shop-bench-") as scratch:
        work = Path(scratch)
        started = Started()
        try:
            report = measure(args, argv, work, started)
        except KeyboardInterrupt:
            print("interrupted; nothing written", file=sys.stderr)
            return 130
        except Exception:
            for log in sorted((work / "logs").glob("*.log")):
                print(f"--- {log.name} (last lines)\n{tail(log)}", file=sys.stderr)
            raise
        finally:
            print("stopping every process this run started", flush=True)
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
            started.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    existing = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    DOC.write_text(replace_section(existing, render(report), SECTION), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)} and {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
