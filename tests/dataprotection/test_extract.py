"""The register extract: what it holds per kind, what is withheld (marked, not dropped), what stays out
(other organisations' records), the stored production and the access-log row, and who is refused."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pdfminer.high_level import extract_text

from gvi.access.models import AccessLog, Disclosure
from gvi.communication.models import Notification
from gvi.dataprotection.forms import field_name
from gvi.dataprotection.models import RegisterExtract
from gvi.groups.models import Person
from gvi.partnership.models import Organisation, Role
from tests.communication.factories import CallInFactory, InvitationFactory, NotificationFactory
from tests.factories import GroupFactory, GroupMembershipFactory, InvolvementFactory, verified_login

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return " ".join(extract_text(BytesIO(pdf)).split())


@pytest.fixture
def held(world):
    """The police's person at site A with one record of each kind, and a membership another organisation
    registered about the same person."""
    person = world.records[("person", "a", Organisation.Type.POLICE)]
    police = person.owner
    municipality = world.orgs[("a", Organisation.Type.MUNICIPALITY)]
    kw = {"site": person.site, "owner": police}
    membership = world.records[("membership", "a", Organisation.Type.POLICE)]
    membership.evidence_note = "Iakttagen med gruppen vid tre tillfällen"
    membership.save()
    involvement = InvolvementFactory(person=person, incident=world.records[("incident", "a", "police")], **kw)
    invitation = InvitationFactory(person=person, call_in=CallInFactory(title="Höstens stormöte", **kw), **kw)
    notification = NotificationFactory(person=person, notes="Hembesök hos modern i Östra hamnen", **kw)
    foreign = GroupMembershipFactory(
        person=person,
        group=GroupFactory(site=person.site, owner=municipality),
        site=person.site,
        owner=municipality,
        evidence_note="Socialtjänstens egen bedömning",
    )
    return {
        "person": person,
        "membership": membership,
        "involvement": involvement,
        "invitation": invitation,
        "notification": notification,
        "foreign": foreign,
    }


def _client(world, role):
    return verified_login(Client(), world.users[role])


def _post(client, person, withhold=None, reason="Begäran från den registrerade", **extra):
    data = {"reason": reason, "reference": "PM-2026-114", **extra}
    for key, (ground, text) in (withhold or {}).items():
        data[field_name(key, "undanta")] = "on"
        data[field_name(key, "grund")] = ground
        data[field_name(key, "grundtext")] = text
    return client.post(reverse("dataprotection:extract", args=[person.pk]), data)


def test_the_extract_holds_every_kind_and_marks_what_is_withheld(world, held):
    client = _client(world, Role.ANALYST)
    person = held["person"]
    page = client.get(reverse("dataprotection:extract", args=[person.pk]))
    assert page.status_code == 200
    assert "Socialtjänstens egen bedömning" not in page.content.decode()

    response = _post(
        client,
        person,
        withhold={
            f"notification:{held['notification'].pk}": ("investigation", ""),
            f"invitation:{held['invitation'].pk}": ("secrecy", "OSL 18 kap. 1 §"),
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert person.alias not in response["Content-Disposition"]
    text = _text(response.content)
    assert "Registerutdrag" in text
    assert person.alias in text
    assert "Begäran från den registrerade" in text and "PM-2026-114" in text
    assert "Iakttagen med gruppen vid tre tillfällen" in text  # membership with its basis
    assert "Egen uppgift om medlemskap" in text
    assert "Skjutning" in text  # the involvement's incident
    # Withheld: the content is gone, a line with the ground is there.
    assert "Östra hamnen" not in text
    assert held["invitation"].call_in.title not in text
    assert "Uppgifter har undantagits från utdraget. Grund: Pågående förundersökning" in text
    assert "Sekretess enligt offentlighets- och sekretesslagen (OSL) (OSL 18 kap. 1 §)" in text
    # Another organisation's record about the same person is not the police's to answer for.
    assert "Socialtjänstens egen bedömning" not in text
    assert "Andra organisationer i samverkan är själva personuppgiftsansvariga" in text
    # Who read it: the preparation page's read is in the log section.
    assert "Vem har tagit del av uppgifterna" in text
    assert world.users[Role.ANALYST].username in text

    produced = RegisterExtract.objects.get(person=person)
    assert produced.owner == person.owner and produced.produced_by == world.users[Role.ANALYST]
    assert produced.reason == "Begäran från den registrerade" and produced.reference == "PM-2026-114"
    assert produced.counts["person"] == 1
    assert produced.counts["membership"] == 1
    assert produced.counts["involvement"] == 1
    owned = Notification.unscoped_all_sites.filter(person=person, owner=person.owner).count()
    assert owned >= 1 and produced.counts["notification"] == owned
    assert produced.withheld_count == 2
    assert produced.withheld_grounds == {"investigation": 1, "secrecy": 1}

    export = AccessLog.objects.filter(
        record_type="groups.person", record_id=str(person.pk), action=AccessLog.Action.EXPORT
    ).get()
    assert export.username == world.users[Role.ANALYST].username
    assert "Begäran från den registrerade" in export.purpose


def test_disclosures_made_about_the_person_are_listed(world, held):
    person = held["person"]
    recipient = world.orgs[("a", Organisation.Type.PROBATION)]
    Disclosure.objects.create(
        from_organisation=person.owner,
        to_organisation=recipient,
        content_type=ContentType.objects.get_for_model(Person),
        object_id=person.pk,
        site=person.site,
        legal_ground=Disclosure.LegalGround.OSL_10_28,
        purpose="Underlag för villkor",
        decided_by=world.users[Role.ANALYST],
        expires_at=timezone.now() + timedelta(days=30),
    )
    text = _text(_post(_client(world, Role.ANALYST), person).content)
    assert "Underlag för villkor" in text
    assert recipient.name in text


def test_a_withheld_item_needs_a_ground(world, held):
    client = _client(world, Role.ANALYST)
    key = f"notification:{held['notification'].pk}"
    response = _post(client, held["person"], withhold={key: ("", "")})
    assert response.status_code == 200
    assert "Ange grunden för undantaget." in response.content.decode()
    response = _post(client, held["person"], withhold={key: ("other", " ")})
    assert "Beskriv grunden för undantaget." in response.content.decode()
    response = _post(client, held["person"], reason="")
    assert response["Content-Type"].startswith("text/html")
    assert not RegisterExtract.objects.exists()


def test_the_who_read_section_can_be_withheld_as_a_whole(world, held):
    client = _client(world, Role.ANALYST)
    client.get(reverse("groups:person_detail", args=[held["person"].pk]))
    text = _text(
        _post(client, held["person"], withhold={"accesslog:all": ("other", "Skydd för personalen")}).content
    )
    assert "Grund: Skydd för personalen" in text
    assert "Användare" not in text and "Läsning" not in text  # no table of reads


def test_other_organisations_and_roles_are_refused(world, held):
    person = held["person"]
    url = reverse("dataprotection:extract", args=[person.pk])
    # The caseworker of the municipality cannot see the police's person: not found.
    assert _client(world, Role.CASEWORKER).get(url).status_code == 404
    assert _post(_client(world, Role.CASEWORKER), person).status_code == 404
    # Once the person is disclosed to the municipality, its caseworker reads it, but the answer is the
    # police's: refused.
    Disclosure.objects.create(
        from_organisation=person.owner,
        to_organisation=world.orgs[("a", Organisation.Type.MUNICIPALITY)],
        content_type=ContentType.objects.get_for_model(Person),
        object_id=person.pk,
        site=person.site,
        legal_ground=Disclosure.LegalGround.OSL_10_2,
        purpose="Samverkan",
        decided_by=world.users[Role.ANALYST],
        expires_at=timezone.now() + timedelta(days=30),
    )
    assert (
        _client(world, Role.CASEWORKER).get(reverse("groups:person_detail", args=[person.pk])).status_code
        == 200
    )
    assert _client(world, Role.CASEWORKER).get(url).status_code == 403
    assert _post(_client(world, Role.CASEWORKER), person).status_code == 403
    assert _client(world, Role.COORDINATOR).get(url).status_code == 403
    assert not RegisterExtract.objects.exists()
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


def test_the_caseworker_gets_the_support_case_with_its_plan(world):
    case = world.records[("supportcase", "a", Organisation.Type.MUNICIPALITY)]
    plan = world.records[("planitem", "a", Organisation.Type.MUNICIPALITY)]
    text = _text(_post(_client(world, Role.CASEWORKER), case.person).content)
    assert "Stödärenden" in text
    assert case.pseudonym in text
    assert plan.goal in text
    produced = RegisterExtract.objects.get(person=case.person)
    assert produced.counts["supportcase"] == 1


def test_the_extract_is_in_swedish_for_an_english_user(world, held):
    from django.conf import settings

    client = _client(world, Role.ANALYST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("dataprotection:extract", args=[held["person"].pk]))
    assert "Register extract for" in page.content.decode()
    text = _text(_post(client, held["person"]).content)
    assert "Registerutdrag" in text and "Gruppmedlemskap och grund för registrering" in text
    assert "Register extract" not in text
