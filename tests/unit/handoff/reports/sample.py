"""Page data in the shape of handoff.stats.page_data (the JSON of GET /stats), built by hand so the
report's tests do not depend on the statistics' SQL."""

from __future__ import annotations

from typing import Any


def page(category: str = "complain_refund", *, cases: int = 120, previous: int = 90) -> dict[str, Any]:
    return {
        "range": {"from": "2026-11-23", "to": "2026-11-29", "tz": "Asia/Shanghai",
                  "previous": {"from": "2026-11-16", "to": "2026-11-22"}},
        "filters": {"category": [], "severity": [], "channel": [], "language": [], "team": []},
        "options": {"category": [category], "severity": ["none", "general", "important", "severe"],
                    "channel": ["web"], "language": ["zh-Hans"], "team": ["general"]},
        "kpis": {"cases": {"current": cases, "previous": previous, "change": 0.333},
                 "handoffs": {"current": 41, "previous": 37, "change": 0.108},
                 "breaches": {"current": 7, "previous": 9, "change": -0.222},
                 "first_response_p50_s": {"current": 42.0, "previous": 61.0, "change": -0.311},
                 "resolution_p50_s": {"current": 3600.0, "previous": 5400.0, "change": -0.333},
                 "sla_hit_rate": {"current": 0.9, "previous": 0.85, "change": 0.0588},
                 "csat_average": {"current": 4.2, "previous": 4.0, "change": 0.05},
                 "repeat_contact_rate": {"current": 0.1, "previous": 0.12, "change": -0.167},
                 "containment_rate": {"current": 0.76, "previous": None, "change": None}},
        "volume": {"total": cases,
                   "by_day": [{"day": f"2026-11-{d}", "count": 10 + d} for d in range(23, 30)],
                   "by_hour": [{"hour": "2026-11-29T13:00:00+08:00", "count": 3},
                               {"hour": "2026-11-29T21:00:00+08:00", "count": 11}],
                   "by": {"category": [{"key": category, "count": 40, "previous": 30},
                                       {"key": "complain_delivery", "count": 25, "previous": 31}],
                          "severity": [{"key": "severe", "count": 3, "previous": 1}],
                          "channel": [{"key": "web", "count": 100, "previous": 80}],
                          "language": [{"key": "zh-Hans", "count": 110, "previous": 85}],
                          "team": [{"key": "billing", "count": 60, "previous": 50}]},
                   "category_severity": [{"category": category, "severity": "severe", "count": 3}]},
        "times": {"first_response": {"p50_s": 42.0, "p90_s": 300.0, "n": 50},
                  "resolution": {"p50_s": 3600.0, "p90_s": 86400.0, "n": 40},
                  "sla": {"first_response": {"met": 45, "missed": 5, "rate": 0.9},
                          "resolution": {"met": 38, "missed": 2, "rate": 0.95}},
                  "breaches": {"total": 7, "first_response": 5, "resolution": 2}},
        "csat": {"distribution": {"1": 2, "2": 1, "3": 5, "4": 10, "5": 20}, "average": 4.2, "responses": 38,
                 "eligible": 60, "response_rate": 0.633},
        "repeat_contact": {"cases": cases, "repeat": 12, "rate": 0.1, "window_days": 7},
        "bot": {"conversations": 500, "contained": 380, "containment_rate": 0.76, "turns": 2000, "fallbacks": 40,
                "fallback_rate": 0.02},
        "heatmap": {"cells": [[0, 9, 12], [6, 21, 30], [3, 14, 5]]},
    }
