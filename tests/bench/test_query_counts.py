"""Query counts per page must not grow with data: measured on a small world and on one three times bigger.

The same helpers as `gvi bench` (seed at tiny scale, the ten most used pages); no timings are asserted.
"""

from dataclasses import replace

import pytest

from gvi.access.audit import verify_chain
from gvi.bench import measure
from gvi.bench.seed import BENCH_USERNAME, SCALES, seed
from gvi.groups.models import GroupMembership, Person
from gvi.incidents.models import Incident
from gvi.partnership.models import Membership

TINY = SCALES["tiny"]
BIGGER = replace(
    TINY,
    name="tiny x3",
    persons=TINY.persons * 3,
    groups=TINY.groups * 3,
    memberships=TINY.memberships * 3,
    relations=TINY.relations * 3,
    incidents=TINY.incidents * 3,
    support_cases=TINY.support_cases * 3,
    sanction_actions=TINY.sanction_actions * 3,
    access_log=TINY.access_log * 3,
)


def _counts(scale):
    seed(scale)
    paths = measure.page_paths()
    return measure.query_counts(paths)


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_data():
    small = _counts(TINY)
    # The bigger world gets new sites; the bench users keep only their memberships there, so they see the
    # bigger world alone (the first stays in other compartments, as other sites do in production).
    Membership.objects.filter(user__username__startswith=BENCH_USERNAME.split("_")[0]).delete()
    bigger = _counts(BIGGER)
    assert {name: c["status"] for name, c in small.items()} == dict.fromkeys(small, 200)
    assert {name: c["status"] for name, c in bigger.items()} == dict.fromkeys(bigger, 200)
    grown = {
        name: (small[name]["queries"], bigger[name]["queries"])
        for name in small
        if small[name]["queries"] != bigger[name]["queries"]
    }
    assert not grown, f"query count grows with data (small, bigger): {grown}"


@pytest.mark.django_db
def test_seed_writes_the_scale_and_a_valid_access_log_chain():
    report = seed(TINY)
    assert Incident.unscoped_all_sites.count() == TINY.incidents
    assert Person.unscoped_all_sites.count() == TINY.persons
    assert GroupMembership.unscoped_all_sites.count() == TINY.memberships
    assert report.rows["access_accesslog"] == TINY.access_log
    assert verify_chain().ok
