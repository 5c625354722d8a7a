"""The impact assessment's factual part (issue 20.5) is generated from the configuration and the data:
it follows the permission table, the retention settings and the disclosures, and names every role."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from gvi.access import dpia, permissions
from gvi.access.models import Disclosure
from gvi.partnership.models import Role
from tests.factories import PersonFactory, verified_login


@pytest.mark.django_db
def test_the_document_names_every_role_record_type_and_ground():
    text = dpia.markdown()
    assert text.startswith("# Konsekvensbedömning avseende dataskydd")
    for label in Role.labels:
        assert f"### {label}" in text, label
    for label in ("Personer", "Stödärenden", "Enskilda samtal"):
        assert f"| {label} |" in text
    for ground in Disclosure.LegalGround.labels:
        assert str(ground) in text
    assert "OSL (2009:400) 10 kap. 18 a §" in text and "personen under 21 år" in text
    assert "Loggen följs upp varje månad" in text  # the default


@pytest.mark.django_db
def test_the_document_follows_the_permission_table(monkeypatch):
    before = dpia.markdown()
    assert "| Personer | – | egen |" not in before
    changed = {**permissions.PERMISSIONS["groups.person"]}
    del changed[Role.COORDINATOR]
    monkeypatch.setitem(permissions.PERMISSIONS, "groups.person", changed)
    after = dpia.markdown()
    assert after != before
    assert "| Personer | – | egen |" in after  # the coordinator no longer sees persons


@pytest.mark.django_db
def test_the_document_follows_the_retention_and_disclosure_settings():
    before = dpia.markdown()
    assert "| Omprövning, vuxna | 365 dagar |" in before
    with override_settings(
        GVI_REVIEW_DAYS_ADULT=200, GVI_DISCLOSURE_MAX_DAYS={"osl_10_2": 30}, GVI_LOG_REVIEW_INTERVAL="weekly"
    ):
        after = dpia.markdown()
    assert "| Omprövning, vuxna | 200 dagar |" in after and "365 dagar" not in after.split("## 4")[0]
    assert "| OSL 10 kap. 2 § (nödvändigt utlämnande) | OSL (2009:400) 10 kap. 2 § |" in after
    row = next(
        line
        for line in after.splitlines()
        if line.startswith("| OSL 10 kap. 2 § (nödvändigt") and "|" in line
    )
    assert row.endswith("| 30 |")
    assert "Loggen följs upp varje vecka" in after


@pytest.mark.django_db
def test_the_document_counts_disclosures_per_ground(world):
    now = timezone.now()
    person = PersonFactory(site=world.site_a, owner=world.orgs[("a", "police")])
    common = {
        "from_organisation": person.owner,
        "to_organisation": world.orgs[("a", "municipality")],
        "content_type_id": _person_type(),
        "object_id": person.pk,
        "purpose": "Test",
        "decided_by": world.users[Role.ANALYST],
    }
    Disclosure.objects.create(legal_ground="osl_10_27", expires_at=now + timedelta(days=5), **common)
    Disclosure.objects.create(legal_ground="osl_10_27", expires_at=now - timedelta(days=1), **common)
    counts = dpia.markdown().split("### Utlämnanden i installationen")[1]
    world_disclosures = Disclosure.objects.filter(legal_ground="osl_10_2").count()
    assert "| OSL 10 kap. 27 § (generalklausulen) | 2 | 1 | 0 | 0 |" in counts
    assert (
        f"| OSL 10 kap. 2 § (nödvändigt utlämnande) | {world_disclosures} | {world_disclosures} |" in counts
    )


@pytest.mark.django_db
def test_gvi_dpia_writes_the_document_to_stdout_or_a_file(tmp_path):
    out = StringIO()
    call_command("gvi_dpia", stdout=out)
    assert "## 2. Roller och vem som ser vad" in out.getvalue()
    target = tmp_path / "dpia.md"
    call_command("gvi_dpia", "--output", str(target), stdout=StringIO())
    assert target.read_text(encoding="utf-8").startswith("# Konsekvensbedömning")


@pytest.mark.django_db
def test_the_coordinators_page_shows_and_downloads_the_document(world):
    client = verified_login(Client(), world.users[Role.COORDINATOR])
    page = client.get(reverse("access:dpia"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h2>2. Roller och vem som ser vad</h2>" in html and "Ladda ned som Markdown" in html
    download = client.get(reverse("access:dpia"), {"format": "md"})
    assert download["Content-Type"].startswith("text/markdown")
    assert "attachment" in download["Content-Disposition"]
    assert download.content.decode().startswith("# Konsekvensbedömning")
    analyst = verified_login(Client(), world.users[Role.ANALYST])
    assert analyst.get(reverse("access:dpia")).status_code == 403


def _person_type():
    from django.contrib.contenttypes.models import ContentType

    from gvi.groups.models import Person

    return ContentType.objects.get_for_model(Person).pk


def test_support_registers_its_fact_disclosures_with_the_access_layer():
    """The access layer imports no domain app: support hands its model over at ready()."""
    from gvi.support.models import SupportFactDisclosure

    assert dpia.FACT_DISCLOSURE_MODELS == [SupportFactDisclosure]


@pytest.mark.django_db
def test_the_count_of_disclosed_facts_comes_from_the_registered_model(world):
    from gvi.support.models import SupportFactDisclosure

    fact = world.records[("supportfact", "a", "municipality")]
    label = str(Disclosure.LegalGround(fact.legal_ground).label)
    total = SupportFactDisclosure.unscoped_all_sites.filter(legal_ground=fact.legal_ground).count()
    rows = [line for line in dpia.markdown().splitlines() if line.startswith(f"| {label} |")]
    counts = rows[-1]  # the second table: counts per ground
    assert counts.split("|")[4].strip() == str(total) and total >= 1
