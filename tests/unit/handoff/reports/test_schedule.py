"""Which report is due when: yesterday's daily after the report hour of the shop's own day, last
week's weekly from Monday on, across time zones and daylight-saving changes."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from handoff.reports.schedule import Period, daily, due, parse_daily_at, period_of, weekly

SIX = time(6, 0)


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=timezone.utc)


def test_after_the_report_hour_yesterday_in_the_shops_zone_is_due_though_utc_is_still_on_the_day_before() -> None:
    # 22:30 UTC on Tuesday 1 December is 06:30 on Wednesday 2 December in Shanghai
    assert due(at("2026-12-01T22:30:00"), "Asia/Shanghai", SIX)[0] == daily(date(2026, 12, 1))


def test_before_the_report_hour_the_day_before_yesterday_is_the_latest() -> None:
    # 05:30 in Shanghai on 2 December: 1 December's report waits for 06:00
    assert due(at("2026-12-01T21:30:00"), "Asia/Shanghai", SIX)[0] == daily(date(2026, 11, 30))


def test_the_weekly_report_of_the_last_monday_to_sunday_is_due_on_monday_after_the_hour() -> None:
    monday_0630 = at("2026-11-29T22:30:00")  # Monday 30 November, 06:30 in Shanghai
    assert due(monday_0630, "Asia/Shanghai", SIX)[1] == Period("weekly", date(2026, 11, 23), date(2026, 11, 29))
    monday_0530 = at("2026-11-29T21:30:00")
    assert due(monday_0530, "Asia/Shanghai", SIX)[1] == Period("weekly", date(2026, 11, 16), date(2026, 11, 22))
    tuesday = at("2026-12-01T12:00:00")  # later in the week it is still last week's (written once)
    assert due(tuesday, "Asia/Shanghai", SIX)[1] == weekly(date(2026, 11, 29))


def test_on_the_day_clocks_go_forward_the_report_hour_is_local_summer_time() -> None:
    # New York, Sunday 8 March 2026: 10:30 UTC is 06:30 EDT (it would be 05:30 in standard time)
    assert due(at("2026-03-08T10:30:00"), "America/New_York", SIX)[0] == daily(date(2026, 3, 7))
    assert due(at("2026-03-08T09:59:00"), "America/New_York", SIX)[0] == daily(date(2026, 3, 6))
    # Monday after: the week of the 23-hour Sunday is complete
    assert due(at("2026-03-09T10:00:00"), "America/New_York", SIX)[1] == weekly(date(2026, 3, 8))


def test_on_the_day_clocks_go_back_the_report_hour_is_local_standard_time() -> None:
    # New York, Sunday 1 November 2026: 10:30 UTC is 05:30 EST, 11:00 UTC is 06:00 EST
    assert due(at("2026-11-01T10:30:00"), "America/New_York", SIX)[0] == daily(date(2026, 10, 30))
    assert due(at("2026-11-01T11:00:00"), "America/New_York", SIX)[0] == daily(date(2026, 10, 31))


def test_a_week_is_monday_to_sunday_whatever_day_names_it() -> None:
    assert weekly(date(2026, 12, 2)) == Period("weekly", date(2026, 11, 30), date(2026, 12, 6))
    assert weekly(date(2026, 12, 6)).name == "weekly-2026-11-30"
    assert weekly(date(2026, 12, 6)).days == 7 and daily(date(2026, 12, 6)).days == 1


def test_only_names_this_module_writes_stand_for_a_period() -> None:
    assert period_of("daily-2026-12-02") == daily(date(2026, 12, 2))
    assert period_of("weekly-2026-11-30") == weekly(date(2026, 11, 30))
    for name in ("weekly-2026-12-01", "daily-2026-02-30", "daily-2026-12-2", "monthly-2026-12-01",
                 "daily-2026-12-02.html", "../daily-2026-12-02", "daily-2026-12-02\n", "daily-٢٠٢٦-١٢-٠٢", ""):
        assert period_of(name) is None, name


def test_the_report_hour_is_checked() -> None:
    assert parse_daily_at(" 07:30 ") == time(7, 30)
    try:
        parse_daily_at("half past six")
    except ValueError as exc:
        assert "REPORT_DAILY_AT" in str(exc)
    else:
        raise AssertionError("a bad REPORT_DAILY_AT was accepted")
