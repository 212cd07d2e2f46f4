"""The trainers' inbox at the size it reads at most: N unsure archived turns over the real
training data, timed per request (docs/training.md, "Speed").

The texts are the held-out files' (tests/data/heldout_*.jsonl, read only), which the training
data does not hold, repeated to N turns; every turn is unsure (confidence 0.4, margin 0.05), so
each is a candidate. The first request reads and counts the training data; later ones reuse it
until a file changes.

    python -m benchmarks.inbox [--turns 2000] [--calls 3]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone

import handoff.models  # noqa: F401  (the models' Base first: it registers the archive's tables)
from core.settings import DATA_DIR, ROOT
from handoff.archive import Archive
from handoff.clock import FakeClock
from handoff.store import CaseStore
from handoff.training.inbox import Inbox
from handoff.training.texts import TrainingTexts

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


def heldout_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "tests" / "data").glob("heldout_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line)["text"]))
    random.Random(1).shuffle(texts)
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inbox")
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=3)
    args = parser.parse_args()
    texts = heldout_texts()
    clock = FakeClock(T0 + timedelta(days=1))
    url = f"sqlite:///{tempfile.mkdtemp(prefix='inbox-bench-')}/shop.db"
    store = CaseStore(url, clock=clock)
    store.create_schema()
    archive = Archive(url, clock=clock)
    ranking = [{"name": "greet", "confidence": 0.4}, {"name": "thank", "confidence": 0.35}]
    for n in range(args.turns):
        archive.record({"sender_id": f"c{n}", "event": "user", "timestamp": (T0 + timedelta(seconds=n)).timestamp(),
                        "text": texts[n % len(texts)],
                        "parse_data": {"intent": ranking[0], "intent_ranking": ranking}})
    inbox = Inbox(store.engine, clock, TrainingTexts(DATA_DIR))
    for call in range(args.calls):
        started = time.perf_counter()
        page = inbox.page()
        print(f"{args.turns} turns, request {call + 1}: {time.perf_counter() - started:.2f} s "
              f"({page['items_total']} items in {page['total']} groups; "
              f"{len(inbox.training.known().texts)} training examples)")


if __name__ == "__main__":
    main()
