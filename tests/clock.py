"""Calendar helpers for test data built relative to "now": calendar months, never 30-day steps.

Everything is computed in the site's time zone (settings.TIME_ZONE, Europe/Stockholm), the zone the
application buckets months and shows dates in."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (earlier if negative), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + month // 12, month % 12 + 1, 1)
    return day.replace(year=year, month=month, day=min(day.day, (following - timedelta(days=1)).day))


def month_start(months_back: int = 0, today: date | None = None) -> date:
    """The first day of the calendar month `months_back` months before today's (local) month."""
    today = today or timezone.localdate()
    return add_months(today.replace(day=1), -months_back)


def local_moment(day: date, at: time = time(12, 0)) -> datetime:
    """An aware datetime at `at` local time on `day`."""
    return timezone.make_aware(datetime.combine(day, at))


def moment_in_month(months_back: int, now: datetime | None = None) -> datetime:
    """A moment in the past inside the calendar month `months_back` months before now's local month:
    the 3rd at noon for earlier months, halfway between the month's start and now for the current one
    (so it is in the past even at 00:30 on the 1st)."""
    now = now or timezone.now()
    start = month_start(months_back, timezone.localtime(now).date())
    if months_back == 0:
        return local_moment(start, time(0, 0)) + (now - local_moment(start, time(0, 0))) / 2
    return local_moment(start.replace(day=3))
