"""Volume warnings (预警) in the running service: complaint counts from the case store through the
detector of shop.warnings into alerts (docs/warnings.md, "Warnings in the running service")."""

from handoff.warnings.counts import COMPLAINT_PREFIX, ComplaintCounts, Snapshot
from handoff.warnings.runner import WarningRunner, history_span

__all__ = ["COMPLAINT_PREFIX", "ComplaintCounts", "Snapshot", "WarningRunner", "history_span"]
