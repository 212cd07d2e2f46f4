"""`make benchmark`: REST throughput, latency, memory and training time of our assistant vs a plain `rasa init` bot.

Our stack runs once per Rasa worker count (`--workers`, default 1 then 2), one phase after the
other, beside one plain bot that runs throughout on free loopback ports. In each phase both get the
same customer messages level by level, alternating which one goes first (per level and per phase)
so that neither always profits from a warmer machine; each ratio compares measurements of one phase.
Memory is read per process (main and workers) by the pids supervisord knows.
Results go to docs/benchmarks.md (only our section is replaced) and results/benchmarks/rest.json.

    python -m benchmarks.run [--total N] [--levels 1,10,20] [--workers 1,2] [--time-limit S] [--keep-baseline DIR]
                             [--train-ours] [--render-only]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
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
from benchmarks.processes import environment, process_tree, program_memory, run_logged, stop_process, tail
from benchmarks.report import DOC, machine, now, replace_section
from benchmarks.rest_report import PROGRAMS, RESULTS, SECTION, render
from core.settings import ROOT
from tools.stack import RASA, Stack, free_port, wait_http

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
    parser.add_argument("--workers", default="1,2",
                        help="Rasa workers of our stack, one phase each, comma-separated (default 1,2)")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per bot and level (default 120)")
    parser.add_argument("--keep-baseline", type=Path, metavar="DIR",
                        help="build the plain Rasa bot in DIR and keep it; reuse it if it is already trained")
    parser.add_argument("--train-ours", action="store_true",
                        help="also time a full training of our model (into a scratch dir; can take half an hour)")
    parser.add_argument("--render-only", action="store_true",
                        help=f"measure nothing: write the section again from {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    try:
        args.levels = [int(level) for level in args.levels.split(",") if level.strip()]
        args.workers = [int(count) for count in args.workers.split(",") if count.strip()]
    except ValueError:
        parser.error("--levels and --workers must be comma-separated integers, e.g. 1,10,20")
    if not args.levels or not args.workers or min(args.levels + args.workers) < 1:
        parser.error("levels and workers must be >= 1")
    if args.total < 1 or args.time_limit <= 0:
        parser.error("--total must be >= 1 and --time-limit > 0")
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


def memory(stack: Stack, baseline: subprocess.Popen[bytes]) -> dict[str, Any]:
    """Every process of every program, by the pids supervisord knows: Rasa and the handoff service
    fork Sanic workers, so the main process alone would hide most of what they cost."""
    programs: dict[str, Any] = {}
    for name in PROGRAMS:
        main_pid = stack.pid(name)
        workers = sorted(pid for pid in stack.pids(name) if pid != main_pid)
        programs[name] = program_memory(([main_pid] if main_pid else []) + workers)
    measured = [p for p in programs.values() if p["rss_mb_sum"] is not None]
    return {
        "ours": programs,
        "ours_stack_rss_mb": round(sum(p["rss_mb_sum"] for p in measured), 1),
        "ours_stack_pss_mb": round(sum(p["pss_mb_sum"] or 0 for p in measured), 1),
        "baseline": program_memory(process_tree(baseline.pid)),
    }


@dataclass
class Started:
    """What this run started, so that `main` can stop exactly that and nothing else."""

    stack: Optional[Stack] = None
    baseline: Optional[subprocess.Popen[bytes]] = None

    def stop_stack(self) -> None:
        """Ends one phase: the next stack must not share the CPU with this one."""
        if self.stack is not None:
            self.stack.stop()
            self.stack = None

    def stop(self) -> None:
        """Stops our stack and the baseline; safe to call with either or both never started."""
        self.stop_stack()
        if self.baseline is not None:
            stop_process(self.baseline)


def measure_levels(urls: dict[str, str], args: argparse.Namespace, phase: int) -> list[dict[str, Any]]:
    """Both bots at each level, one after the other; the order flips per level and per phase."""
    levels = []
    for index, level in enumerate(args.levels):
        order = ["ours", "baseline"] if (index + phase) % 2 == 0 else ["baseline", "ours"]
        entry: dict[str, Any] = {"concurrency": level, "order": order, "load_1m": round(os.getloadavg()[0], 2)}
        for name in order:
            result = asyncio.run(run_load(urls[name], MESSAGES, level, args.total, args.time_limit))
            result["load_1m_after"] = round(os.getloadavg()[0], 2)
            entry[name] = result
            print(f"  concurrency {level:>3} {name:<8}: {result['messages']:>5} msgs in {result['elapsed_s']:.1f} s "
                  f"= {result['messages_per_s']:.1f}/s, p50 {result['p50_ms']} p95 {result['p95_ms']} "
                  f"p99 {result['p99_ms']} ms, errors {result['errors']}, unfinished {result['unfinished']}, "
                  f"empty {result['empty_replies']}, warm-up errors {result['warmup_errors']}"
                  + (f" {result['error_samples']}" if result["error_samples"] else ""), flush=True)
        base_rate = entry["baseline"]["messages_per_s"]
        entry["throughput_ratio"] = round(entry["ours"]["messages_per_s"] / base_rate, 3) if base_rate else None
        levels.append(entry)
    return levels


def measure(args: argparse.Namespace, argv: list[str], work: Path, started: Started) -> dict[str, Any]:
    """The benchmark proper; the caller owns clean-up, so every exit path stops what this starts."""
    log_dir = work / "logs"
    report: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "benchmarks.run", *argv]),
        "date": now(),
        "machine": machine(),
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "settings": {"total": args.total, "levels": args.levels, "time_limit_s": args.time_limit, "warmup": 3,
                     "rasa_workers": args.workers},
        "messages": MESSAGES,
    }
    print(f"machine: {report['machine']}", flush=True)
    baseline_dir = args.keep_baseline.resolve() if args.keep_baseline else work / "baseline"
    baseline_info = build_baseline(baseline_dir, log_dir)
    ours_info = time_our_training(work / "ours-train", log_dir) if args.train_ours else None
    report["training"] = {"ours": ours_info, "baseline": baseline_info}

    model = work / "shop.tar.gz"
    report["model"] = copy_model(OUR_MODEL, model)
    base_port = free_port()
    baseline = started.baseline = start_baseline(Path(baseline_info["model"]), baseline_dir, base_port,
                                                  log_dir / "baseline-rasa.log")
    urls = {"baseline": f"http://127.0.0.1:{base_port}"}
    report["phases"] = []
    for phase, workers in enumerate(args.workers):
        stack = started.stack = Stack(model=model, rasa_port=free_port(), action_port=free_port(),
                                       handoff_port=free_port(), redis_url=f"redis://127.0.0.1:{free_port()}/0",
                                       var_dir=work / f"var-{workers}", log_dir=log_dir / f"ours-{workers}",
                                       rasa_workers=workers,
                                       # the load measures answering, not refusing: the limiter is
                                       # still asked once per message, but never says no
                                       env={"RATE_PER_CONVERSATION": "1000000/minute",
                                            "RATE_NEW_CASES": "1000000/hour"})
        print(f"phase {phase + 1}: our stack, RASA_WORKERS={workers} (Redis, action server, Rasa, handoff)",
              flush=True)
        stack.start(timeout=STARTUP_TIMEOUT_S)
        wait_http(f"{urls['baseline']}/", STARTUP_TIMEOUT_S, baseline)
        urls["ours"] = f"http://127.0.0.1:{stack.rasa_port}"
        for name, url in urls.items():
            print(f"  {name} at {url} says to 'hi': {probe(url)[:70]!r}", flush=True)
        before = memory(stack, baseline)
        levels = measure_levels(urls, args, phase)
        after = memory(stack, baseline)
        print(f"  memory after (MiB): Rasa {after['ours']['rasa']['rss_mb_sum']} RSS in "
              f"{after['ours']['rasa']['count']} processes, stack {after['ours_stack_rss_mb']} RSS / "
              f"{after['ours_stack_pss_mb']} PSS, plain Rasa {after['baseline']['rss_mb_sum']}", flush=True)
        report["phases"].append({"rasa_workers": workers, "handoff_workers": stack.handoff_workers,
                                 "levels": levels, "memory": {"before": before, "after": after}})
        started.stop_stack()
    report["load_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main(argv: Optional[list[str]] = None) -> int:
    """Runs the benchmark and writes the reports; stops every process it started, whatever happens."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.render_only:
        report = json.loads(RESULTS.read_text(encoding="utf-8"))
        DOC.write_text(replace_section(DOC.read_text(encoding="utf-8"), render(report), SECTION), encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)} from {RESULTS.relative_to(ROOT)}")
        return 0
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
