"""Import of the group audit: dry run reports, all-or-nothing imports, file formats, malformed files, pages."""

import io
import random
import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access import identity
from gvi.groups import importers
from gvi.groups.importers import dry_run, import_file
from gvi.groups.models import Group, GroupMembership, Person
from gvi.partnership.models import Organisation, Role
from tests.factories import GroupFactory, PersonFactory, verified_login

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
GROUP_HEADER = ["namn", "andra_namn", "omrade", "status", "storlek_fran", "storlek_till", "valdsniva"]
PERSON_HEADER = ["ref", "alias", "personnummer", "aldersgrupp", "under_18", "misstankt", "omprovas"]
MEMBERSHIP_HEADER = ["person", "grupp", "roll", "fran", "till", "grund", "underlag", "tillforlitlighet"]
# Made-up numbers with a correct check digit (see docs/import-format.md).
ADULT_NUMBER = "19870314-1237"
MINOR_NUMBER = "20120611-2466"
COORDINATION_NUMBER = "19950482-1357"


def csv_upload(rows, name="fil.csv", delimiter=";", bom=False) -> SimpleUploadedFile:
    text = "\r\n".join(delimiter.join(str(cell) for cell in row) for row in rows) + "\r\n"
    return SimpleUploadedFile(name, (("\ufeff" if bom else "") + text).encode("utf-8"))


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def counts():
    return (
        Group.unscoped_all_sites.count(),
        Person.unscoped_all_sites.count(),
        GroupMembership.unscoped_all_sites.count(),
        Group.history.count(),
        Person.history.count(),
        GroupMembership.history.count(),
    )


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def analyst(world):
    return world.users[Role.ANALYST]


def police_a(world):
    return world.orgs[("a", Organisation.Type.POLICE)]


# ----- good files -----


@pytest.mark.django_db
def test_a_good_groups_file_imports_everything_at_the_importers_site_with_history(world, analyst):
    upload = csv_upload(
        [
            GROUP_HEADER + ["nasta_granskning"],
            ["Nya gänget", "NG", "Centrum", "vilande", "5", "9", "3", "2027-01-31"],
            ["Andra gruppen", "", "", "", "", "", "", ""],
        ]
    )
    report = import_file(analyst, "grupper", upload)
    assert report.ok, report.errors
    assert report.committed and report.created_count == 2
    assert "2 grupper skapades" in report.summary()
    first = Group.unscoped_all_sites.get(name="Nya gänget")
    assert (first.site, first.owner) == (world.site_a, police_a(world))
    assert (first.status, first.size_min, first.size_max, first.violence_tier) == ("dormant", 5, 9, 3)
    assert first.next_review == date(2027, 1, 31)
    second = Group.unscoped_all_sites.get(name="Andra gruppen")
    assert (second.status, second.violence_tier) == ("active", 1)
    assert second.next_review == timezone.localdate() + timedelta(days=django_settings.GVI_REVIEW_DAYS_ADULT)
    for group in (first, second):
        history = list(group.history.all())
        assert len(history) == 1
        assert history[0].history_type == "+" and history[0].history_user == analyst
        assert group.version == 1


@pytest.mark.django_db
def test_a_good_persons_file_stores_personal_numbers_only_hashed_and_encrypted(world, analyst):
    upload = csv_upload(
        [
            PERSON_HEADER,
            ["P1", "Vuxen V-1", ADULT_NUMBER, "36+", "nej", "ja", ""],
            ["P2", "Ung U-1", MINOR_NUMBER, "", "", "ja", ""],
            ["P3", "Samordnad S-1", COORDINATION_NUMBER, "", "", "ja", ""],
        ]
    )
    report = import_file(analyst, "personer", upload)
    assert report.ok, report.errors
    adult = Person.unscoped_all_sites.get(alias="Vuxen V-1")
    minor = Person.unscoped_all_sites.get(alias="Ung U-1")
    coordinated = Person.unscoped_all_sites.get(alias="Samordnad S-1")
    today = timezone.localdate()
    assert (adult.site, adult.owner) == (world.site_a, police_a(world))
    assert adult.birth_year == 1987 and not adult.is_minor
    assert adult.review_date == today + timedelta(days=django_settings.GVI_REVIEW_DAYS_ADULT)
    assert minor.is_minor, "under 18 is derived from the personal number when the column is empty"
    assert minor.review_date == today + timedelta(days=django_settings.GVI_REVIEW_DAYS_MINOR)
    assert coordinated.birth_year == 1995
    assert adult.personal_number_hash == identity.personal_number_hash("198703141237")
    assert identity.decrypt(adult.personal_number_encrypted) == "198703141237"
    assert adult.history.get().history_user == analyst
    # No column of the person table or its history holds the digits in clear text.
    for table in (Person._meta.db_table, Person.history.model._meta.db_table):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump = repr(cursor.fetchall())
        for digits in ("198703141237", "8703141237", "870314-1237", "201206112466", "1206112466"):
            assert digits not in dump, (table, digits)
    assert all(ADULT_NUMBER not in line and "8703141237" not in line for line in report.lines())


@pytest.mark.django_db
def test_the_documented_example_files_import_in_order(world, analyst):
    for kind, expected in (("grupper", 3), ("personer", 5), ("medlemskap", 4)):
        with (EXAMPLES / f"{kind}.csv").open("rb") as handle:
            report = import_file(analyst, kind, SimpleUploadedFile(f"{kind}.csv", handle.read()))
        assert report.ok, (kind, report.errors)
        assert report.created_count == expected
    membership = GroupMembership.unscoped_all_sites.get(person__alias="Exempel A-001")
    assert membership.criteria == ["self_admission", "observed_with_group"]
    assert (membership.role, membership.confidence) == ("core", "high")
    by_number = GroupMembership.unscoped_all_sites.get(person__alias="Exempel A-002")
    assert by_number.group.name == "Exempelgänget Norr" and by_number.criteria == ["social_media"]
    labelled = GroupMembership.unscoped_all_sites.get(person__alias="Exempel A-003")
    assert labelled.criteria == ["victim_of_rivals"] and labelled.valid_to == date(2025, 10, 31)
    minor = GroupMembership.unscoped_all_sites.get(person__alias="Exempel A-004")
    assert minor.review_date == timezone.localdate() + timedelta(days=django_settings.GVI_REVIEW_DAYS_MINOR)
    assert {
        m.site_id for m in GroupMembership.unscoped_all_sites.filter(person__alias__startswith="Exempel")
    } == {world.site_a.pk}
    assert all(
        m.owner == police_a(world)
        for m in GroupMembership.unscoped_all_sites.filter(group__name__contains="Exempel")
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("delimiter", "bom"), [(";", False), (";", True), (",", False), (",", True), ("\t", True)]
)
def test_semicolon_comma_tab_and_bom_all_work(world, analyst, delimiter, bom):
    upload = csv_upload(
        [GROUP_HEADER, ["Gruppen, med komma", "", "Öster", "aktiv", "1", "2", "2"]],
        delimiter=delimiter,
        bom=bom,
    )
    if delimiter == ",":
        upload = SimpleUploadedFile(
            "fil.csv",
            (
                ("\ufeff" if bom else "")
                + ",".join(GROUP_HEADER)
                + '\r\n"Gruppen, med komma",,Öster,aktiv,1,2,2\r\n'
            ).encode("utf-8"),
        )
    report = import_file(analyst, "grupper", upload)
    assert report.ok, report.errors
    assert Group.unscoped_all_sites.get(name="Gruppen, med komma").area == "Öster"


@pytest.mark.django_db
def test_xlsx_with_swedish_headers_dates_and_numbers_imports(world, analyst):
    groups = xlsx_bytes(
        [
            ["Namn", "Område", "Status", "Våldsnivå", "Nästa granskning", "Storlek från"],
            ["Excelgruppen", "Väster", "Upplöst", 4, date(2027, 3, 1), 7],
            [None, None, None, None, None, None],
            ["Excelgruppen två", None, "aktiv", 2.0, "2027-04-01", None],
        ]
    )
    report = import_file(analyst, "grupper", SimpleUploadedFile("grupper.xlsx", groups))
    assert report.ok, report.errors
    group = Group.unscoped_all_sites.get(name="Excelgruppen")
    assert (group.area, group.status, group.violence_tier, group.size_min) == ("Väster", "dissolved", 4, 7)
    assert group.next_review == date(2027, 3, 1)
    assert [row for row, _ in report.created] == [2, 4], "row numbers are Excel's, blank rows skipped"

    persons = xlsx_bytes(
        [
            ["alias", "personnummer", "Under 18", "Misstänkt", "I riskzon"],
            ["Excelperson", 198703141237, False, True, None],
        ]
    )
    report = import_file(analyst, "personer", SimpleUploadedFile("personer.xlsx", persons))
    assert report.ok, report.errors
    person = Person.unscoped_all_sites.get(alias="Excelperson")
    assert person.personal_number_hash == identity.personal_number_hash("198703141237")
    assert person.is_suspected_perpetrator and not person.is_at_risk

    memberships = xlsx_bytes(
        [
            MEMBERSHIP_HEADER,
            [
                "Excelperson",
                "excelgruppen",
                "Kärna",
                date(2025, 1, 1),
                None,
                "Egen uppgift om medlemskap",
                "U",
                "Hög",
            ],
        ]
    )
    report = import_file(analyst, "medlemskap", SimpleUploadedFile("medlemskap.xlsx", memberships))
    assert report.ok, report.errors
    membership = GroupMembership.unscoped_all_sites.get(person=person)
    assert (membership.group, membership.role, membership.confidence) == (group, "core", "high")
    assert membership.criteria == ["self_admission"]


# ----- errors: dry run, all-or-nothing -----


@pytest.mark.django_db
def test_dry_run_reports_each_person_error_with_its_row_and_writes_nothing(world, analyst):
    far = (timezone.localdate() + timedelta(days=500)).isoformat()
    upload = csv_upload(
        [
            PERSON_HEADER,
            ["P1", "Rätt R-1", ADULT_NUMBER, "", "", "ja", ""],
            ["P2", "Fel F-1", "19870314-1238", "", "", "ja", ""],
            ["P3", "", "", "", "", "ja", ""],
            ["P4", "Fel F-3", "", "", "", "ja", "2024-13-01"],
            ["P5", "Fel F-4", "", "", "kanske", "ja", ""],
            ["P6", "Fel F-5", "", "", "", "nej", ""],
            ["P1", "Fel F-6", "", "", "", "ja", ""],
            ["P8", "Fel F-7", MINOR_NUMBER, "", "nej", "ja", ""],
            ["P9", "Fel F-8", ADULT_NUMBER, "", "", "ja", ""],
            ["P10", "Fel F-9", "", "30", "", "ja", ""],
            ["P11", "Fel F-10", "", "", "", "ja", far],
        ]
    )
    before = counts()
    report = dry_run(analyst, "personer", upload)
    assert counts() == before
    assert not report.ok and not report.committed and report.dry_run
    errors = report.errors
    assert "Rad 3: kolumnen personnummer: personnumrets kontrollsiffra stämmer inte." in errors
    assert "Rad 4: alias saknas" in errors
    assert (
        "Rad 5: felaktigt datum '2024-13-01' i kolumnen omprovas (ange ÅÅÅÅ-MM-DD, ÅÅÅÅMMDD eller D/M ÅÅÅÅ)"
        in errors
    )
    assert "Rad 6: kolumnen under_18 ska vara ja eller nej, inte 'kanske'" in errors
    assert any(error.startswith("Rad 7: ange minst en status") for error in errors)
    assert "Rad 8: ref 'P1' finns redan på rad 2" in errors
    assert "Rad 9: uppgifterna om ålder går inte ihop (under_18, aldersgrupp och personnummer)" in errors
    assert "Rad 10: en person med samma personnummer finns redan: 'Rätt R-1'" in errors
    assert any(error.startswith("Rad 11: okänt värde '30' i kolumnen aldersgrupp") for error in errors)
    assert any(error.startswith("Rad 12: omprovas får vara senast") for error in errors)
    assert not any(error.startswith("Rad 2:") for error in errors)
    assert [row for row, _ in report.created] == [2]
    assert "Inget har sparats" in report.summary()
    assert not any("8703141238" in error or "1206112466" in error for error in errors), "never echo numbers"


@pytest.mark.django_db
def test_dry_run_reports_membership_errors(world, analyst):
    person = PersonFactory(site=world.site_a, owner=police_a(world), alias="Känd K-1")
    GroupFactory(site=world.site_a, owner=police_a(world), name="Kända gruppen")
    GroupFactory(site=world.site_b, owner=world.orgs[("b", "police")], name="Annan plats")
    PersonFactory(site=world.site_a, owner=police_a(world), alias="Dubbel")
    PersonFactory(site=world.site_a, owner=police_a(world), alias="dubbel")
    disclosed = world.records[("disclosure", "a", Organisation.Type.MUNICIPALITY)].record
    good = ["Känd K-1", "Kända gruppen", "karna", "2025-01-01", "", "egen_uppgift", "Underlag", "medel"]
    upload = csv_upload(
        [
            MEMBERSHIP_HEADER,
            good,
            ["Känd K-1", "Finns inte", *good[2:]],
            [*good[:5], "", *good[6:]],
            [*good[:3], "2024-13-01", *good[4:]],
            [*good[:5], "egen_uppgift|påhitt", *good[6:]],
            ["Okänd O-1", *good[1:]],
            ["Känd K-1", "Annan plats", *good[2:]],
            ["Dubbel", *good[1:]],
            [*good[:4], "2024-12-31", *good[5:]],
            [disclosed.alias, *good[1:]],
            [*good[:2], "ledare", *good[3:7], ""],
            good,
        ]
    )
    before = counts()
    report = dry_run(analyst, "medlemskap", upload)
    assert counts() == before
    errors = report.errors
    assert "Rad 3: okänd grupp 'Finns inte'" in errors
    assert "Rad 4: grund saknas" in errors
    assert (
        "Rad 5: felaktigt datum '2024-13-01' i kolumnen fran (ange ÅÅÅÅ-MM-DD, ÅÅÅÅMMDD eller D/M ÅÅÅÅ)"
        in errors
    )
    assert any(error.startswith("Rad 6: okänd grund 'påhitt'") for error in errors)
    assert "Rad 7: okänd person 'Okänd O-1'" in errors
    assert "Rad 8: okänd grupp 'Annan plats'" in errors, "groups of other sites are unknown"
    assert "Rad 9: flera personer har aliaset 'Dubbel' – ange personnummer i stället" in errors
    assert "Rad 10: kolumnen till: slutdatum kan inte vara före startdatum." in errors
    assert any(
        error.startswith(f"Rad 11: du får inte registrera medlemskap för '{disclosed.alias}'")
        for error in errors
    )
    assert any(error.startswith("Rad 12: okänt värde 'ledare' i kolumnen roll") for error in errors)
    assert "Rad 12: tillforlitlighet saknas" in errors
    assert "Rad 13: 'Känd K-1' är redan registrerad i gruppen 'Kända gruppen' under samma period" in errors
    assert not any(error.startswith("Rad 2:") for error in errors)
    assert not GroupMembership.unscoped_all_sites.filter(person=person).exists()


@pytest.mark.django_db
def test_dry_run_reports_group_errors(world, analyst):
    GroupFactory(site=world.site_a, owner=world.orgs[("a", "municipality")], name="Befintliga")
    upload = csv_upload(
        [
            GROUP_HEADER,
            ["Stor", "", "", "", "9", "5", ""],
            ["Fel status", "", "", "hemlig", "", "", ""],
            ["Fel tal", "", "", "", "många", "", "7"],
            ["befintliga", "", "", "", "", "", ""],
            ["Ny", "", "", "", "", "", ""],
            ["NY", "", "", "", "", "", ""],
            ["x" * 130, "", "", "", "", "", ""],
        ]
    )
    report = dry_run(analyst, "grupper", upload)
    errors = report.errors
    assert "Rad 2: kolumnen storlek_till: övre gränsen kan inte vara mindre än den undre." in errors
    assert any(error.startswith("Rad 3: okänt värde 'hemlig' i kolumnen status") for error in errors)
    assert "Rad 4: kolumnen storlek_fran ska vara ett heltal, inte 'många'" in errors
    assert any(error.startswith("Rad 4: okänt värde '7' i kolumnen valdsniva") for error in errors)
    assert "Rad 5: gruppen 'befintliga' finns redan på platsen" in errors
    assert "Rad 7: gruppen 'NY' finns redan på platsen" in errors, "duplicates within the file are caught"
    assert any(error.startswith("Rad 8: kolumnen namn: ") for error in errors)
    assert not Group.unscoped_all_sites.filter(name="Ny").exists()


@pytest.mark.django_db
def test_one_bad_row_imports_nothing_and_the_dry_run_predicted_it(world, analyst):
    rows = [GROUP_HEADER] + [[f"Grupp nr {n}", "", "", "aktiv", "", "", "2"] for n in range(30)]
    rows.append(["Sista", "", "", "aktiv", "", "", "9"])
    before = counts()
    preview = dry_run(analyst, "grupper", csv_upload(rows))
    report = import_file(analyst, "grupper", csv_upload(rows))
    assert counts() == before
    assert not report.ok and not report.committed
    assert report.errors == preview.errors
    assert len(report.errors) == 1 and report.errors[0].startswith(
        "Rad 32: okänt värde '9' i kolumnen valdsniva"
    )
    assert "Importen avbröts" in report.summary()


# ----- malformed files -----


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hej.txt", "inte en arbetsbok")
    return buffer.getvalue()


MALFORMED = {
    "random-csv": ("fil.csv", random.Random(7).randbytes(5000), "ingen textfil"),
    "random-xlsx": ("fil.xlsx", random.Random(8).randbytes(5000), "kunde inte läsas som Excel-fil"),
    "random-noname": ("fil", b"\x89PNG\r\n\x1a\n" + random.Random(9).randbytes(500), "ingen textfil"),
    "empty": ("fil.csv", b"", "Filen är tom."),
    "only-bom": ("fil.csv", b"\xef\xbb\xbf \r\n", "Filen är tom."),
    "header-only": ("fil.csv", b"namn;omrade\r\n", "inga datarader"),
    "blank-header": ("fil.csv", b";;\r\nA;B;C\r\n", "saknar rubrikrad"),
    "wrong-headers": ("fil.csv", b"foo;bar\r\n1;2\r\n", "Okända kolumner: \u201dfoo\u201d, \u201dbar\u201d"),
    "undefined-cp1252": (
        "fil.csv",
        b"namn;omrade\r\n\x81stra;S\x8fder\r\n",
        "teckenkodning kunde inte tolkas",
    ),
    "csv-named-xlsx": ("fil.xlsx", b"namn;omrade\r\nA;B\r\n", "kunde inte läsas som Excel-fil"),
    "zip-not-workbook": ("fil.xlsx", _zip_without_workbook(), "kunde inte läsas som Excel-fil"),
    "old-xls": ("fil.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "(.xls) stöds inte"),
    "huge-field": ("fil.csv", b'namn\r\n"' + b"a" * 200_000 + b"\r\n", "längre än 4 000 tecken"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_files_get_a_clear_error_and_change_nothing(world, analyst, case):
    name, data, expected = MALFORMED[case]
    before = counts()
    for run in (dry_run, import_file):
        report = run(analyst, "grupper", SimpleUploadedFile(name, data))
        assert not report.ok and not report.committed
        assert report.file_errors and not report.row_errors
        assert any(expected in error for error in report.file_errors), report.file_errors
    assert counts() == before


@pytest.mark.django_db
def test_a_truncated_xlsx_is_reported_not_raised(world, analyst):
    data = xlsx_bytes([GROUP_HEADER, ["A", "", "", "", "", "", ""]])
    report = dry_run(analyst, "grupper", SimpleUploadedFile("fil.xlsx", data[: len(data) // 2]))
    assert report.file_errors and "kunde inte läsas som Excel-fil" in report.file_errors[0]


@pytest.mark.django_db
def test_missing_required_columns_are_reported_up_front_with_a_hint(world, analyst):
    upload = csv_upload([["alias", "personnummer", "misstankt"], ["A", "", "ja"]])
    report = dry_run(analyst, "grupper", upload)
    assert "Obligatoriska kolumner saknas: namn." in report.file_errors
    assert any("ser ut att innehålla personer" in error for error in report.file_errors)
    report = dry_run(
        analyst, "medlemskap", csv_upload([["person", "grupp", "Roll", "roll"], ["a", "b", "c", "d"]])
    )
    assert "Kolumnen ”roll” förekommer mer än en gång." in report.file_errors
    assert "Obligatoriska kolumner saknas: fran, grund, underlag, tillforlitlighet." in report.file_errors


@pytest.mark.django_db
def test_a_value_in_a_column_without_header_is_a_row_error(world, analyst):
    report = dry_run(analyst, "grupper", csv_upload([["namn", ""], ["A", ""], ["B", "över"]]))
    assert report.errors == ["Rad 3: värde i en kolumn utan rubrik"]


@pytest.mark.django_db
def test_the_row_limit_is_enforced(world, analyst):
    rows = [["namn"]] + [[f"Radgräns {n}"] for n in range(importers.MAX_ROWS + 1)]
    report = dry_run(analyst, "grupper", csv_upload(rows))
    assert report.file_errors == ["Filen har fler än 20 000 datarader. Dela upp den i flera filer."]
    data = xlsx_bytes(rows[:8])
    original = importers.MAX_ROWS
    importers.MAX_ROWS = 5
    try:
        report = dry_run(analyst, "grupper", SimpleUploadedFile("fil.xlsx", data))
    finally:
        importers.MAX_ROWS = original
    assert report.file_errors == ["Filen har fler än 5 datarader. Dela upp den i flera filer."]
    assert not Group.unscoped_all_sites.filter(name__startswith="Radgräns").exists()


@pytest.mark.django_db
def test_the_size_limit_is_enforced(world, analyst):
    data = b"namn\r\n" + b"a" * importers.MAX_FILE_BYTES
    report = dry_run(analyst, "grupper", SimpleUploadedFile("stor.csv", data))
    assert report.file_errors == ["Filen är för stor: högst 5 MB. Dela upp den i flera filer."]


@pytest.mark.django_db
def test_unknown_kind_and_roles_without_create_are_refused(world):
    upload = csv_upload([["namn"], ["A"]])
    report = dry_run(world.users[Role.ANALYST], "sanktioner", upload)
    assert report.file_errors and "Okänd typ av import" in report.file_errors[0]
    for role in (Role.COORDINATOR, Role.COMMUNITY_PARTNER, Role.ADMINISTRATOR, Role.CASEWORKER):
        report = dry_run(world.users[role], "grupper", csv_upload([["namn"], ["A"]]))
        assert report.file_errors == ["Din roll får inte importera grupper."], role
    assert not Group.unscoped_all_sites.filter(name="A").exists()


@pytest.mark.django_db
def test_a_caseworker_imports_persons_owned_by_the_municipality(world):
    caseworker = world.users[Role.CASEWORKER]
    report = import_file(caseworker, "personer", csv_upload([["alias", "i_riskzon"], ["Stöd S-1", "ja"]]))
    assert report.ok, report.errors
    person = Person.unscoped_all_sites.get(alias="Stöd S-1")
    assert (person.site, person.owner) == (world.site_a, world.orgs[("a", "municipality")])


# ----- the command -----


@pytest.mark.django_db
def test_the_import_command_dry_runs_imports_and_fails_on_errors(world, tmp_path):
    good = tmp_path / "grupper.csv"
    good.write_text("namn;omrade\r\nKommandogruppen;Norr\r\n", encoding="utf-8")
    out = io.StringIO()
    call_command("gvi_import", "grupper", str(good), "--user", Role.ANALYST, "--dry-run", stdout=out)
    assert "Förhandsgranskning" in out.getvalue()
    assert not Group.unscoped_all_sites.filter(name="Kommandogruppen").exists()
    out = io.StringIO()
    call_command("gvi_import", "grupper", str(good), "--user", Role.ANALYST, stdout=out)
    assert "Importen är klar" in out.getvalue()
    group = Group.unscoped_all_sites.get(name="Kommandogruppen")
    assert group.history.get().history_user == world.users[Role.ANALYST]
    bad = tmp_path / "fel.csv"
    bad.write_text("namn;valdsniva\r\nFelgruppen;8\r\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError, match="Importen avbröts"):
        call_command("gvi_import", "grupper", str(bad), "--user", Role.ANALYST, stdout=out)
    assert "Rad 2: okänt värde '8' i kolumnen valdsniva" in out.getvalue()
    assert not Group.unscoped_all_sites.filter(name="Felgruppen").exists()
    with pytest.raises(CommandError, match="Ingen aktiv användare"):
        call_command("gvi_import", "grupper", str(good), "--user", "finns-inte")
    with pytest.raises(CommandError, match="finns inte"):
        call_command("gvi_import", "grupper", str(tmp_path / "saknas.csv"), "--user", Role.ANALYST)


# ----- the pages -----

UPLOAD = "audit_io:import_upload"
CONFIRM = "audit_io:import_confirm"


def _client(world, role):
    return verified_login(Client(), world.users[role])


def _upload(client, kind, rows, name="fil.csv"):
    return client.post(reverse(UPLOAD), {"kind": kind, "file": csv_upload(rows, name=name)})


@pytest.mark.django_db
@pytest.mark.django_db
def test_upload_report_confirm_flow(world, tmp_path):
    client = _client(world, Role.ANALYST)
    page = client.get(reverse(UPLOAD))
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    response = _upload(
        client, "grupper", [["namn", "omrade"], ["Webbgruppen", "Väst"], ["Webbgrupp två", ""]]
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Förhandsgranskning" in content and "Webbgruppen" in content and "Importera" in content
    assert "Inget har sparats ännu" in content
    assert not Group.unscoped_all_sites.filter(name="Webbgruppen").exists(), "the dry run writes nothing"
    pending = client.session["gvi_pending_import"]
    stored = tmp_path / "imports" / f"{pending['token']}.bin"
    assert stored.is_file() and b"Webbgruppen" not in stored.read_bytes(), "kept encrypted"
    assert f'value="{pending["token"]}"' in content
    response = client.post(reverse(CONFIRM), {"token": pending["token"]}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(UPLOAD)
    assert "Importen är klar: 2 grupper skapades" in response.content.decode()
    group = Group.unscoped_all_sites.get(name="Webbgruppen")
    assert (group.site, group.owner) == (world.site_a, police_a(world))
    assert group.history.get().history_user == world.users[Role.ANALYST]
    assert not stored.exists() and "gvi_pending_import" not in client.session
    # Confirming twice does nothing more.
    response = client.post(reverse(CONFIRM), {"token": pending["token"]})
    assert response.status_code == 302
    assert Group.unscoped_all_sites.filter(name="Webbgruppen").count() == 1


@pytest.mark.django_db
@pytest.mark.django_db
def test_a_report_with_errors_has_no_confirm_button(world):
    client = _client(world, Role.ANALYST)
    response = _upload(client, "grupper", [["namn", "valdsniva"], ["Bra", "1"], ["Dålig", "12"]])
    content = response.content.decode()
    assert response.status_code == 200
    assert "Rad 3: okänt värde &#x27;12&#x27; i kolumnen valdsniva" in content
    assert reverse(CONFIRM) not in content
    assert "gvi_pending_import" not in client.session
    assert not Group.unscoped_all_sites.filter(name="Bra").exists()


@pytest.mark.django_db
@pytest.mark.django_db
def test_a_malformed_upload_shows_the_file_error(world):
    client = _client(world, Role.ANALYST)
    data = random.Random(3).randbytes(3000)
    response = client.post(reverse(UPLOAD), {"kind": "grupper", "file": SimpleUploadedFile("x.xlsx", data)})
    assert response.status_code == 200
    assert "kunde inte läsas som Excel-fil" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.django_db
def test_confirm_validates_again_and_writes_nothing_if_the_data_changed(world):
    client = _client(world, Role.ANALYST)
    _upload(client, "grupper", [["namn"], ["Hinns före"], ["Oberoende"]])
    token = client.session["gvi_pending_import"]["token"]
    GroupFactory(site=world.site_a, owner=police_a(world), name="Hinns före")
    response = client.post(reverse(CONFIRM), {"token": token})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Importen genomfördes inte" in content
    assert "Rad 2: gruppen &#x27;Hinns före&#x27; finns redan på platsen" in content
    assert not Group.unscoped_all_sites.filter(name="Oberoende").exists()


@pytest.mark.django_db
@pytest.mark.django_db
def test_confirm_without_a_pending_import_or_with_a_wrong_token(world):
    client = _client(world, Role.ANALYST)
    response = client.post(reverse(CONFIRM), follow=True)
    assert response.redirect_chain == [(reverse(UPLOAD), 302)]
    assert "Det finns ingen förhandsgranskad import" in response.content.decode()
    _upload(client, "grupper", [["namn"], ["Tokengruppen"]])
    response = client.post(reverse(CONFIRM), {"token": "x" * 43})
    assert response.status_code == 302
    assert not Group.unscoped_all_sites.filter(name="Tokengruppen").exists()
    assert "gvi_pending_import" in client.session, "a stale tab does not cancel the current preview"
    assert client.get(reverse(CONFIRM)).status_code == 405


@pytest.mark.django_db
@pytest.mark.django_db
def test_a_caseworker_may_import_persons_and_memberships_but_not_groups(world):
    client = _client(world, Role.CASEWORKER)
    page = client.get(reverse(UPLOAD))
    assert page.status_code == 200
    form = page.context["form"]
    assert [value for value, _ in form.fields["kind"].choices] == ["personer", "medlemskap"]
    response = _upload(client, "grupper", [["namn"], ["Inte tillåten"]])
    assert response.status_code == 200 and "kind" in response.context["form"].errors
    assert not Group.unscoped_all_sites.filter(name="Inte tillåten").exists()


@pytest.mark.django_db
@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.COMMUNITY_PARTNER, Role.COORDINATOR, Role.STEERING_MEMBER, Role.ADMINISTRATOR]
)
def test_roles_without_create_get_403(world, role):
    client = _client(world, role)
    assert client.get(reverse(UPLOAD)).status_code == 403
    assert client.post(reverse(UPLOAD), {"kind": "grupper"}).status_code == 403
    assert client.post(reverse(CONFIRM)).status_code == 403


@pytest.mark.django_db
@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(world):
    client = Client()
    for name, method in ((UPLOAD, "get"), (UPLOAD, "post"), (CONFIRM, "post"), (CONFIRM, "get")):
        response = getattr(client, method)(reverse(name))
        assert response.status_code == 302 and reverse("access:login") in response["Location"], name
