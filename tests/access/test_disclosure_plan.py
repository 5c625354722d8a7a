"""On PostgreSQL the persons list for one membership is planned on the site's index, not a scan of every
site's persons, even when a disclosure opens a record from another site (issue 15).

Method: the persons table is filled with enough rows over many sites (and ANALYZEd) that the planner
prefers an index for one site's share of the rows; no planner switch (enable_seqscan) is turned off, so the
plan asserted is the one PostgreSQL would really choose. The same query written the old way
(`OR id IN (subquery)`) is explained as a control: it scans the table, which shows the data is big enough
for the assertion to mean something.
"""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from gvi.access.models import Disclosure
from gvi.groups.models import Person
from gvi.groups.selectors import persons_for
from gvi.partnership.models import Organisation, Role
from tests.factories import MembershipFactory, OrganisationFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plan asserted is PostgreSQL's (SQLite has no EXPLAIN form)"
)

SITES = 40
PER_SITE = 500


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def national_scale(db):
    """Forty sites of 500 persons each, one police analyst at the first site, and one person from another
    site disclosed to the analyst's organisation at the analyst's site ("annan plats")."""
    sites = [SiteFactory() for _ in range(SITES)]
    police = OrganisationFactory(type=Organisation.Type.POLICE)
    police.sites.add(*sites)
    review = timezone.localdate() + timedelta(days=180)
    Person.objects.bulk_create(
        Person(
            site=site,
            owner=police,
            alias=f"Person {site.pk}-{n}",
            age_band=Person.AgeBand.AGE_18_20,
            review_date=review,
        )
        for site in sites
        for n in range(PER_SITE)
    )
    analyst = UserFactory()
    MembershipFactory(user=analyst, organisation=police, site=sites[0], role=Role.ANALYST)
    other_org = OrganisationFactory(type=Organisation.Type.MUNICIPALITY)
    other_org.sites.add(sites[1])
    elsewhere = Person.unscoped_all_sites.filter(site=sites[1]).first()
    Disclosure.objects.create(
        from_organisation=other_org,
        to_organisation=police,
        content_type=ContentType.objects.get_for_model(Person),
        object_id=elsewhere.pk,
        site=sites[1],
        to_site=sites[0],
        legal_ground=Disclosure.LegalGround.OSL_10_2,
        purpose="Test",
        decided_by=analyst,
        expires_at=timezone.now() + timedelta(days=30),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Person._meta.db_table}")
    return analyst, sites, elsewhere


def test_the_persons_list_uses_the_site_index_with_a_disclosure_from_another_site(national_scale):
    analyst, sites, elsewhere = national_scale
    persons = persons_for(analyst)
    seen = set(persons.values_list("site_id", flat=True))
    assert seen == {sites[0].pk, sites[1].pk}  # the own site's persons and the one disclosed from afar
    assert persons.filter(site=sites[1]).count() == 1

    plan = _plan(persons)
    table = Person._meta.db_table
    assert f"Seq Scan on {table}" not in plan, plan
    assert "Index" in plan, plan  # a (bitmap) index scan on the site, OR-ed with the primary key's


def test_the_old_subquery_form_scans_the_table(national_scale):
    """The control: with the disclosed ids as a subquery inside the OR, the planner scans every row."""
    analyst, sites, _elsewhere = national_scale
    membership = analyst.memberships.get()
    disclosed = Disclosure.objects.active().filter(
        content_type=ContentType.objects.get_for_model(Person), to_organisation_id=membership.organisation_id
    )
    old = Q(site_id=membership.site_id, owner_id=membership.organisation_id) | Q(
        id__in=disclosed.filter(to_site_id=membership.site_id).values("object_id")
    )
    plan = _plan(Person.unscoped_all_sites.filter(old, deactivated_at__isnull=True))
    assert f"Seq Scan on {Person._meta.db_table}" in plan, plan
