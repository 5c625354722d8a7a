"""The follow-up's flags as pure functions over log rows: no database, explicit times (Stockholm)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gvi.logreview import flags
from gvi.logreview.flags import DisclosureWindow, LogRow, TaskSpan

STHLM = ZoneInfo("Europe/Stockholm")
# A Tuesday in office hours.
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=STHLM)


def row(seq, at, *, user=1, record_type="groups.person", record_id=None, action="view", org=10):
    return LogRow(
        seq,
        at,
        user,
        f"user{user}",
        org,
        record_type,
        str(record_id if record_id is not None else seq),
        action,
    )


def test_many_persons_flags_a_burst_of_distinct_persons_by_one_user():
    rows = [row(n, NOON + timedelta(minutes=n), record_id=n) for n in range(1, 6)]
    found = flags.many_persons(rows, threshold=5, window=timedelta(minutes=10))
    assert len(found) == 1
    assert found[0].kind == flags.MANY_PERSONS
    assert found[0].seqs == [1, 2, 3, 4, 5]
    assert found[0].detail["persons"] == 5


def test_many_persons_counts_distinct_persons_within_the_window_only():
    same_person = [row(n, NOON + timedelta(minutes=n), record_id=7) for n in range(1, 10)]
    spread = [row(20 + n, NOON + timedelta(hours=n), record_id=100 + n) for n in range(1, 10)]
    other_users = [row(40 + n, NOON, user=n, record_id=200 + n) for n in range(1, 10)]
    not_persons = [
        row(60 + n, NOON, record_type="support.supportcase", record_id=300 + n) for n in range(1, 10)
    ]
    rows = same_person + spread + other_users + not_persons
    assert flags.many_persons(rows, threshold=5, window=timedelta(minutes=30)) == []


def test_many_persons_ignores_administration_rows():
    rows = [row(n, NOON, record_id=n, action="grant") for n in range(1, 10)]
    assert flags.many_persons(rows, threshold=3, window=timedelta(minutes=30)) == []


def test_after_hours_flags_evenings_nights_and_weekends_in_local_time():
    evening = datetime(2026, 3, 10, 19, 0, tzinfo=STHLM)  # 19:00 is outside 07-19
    early = datetime(2026, 3, 10, 6, 59, tzinfo=STHLM)
    saturday = datetime(2026, 3, 14, 12, 0, tzinfo=STHLM)
    morning = datetime(2026, 3, 10, 7, 0, tzinfo=STHLM)
    rows = [row(1, evening), row(2, early), row(3, saturday), row(4, morning), row(5, NOON)]
    found = flags.after_hours(rows, hours=(7, 19))
    assert [(flag.kind, flag.seqs) for flag in found] == [(flags.AFTER_HOURS, [2, 1, 3])]
    assert found[0].detail["count"] == 3


def test_after_hours_uses_stockholm_time_not_utc():
    # 06:30 UTC is 08:30 in Stockholm in summer: office time.
    summer = datetime(2026, 6, 9, 6, 30, tzinfo=ZoneInfo("UTC"))
    assert flags.is_office_time(summer, (7, 19))
    assert flags.after_hours([row(1, summer)], hours=(7, 19)) == []


def test_near_expiry_flags_reads_through_a_disclosure_in_its_last_days():
    expires = NOON + timedelta(days=10)
    window = DisclosureWindow(
        "groups.person", "5", 10, NOON - timedelta(days=30), expires, crosses_sites=True
    )
    rows = [
        row(1, expires - timedelta(days=8), record_id=5),  # 8 days before: not yet
        row(2, expires - timedelta(days=2), record_id=5),  # within 7 days
        row(
            3, expires - timedelta(days=1), record_id=5, org=11
        ),  # another organisation's read: not through it
        row(4, expires + timedelta(hours=1), record_id=5),  # after expiry: not through it
        row(5, expires - timedelta(days=1), record_id=6),  # another record
    ]
    found = flags.near_expiry(rows, [window], days=7)
    assert [(flag.kind, flag.seqs) for flag in found] == [(flags.NEAR_EXPIRY, [2])]
    assert found[0].detail["crosses_sites"] is True


def test_no_active_task_flags_group_records_read_without_a_task_on_the_group():
    record_groups = {("groups.groupmembership", "1"): {7}, ("groups.person", "2"): {7, 8}}
    tasks = [TaskSpan(user_id=1, group_id=8, start=NOON - timedelta(days=1), end=NOON + timedelta(days=1))]
    rows = [
        row(1, NOON, record_type="groups.groupmembership", record_id=1),  # no task on group 7: flagged
        row(2, NOON, record_id=2),  # task on group 8, active: fine
        row(3, NOON + timedelta(days=2), record_id=2),  # that task has ended: flagged
        row(4, NOON, record_id=3),  # a person in no group: not decidable, not flagged
    ]
    found = flags.no_active_task(rows, record_groups, tasks)
    assert sorted((flag.detail["record_type"], flag.seqs) for flag in found) == [
        ("groups.groupmembership", [1]),
        ("groups.person", [3]),
    ]


def test_thresholds_come_from_settings(settings):
    settings.GVI_LOGREVIEW_OFFICE_HOURS = (8, 17)
    settings.GVI_LOGREVIEW_MANY_PERSONS = 2
    late = datetime(2026, 3, 10, 17, 30, tzinfo=STHLM)
    assert [flag.seqs for flag in flags.after_hours([row(1, late)])] == [[1]]
    assert len(flags.many_persons([row(1, NOON, record_id=1), row(2, NOON, record_id=2)])) == 1
