"""The statistics' rollup tables (docs/statistics.md, "Speed"): the figures of every ended local
day, and of every ended month, per combination of the five dimensions, so a year's page reads a
few tens of thousands of small rows instead of a million cases.

They hold nothing the cases do not: every row can be deleted and is rebuilt from the cases by
handoff/stats/rollup.py. In the handoff models' declarative Base (one Alembic history, migration
0004, one schema check).

Counts are columns (summed in SQL or Python); distributions are sparse blobs (handoff/stats/
cells.py, `encode`): the duration histograms, the local hours of a day, and a month's days and
hours of the week. Sparse, because a combination of one day has a handful of cases.
"""

from __future__ import annotations

import sqlalchemy as sa

from handoff.models import Base, UtcDateTime

DIMENSION_COLUMNS = ("category", "severity", "channel", "language", "team")
COUNT_COLUMNS = ("cases", "handoffs", "fr_met", "fr_missed", "res_met", "res_missed", "eligible", "repeats",
                 "fr_n", "res_n", "r1", "r2", "r3", "r4", "r5")
BOT_COLUMNS = ("conversations", "contained", "turns", "fallbacks")


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False, default=0)


class StatsRollupRow(Base):  # type: ignore[misc, valid-type]
    """One combination's figures in one local day (span 'day') or month (span 'month', start
    = its first day) of the zone `tz`. `times`: a day's local hours (0–23) or a month's days of
    the month (0–30) followed by its hours of the week (31 + 24·weekday + hour)."""

    __tablename__ = "handoff_stats_rollup"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    tz = sa.Column(sa.String(64), nullable=False)
    span = sa.Column(sa.String(5), nullable=False)
    start = sa.Column(sa.String(10), nullable=False)  # ISO local date: sorts and compares as text
    category = sa.Column(sa.String(64), nullable=False)
    severity = sa.Column(sa.String(16), nullable=False)
    channel = sa.Column(sa.String(32), nullable=False)
    language = sa.Column(sa.String(16), nullable=False)
    team = sa.Column(sa.String(64), nullable=False)
    cases = _count("cases")
    handoffs = _count("handoffs")
    fr_met = _count("fr_met")
    fr_missed = _count("fr_missed")
    res_met = _count("res_met")
    res_missed = _count("res_missed")
    eligible = _count("eligible")
    repeats = _count("repeats")
    fr_n = _count("fr_n")
    res_n = _count("res_n")
    r1 = _count("r1")
    r2 = _count("r2")
    r3 = _count("r3")
    r4 = _count("r4")
    r5 = _count("r5")
    durations = sa.Column(sa.LargeBinary, nullable=False)
    times = sa.Column(sa.LargeBinary, nullable=False)
    pending = sa.Column(sa.LargeBinary, nullable=False)  # (kind, due) of SLAs still undecided when rolled

    __table_args__ = (sa.Index("ix_handoff_stats_rollup_period", "tz", "span", "start"),)


class StatsBotRow(Base):  # type: ignore[misc, valid-type]
    """The bot's figures of one local day per channel × language (a conversation without a case
    has no category, severity or team)."""

    __tablename__ = "handoff_stats_bot"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    tz = sa.Column(sa.String(64), nullable=False)
    start = sa.Column(sa.String(10), nullable=False)
    channel = sa.Column(sa.String(32), nullable=False)
    language = sa.Column(sa.String(16), nullable=False)
    conversations = _count("conversations")
    contained = _count("contained")
    turns = _count("turns")
    fallbacks = _count("fallbacks")

    __table_args__ = (sa.Index("ix_handoff_stats_bot_period", "tz", "start"),)


class StatsPeriodRow(Base):  # type: ignore[misc, valid-type]
    """What is rolled up, and whether it can still be trusted. `period` is a day ('2026-11-26'),
    a month ('2026-11') or '~watermark' (the instant up to which changed cases were looked for).
    A rolled period is read only while it is not `dirty` (a case of it changed since)."""

    __tablename__ = "handoff_stats_periods"
    tz = sa.Column(sa.String(64), primary_key=True)
    period = sa.Column(sa.String(10), primary_key=True)
    computed_at = sa.Column(UtcDateTime, nullable=False)
    dirty = sa.Column(sa.Boolean, nullable=False, default=False)
