"""Shared scenario data of the store tests (the fixtures are in conftest.py)."""

from datetime import datetime, timezone
from typing import Any

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


def case_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        conversation_id="conv-1", channel="rest", customer_id="cust-1", language="zh-Hans",
        category="complain_refund", severity="severe", emotion="anger", reasons=["risk:legal_threat"],
        priority=120, handoff=True, queue_status="queued", summary="退款纠纷",
    )
    return {**fields, **overrides}
