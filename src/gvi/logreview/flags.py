"""Flags worth a look in an access log (pure functions over rows, no database).

A row is anything with the attributes of `LogRow` (an AccessLog row qualifies). Only reads count (view,
export, API read, reveal): account administration and the follow-up's own rows are never flagged.
Thresholds are named settings with the defaults below; office hours are in the site's time zone
(settings.TIME_ZONE, Europe/Stockholm), weekdays only, public holidays not known.
"""

from collections import Counter, defaultdict, deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _

READ_ACTIONS = frozenset({"view", "export", "api", "reveal"})
PERSON_TYPE = "groups.person"

MANY_PERSONS = "many_persons"
AFTER_HOURS = "after_hours"
NEAR_EXPIRY = "near_expiry"
NO_TASK = "no_task"

KIND_LABELS = {
    MANY_PERSONS: _("Många personer på kort tid"),
    AFTER_HOURS: _("Läsning utanför kontorstid"),
    NEAR_EXPIRY: _("Läsning genom utlämnande nära dess slut"),
    NO_TASK: _("Läsning utan aktiv uppgift om gruppen"),
}


def setting(name: str, default):
    return getattr(settings, name, default)


def many_persons_threshold() -> int:
    return int(setting("GVI_LOGREVIEW_MANY_PERSONS", 20))


def many_persons_window() -> timedelta:
    return timedelta(minutes=int(setting("GVI_LOGREVIEW_WINDOW_MINUTES", 60)))


def office_hours() -> tuple[int, int]:
    start, end = setting("GVI_LOGREVIEW_OFFICE_HOURS", (7, 19))
    return int(start), int(end)


def near_expiry_days() -> int:
    return int(setting("GVI_LOGREVIEW_NEAR_EXPIRY_DAYS", 7))


@dataclass
class LogRow:
    seq: int
    at: datetime
    user_id_logged: int
    username: str
    organisation_id_logged: int | None
    record_type: str
    record_id: str
    action: str


@dataclass
class Flag:
    kind: str
    user_id: int
    username: str
    seqs: list[int]
    first_at: str  # ISO, for the round's stored copy
    detail: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _reads(rows):
    return sorted((row for row in rows if row.action in READ_ACTIONS), key=lambda row: (row.at, row.seq))


def _flag(kind, rows, **detail) -> Flag:
    first = rows[0]
    return Flag(
        kind, first.user_id_logged, first.username, [row.seq for row in rows], first.at.isoformat(), detail
    )


def many_persons(rows, threshold: int | None = None, window: timedelta | None = None) -> list[Flag]:
    """One user read at least `threshold` distinct persons within `window`: one flag per such burst (the
    next burst starts after the flagged one)."""
    threshold = threshold or many_persons_threshold()
    window = window or many_persons_window()
    by_user = defaultdict(list)
    for row in _reads(rows):
        if row.record_type == PERSON_TYPE:
            by_user[row.user_id_logged].append(row)
    flags = []
    for user_rows in by_user.values():
        span: deque = deque()
        persons: Counter = Counter()
        for row in user_rows:
            span.append(row)
            persons[row.record_id] += 1
            while row.at - span[0].at > window:
                old = span.popleft()
                persons[old.record_id] -= 1
                if not persons[old.record_id]:
                    del persons[old.record_id]
            if len(persons) >= threshold:
                flags.append(
                    _flag(MANY_PERSONS, list(span), persons=len(persons), minutes=window.seconds // 60)
                )
                span.clear()
                persons.clear()
    return flags


def is_office_time(at: datetime, hours: tuple[int, int] | None = None) -> bool:
    start, end = hours or office_hours()
    local = at.astimezone(ZoneInfo(settings.TIME_ZONE))
    return local.weekday() < 5 and start <= local.hour < end


def after_hours(rows, hours: tuple[int, int] | None = None) -> list[Flag]:
    """Reads on a weekend or outside office hours (local time): one flag per user with all such rows."""
    by_user = defaultdict(list)
    for row in _reads(rows):
        if not is_office_time(row.at, hours):
            by_user[row.user_id_logged].append(row)
    start, end = hours or office_hours()
    return [_flag(AFTER_HOURS, found, count=len(found), start=start, end=end) for found in by_user.values()]


@dataclass(frozen=True)
class DisclosureWindow:
    """What a disclosure opened, and when: enough to tell whether a read went through it near its end."""

    record_type: str
    record_id: str
    to_organisation_id: int
    decided_at: datetime
    expires_at: datetime
    crosses_sites: bool = False


def near_expiry(rows, disclosures, days: int | None = None) -> list[Flag]:
    """Reads by the receiving organisation of a disclosed record within `days` of the disclosure's expiry:
    one flag per user and record."""
    days = near_expiry_days() if days is None else days
    windows = defaultdict(list)
    for window in disclosures:
        windows[(window.record_type, str(window.record_id), window.to_organisation_id)].append(window)
    found = defaultdict(list)
    details = {}
    for row in _reads(rows):
        for window in windows.get((row.record_type, str(row.record_id), row.organisation_id_logged), ()):
            if window.decided_at <= row.at < window.expires_at and window.expires_at - row.at <= timedelta(
                days=days
            ):
                key = (row.user_id_logged, row.record_type, row.record_id)
                found[key].append(row)
                details[key] = {
                    "record_type": row.record_type,
                    "record_id": str(row.record_id),
                    "expires_at": window.expires_at.isoformat(),
                    "crosses_sites": window.crosses_sites,
                }
                break
    return [_flag(NEAR_EXPIRY, found[key], **details[key]) for key in found]


@dataclass(frozen=True)
class TaskSpan:
    """A task of one responsible user about one group, active from `start` to `end` (None: still active)."""

    user_id: int
    group_id: int
    start: datetime
    end: datetime | None = None

    def covers(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at <= self.end)


def no_active_task(rows, record_groups: dict, tasks) -> list[Flag]:
    """Reads of a record tied to groups (`record_groups`: (record_type, record_id) -> group ids) by a user
    with no task about any of those groups active at the time. Records tied to no group are not decidable
    (tasks never name a person) and are not flagged. One flag per user and record."""
    spans = defaultdict(list)
    for span in tasks:
        spans[span.user_id].append(span)
    found = defaultdict(list)
    for row in _reads(rows):
        groups = record_groups.get((row.record_type, str(row.record_id)))
        if not groups:
            continue
        if any(span.group_id in groups and span.covers(row.at) for span in spans.get(row.user_id_logged, ())):
            continue
        found[(row.user_id_logged, row.record_type, str(row.record_id))].append(row)
    return [
        _flag(
            NO_TASK, found_rows, record_type=key[1], record_id=key[2], groups=sorted(record_groups[key[1:]])
        )
        for key, found_rows in found.items()
    ]
