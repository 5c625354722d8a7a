"""The group audit import after the adversarial file set (issue 23): unbalanced quotes, long Excel cells,
personal numbers in free text, group names that differ only in case, normalisation or spaces, the
formats Swedish Excel writes and dates as people type them. Bad files leave every table unchanged."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.groups.importers import dry_run, import_file
from gvi.groups.models import Group, GroupMembership, Person
from gvi.partnership.models import Organisation, Role
from tests.factories import GroupFactory, PersonFactory, verified_login
from tests.groups.test_import import MEMBERSHIP_HEADER, counts, csv_upload, xlsx_bytes


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def analyst(world):
    return world.users[Role.ANALYST]


def owner(world):
    return world.orgs[("a", Organisation.Type.POLICE)]


def refused_everywhere(user, kind, make_upload):
    before = counts()
    for run in (dry_run, import_file):
        report = run(user, kind, make_upload())
        assert not report.ok and not report.committed
        assert counts() == before
    return report


@pytest.mark.django_db
def test_an_unbalanced_quote_refuses_the_file_instead_of_importing_fewer_rows(world, analyst):
    data = 'namn;omrade\r\nA-gruppen;Norr\r\n"B-gruppen;Syd\r\nC-gruppen;Öst\r\nD-gruppen;Väst\r\n'.encode()
    report = refused_everywhere(analyst, "grupper", lambda: SimpleUploadedFile("g.csv", data))
    assert report.file_errors[0].startswith("Rad 3:") and "citattecken" in report.file_errors[0]


@pytest.mark.django_db
def test_a_megabyte_text_cell_in_a_workbook_is_refused_like_in_csv(world, analyst):
    data = xlsx_bytes([["namn", "kallor"], ["A-gruppen", "x" * 1_000_000]])
    report = refused_everywhere(analyst, "grupper", lambda: SimpleUploadedFile("g.xlsx", data))
    assert "längre än 4 000 tecken" in report.file_errors[0]


@pytest.mark.django_db
def test_a_personal_number_in_alias_or_notes_is_refused_and_points_to_its_column(world, analyst):
    rows = [
        ["alias", "personnummer", "misstankt", "anteckning"],
        ["Lillen 811218-9876", "", "ja", ""],
        ["Stora L", "", "ja", "Heter egentligen 198112189876"],
    ]
    report = refused_everywhere(analyst, "personer", lambda: csv_upload(rows))
    assert [str(error).split(":")[0] for error in report.row_errors] == ["Rad 2", "Rad 3"]
    assert "kolumnen alias: texten innehåller ett personnummer" in str(report.row_errors[0])
    assert "kolumnen anteckning" in str(report.row_errors[1]) and "kolumnen personnummer" in str(
        report.row_errors[1]
    )
    assert not any("9876" in error for error in report.errors), "never echo numbers"
    # The same in the form.
    client = verified_login(Client(), analyst)
    response = client.post(
        reverse("groups:person_create"), {"alias": "Lillen 811218-9876", "is_at_risk": "on"}
    )
    assert response.status_code == 200 and "innehåller ett personnummer" in response.content.decode()
    assert not Person.unscoped_all_sites.filter(alias__startswith="Lillen").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spelling", ["GRUPP BLÅ", "Grupp Bla\u030a", "Grupp  Blå", "Grupp\u00a0Blå", " grupp blå "]
)
def test_a_group_name_differing_only_in_case_normalisation_or_spaces_is_not_a_new_group(
    world, analyst, spelling
):
    GroupFactory(site=world.site_a, owner=owner(world), name="Grupp Blå")
    report = refused_everywhere(analyst, "grupper", lambda: csv_upload([["namn"], [spelling]]))
    assert "finns redan på platsen" in report.errors[0]
    client = verified_login(Client(), analyst)
    before = counts()
    response = client.post(
        reverse("groups:group_create"),
        {
            "name": spelling,
            "status": "active",
            "violence_tier": 1,
            "next_review": (timezone.localdate() + timedelta(days=90)).isoformat(),
        },
    )
    assert response.status_code == 200 and "finns redan en grupp med det namnet" in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
def test_a_new_group_name_is_stored_normalised(world, analyst):
    report = import_file(analyst, "grupper", csv_upload([["namn"], ["Grupp\u00a0\u00a0Gro\u0308n "]]))
    assert report.committed
    assert Group.unscoped_all_sites.filter(name="Grupp Grön").exists()


@pytest.mark.django_db
def test_memberships_find_a_group_whatever_its_case(world, analyst):
    person = PersonFactory(site=world.site_a, owner=owner(world), alias="Känd K-1")
    group = GroupFactory(site=world.site_a, owner=owner(world), name="Östra gänget")
    row = [person.alias, "ÖSTRA  GÄNGET", "karna", "12/03/2025", "", "egen_uppgift", "Underlag", "medel"]
    report = import_file(analyst, "medlemskap", csv_upload([MEMBERSHIP_HEADER, row]))
    assert report.committed, report.errors
    membership = GroupMembership.unscoped_all_sites.get(person=person)
    assert membership.group == group and membership.valid_from.isoformat() == "2025-03-12"
    assert any("D/M ÅÅÅÅ" in line and "'12/03/2025' → 2025-03-12" in line for line in report.assumptions)


@pytest.mark.django_db
def test_a_windows_1252_file_imports_and_the_preview_says_what_was_assumed(world, analyst):
    data = "namn;omrade;nasta_granskning\r\nSödra gänget;Söder;20270101\r\n".encode("cp1252")
    report = dry_run(analyst, "grupper", SimpleUploadedFile("g.csv", data))
    assert report.ok, report.errors
    assert any("Windows-1252" in line and "semikolon" in line for line in report.assumptions)
    assert any("ÅÅÅÅMMDD" in line for line in report.assumptions)
    excel = xlsx_bytes([["namn", "nasta_granskning"], ["Västra gänget", 46388]])
    report = dry_run(analyst, "grupper", SimpleUploadedFile("g.xlsx", excel))
    assert report.ok and any("Excel-serienummer" in line for line in report.assumptions)
