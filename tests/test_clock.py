"""The test helpers for time: calendar months, Stockholm months, and the rotation of the calendar dates."""

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.utils import timezone

from tests.clock import add_months, moment_in_month, month_start

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "soak"))
import calendar_run  # noqa: E402


def test_months_are_calendar_months_clamped_to_the_month_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)
    assert add_months(date(2027, 1, 15), -13) == date(2025, 12, 15)
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert month_start(48, date(2027, 2, 1)) == date(2023, 2, 1)


def test_a_moment_in_this_month_is_in_the_past_even_just_after_midnight_on_the_first():
    just_after = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 February in Stockholm
    moment = moment_in_month(0, just_after)
    assert moment < just_after
    assert timezone.localtime(moment).date() == date(2027, 2, 1)
    assert timezone.localtime(moment_in_month(1, just_after)).date() == date(2027, 1, 3)


def test_the_calendar_check_covers_every_date_within_as_many_days():
    seen = set()
    for offset in range(len(calendar_run.HARD_DATES)):
        picked = calendar_run.pick(2, date.fromordinal(date(2027, 1, 1).toordinal() + offset))
        assert len({hard.name for hard in picked}) == 2
        seen |= {hard.name for hard in picked}
    assert seen == {hard.name for hard in calendar_run.HARD_DATES}


def test_the_hard_dates_are_where_the_clocks_bite():
    local = {hard.name: timezone.localtime(hard.utc) for hard in calendar_run.HARD_DATES}
    assert local["month-end"].date() == date(2027, 2, 1)
    assert local["new-year"].date() == date(2027, 1, 1) and local["new-year"].hour == 0
    spring, autumn = local["spring-forward"], local["autumn-back"]
    assert (spring.date(), spring.utcoffset().seconds) == (date(2027, 3, 28), 3600)  # still winter time
    assert (autumn.date(), autumn.utcoffset().seconds) == (date(2027, 10, 31), 7200)  # still summer time
    for name in ("spring-forward", "autumn-back"):  # the clocks change within minutes of the start
        hard = next(h for h in calendar_run.HARD_DATES if h.name == name)
        later = timezone.localtime(hard.utc + timedelta(minutes=10))
        assert later.utcoffset() != local[name].utcoffset() and later.weekday() == 6
    assert local["leap-day"].date() == date(2028, 2, 29)
    assert local["leap-day-night"].date() == date(2028, 3, 1)
