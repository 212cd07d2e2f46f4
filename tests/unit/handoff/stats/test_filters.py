"""What a supervisor may ask for, and the clear refusals of what cannot be a filter."""

from datetime import date, datetime, timezone

import pytest

from handoff.stats import FilterError, StatsFilters
from tests.unit.handoff.stats.scenario import TODAY, TZ


def test_the_default_is_the_last_seven_local_days_and_its_previous_week() -> None:
    f = StatsFilters.parse({}, TZ, TODAY)
    assert (f.start, f.end, f.days) == (date(2026, 11, 26), TODAY, 7)
    assert f.since == datetime(2026, 11, 25, 16, tzinfo=timezone.utc)  # local midnight, in UTC
    assert f.until == datetime(2026, 12, 2, 16, tzinfo=timezone.utc)
    assert f.range_dict()["previous"] == {"from": "2026-11-19", "to": "2026-11-25"}


def test_values_are_comma_separated_and_deduplicated() -> None:
    f = StatsFilters.parse({"category": "complain_refund, complain_delivery,complain_refund", "severity": "severe"},
                           TZ, TODAY)
    assert f.category == ("complain_refund", "complain_delivery") and f.severity == ("severe",)


def test_a_day_across_a_dst_change_is_that_local_day() -> None:
    f = StatsFilters.parse({"from": "2026-03-08", "to": "2026-03-08"}, "America/New_York", TODAY)
    assert (f.until - f.since).total_seconds() == 23 * 3600


@pytest.mark.parametrize(("args", "field"), [
    ({"from": "2026-13-01"}, "from"), ({"from": "26-11-01"}, "from"), ({"to": "yesterday"}, "to"),
    ({"from": "2026-12-02", "to": "2026-11-01"}, "from"), ({"from": "2025-01-01", "to": "2026-12-02"}, "to"),
    ({"category": "退款"}, "category"), ({"team": "a b"}, "team"), ({"severity": "urgent"}, "severity"),
    ({"language": "x" * 65}, "language"), ({"channel": "a\x00b"}, "channel"),
])
def test_what_cannot_be_a_filter_is_refused_naming_the_parameter(args: dict[str, str], field: str) -> None:
    with pytest.raises(FilterError) as refused:
        StatsFilters.parse(args, TZ, TODAY)
    assert refused.value.field == field


def test_a_year_of_366_days_is_allowed() -> None:
    assert StatsFilters.parse({"from": "2025-12-02", "to": "2026-12-02"}, TZ, TODAY).days == 366
