"""Archived turns, cases and training data for the inbox's tests: what the NLU said (intent,
confidence, ranking), what agents labelled and how customers rated, on a fake clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from handoff.archive import Archive
from handoff.clock import FakeClock
from handoff.store import CaseStore
from handoff.training.paths import TrainingPaths

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
MODEL = "20261201-090000-shop"
ROOT_DOMAIN = Path(__file__).resolve().parents[4] / "domain.yml"
TRAINING_YAML = """version: "3.1"
nlu:
- intent: query_order_status
  examples: |
    - 我的快递到哪了
    - where is my [parcel](product)
- intent: complain_delivery
  examples:
  - text: "快递三天没动了，气死"
    metadata: {emotion: anger, severity: important}
"""


def user(sender: str, text: str, seconds: float, *, intent: str = "query_order_status", confidence: float = 0.9,
         second: Optional[float] = 0.05, emotion: str = "neutral", level: str = "none") -> dict[str, Any]:
    """A user event as bot.broker streams it; `second`: the runner-up's confidence (None: no runner-up)."""
    ranking = [{"name": intent, "confidence": confidence}]
    if second is not None:
        ranking.append({"name": "query_shipping" if intent != "query_shipping" else "query_payment",
                        "confidence": second})
    return {"sender_id": sender, "event": "user", "timestamp": (T0 + timedelta(seconds=seconds)).timestamp(),
            "text": text, "input_channel": "rest", "message_id": f"{sender}-{seconds}",
            "metadata": {"model_id": MODEL},
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence},
                           "intent_ranking": ranking, "language": "zh-Hans",
                           "emotion": {"name": emotion, "confidence": 0.7}, "severity": {"level": level, "reasons": []},
                           "complaint": intent.startswith("complain_"), "complaint_score": 0.1}}


@dataclass
class World:
    """One migrated SQLite database (cases and archive), a clock, and training data in a tmp dir."""

    store: CaseStore
    archive: Archive
    clock: FakeClock
    paths: TrainingPaths

    def say(self, sender: str, text: str, seconds: float, **nlu: Any) -> None:
        assert self.archive.record(user(sender, text, seconds, **nlu))

    def case(self, conversation: str, seconds: float, *, category: str = "complain_delivery",
             severity: str = "general", final_category: Optional[str] = None, final_severity: Optional[str] = None,
             rating: Optional[int] = None) -> str:
        """A case opened `seconds` after T0, resolved with the agent's labels, rated if `rating`."""
        self.clock.set(T0 + timedelta(seconds=seconds))
        case = self.store.create_case(conversation_id=conversation, channel="rest", customer_id=conversation,
                                      language="zh-Hans", category=category, severity=severity, emotion="anger",
                                      reasons=[], priority=60, handoff=True, queue_status="queued", summary="")
        if final_category or final_severity:
            self.store.resolve(case.id, "agent:alice", final_category=final_category, final_severity=final_severity,
                               labelled_by="alice")
        if rating is not None:
            self.store.rate(case.id, rating)
        return case.id


def make_world(tmp_path: Path) -> World:
    clock = FakeClock(T0)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    store = CaseStore(url, clock=clock)
    store.create_schema()
    data = tmp_path / "nlu_data"
    (data / "nlu").mkdir(parents=True)
    (data / "nlu" / "known.yml").write_text(TRAINING_YAML, encoding="utf-8")
    paths = TrainingPaths(data_dir=data, review_dir=data / "review", domain_file=ROOT_DOMAIN, root=tmp_path)
    return World(store, Archive(url, clock=clock), clock, paths)
