"""Export of the group audit: only what the user may export, logged per person, no formula injection."""

import csv
import io
import stat
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.audit import verify_chain
from gvi.access.models import AccessLog
from gvi.groups import exports
from gvi.groups.exports import export_records, neutralise
from gvi.groups.models import Group, GroupMembership, Person
from gvi.groups.services import create_person
from gvi.partnership.models import Organisation, Role
from tests.factories import GroupFactory, GroupMembershipFactory, PersonFactory, verified_login

INJECTIONS = {
    "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    "+SUM(1+1)": "'+SUM(1+1)",
    "-2+3": "'-2+3",
    "@SUM(A1:A2)": "'@SUM(A1:A2)",
    "\tflik": "'\tflik",
    "\rretur": "'\rretur",
}


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def read_xlsx(content: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows()]


def as_dicts(rows):
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def police_a(world):
    return world.orgs[("a", Organisation.Type.POLICE)]


@pytest.mark.parametrize(("raw", "expected"), [*INJECTIONS.items(), ("vanlig text", "vanlig text"), (5, 5)])
def test_neutralise(raw, expected):
    assert neutralise(raw) == expected


@pytest.fixture
def injected(world):
    """A group and a person whose text fields start with formula characters."""
    values = list(INJECTIONS)
    group = GroupFactory(
        site=world.site_a, owner=police_a(world), name=values[0], area=values[2], aliases=values[4]
    )
    person = PersonFactory(site=world.site_a, owner=police_a(world), alias=values[1], notes=values[3])
    GroupMembershipFactory(
        site=world.site_a, owner=police_a(world), person=person, group=group, evidence_note=values[5]
    )
    return group, person


@pytest.mark.django_db
def test_csv_export_neutralises_formulas(world, injected):
    analyst = world.users[Role.ANALYST]
    groups = as_dicts(read_csv(export_records(analyst, "grupper", "csv").content))
    row = next(row for row in groups if row["id"] == str(injected[0].pk))
    assert row["namn"] == "'=cmd|' /C calc'!A0"
    assert row["omrade"] == "'-2+3"
    assert row["andra_namn"] == "'\tflik"
    persons = as_dicts(read_csv(export_records(analyst, "personer", "csv").content))
    row = next(row for row in persons if row["id"] == str(injected[1].pk))
    assert (row["alias"], row["anteckning"]) == ("'+SUM(1+1)", "'@SUM(A1:A2)")
    memberships = as_dicts(read_csv(export_records(analyst, "medlemskap", "csv").content))
    row = next(row for row in memberships if row["person_id"] == str(injected[1].pk))
    assert (row["grupp"], row["person"], row["underlag"]) == ("'=cmd|' /C calc'!A0", "'+SUM(1+1)", "'\rretur")
    for rows in (groups, persons, memberships):
        for row in rows:
            for value in row.values():
                assert not value.startswith(exports.FORMULA_PREFIXES), value


@pytest.mark.django_db
def test_xlsx_export_writes_text_never_formulas(world, injected):
    analyst = world.users[Role.ANALYST]
    for kind in ("grupper", "personer", "medlemskap"):
        result = export_records(analyst, kind, "xlsx")
        assert result.content_type.startswith("application/vnd.openxmlformats")
        rows = read_xlsx(result.content)
        cells = [cell for row in rows for cell in row]
        assert all(cell.data_type != "f" for cell in cells)
        for cell in cells:
            if isinstance(cell.value, str):
                assert cell.data_type == "s"
                assert not cell.value.startswith(("=", "+", "-", "@", "\t")), cell.value
        values = {cell.value for cell in cells}
        assert ("'+SUM(1+1)" if kind == "personer" else "'=cmd|' /C calc'!A0") in values
        with zipfile.ZipFile(io.BytesIO(result.content)) as archive:
            sheet_xml = b"".join(archive.read(name) for name in archive.namelist() if "worksheets" in name)
        assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


@pytest.mark.django_db
def test_dates_and_values_use_the_import_vocabulary(world):
    analyst = world.users[Role.ANALYST]
    membership = world.records[("membership", "a", Organisation.Type.POLICE)]
    rows = as_dicts(read_csv(export_records(analyst, "medlemskap", "csv").content))
    row = next(row for row in rows if row["id"] == str(membership.pk))
    assert (row["roll"], row["grund"], row["tillforlitlighet"]) == ("karna", "egen_uppgift", "medel")
    assert row["fran"] == membership.valid_from.isoformat()
    rows = read_xlsx(export_records(analyst, "medlemskap", "xlsx").content)
    header = [cell.value for cell in rows[0]]
    body = next(row for row in rows[1:] if row[0].value == membership.pk)
    assert body[header.index("fran")].value.date() == membership.valid_from


@pytest.mark.django_db
def test_each_exported_person_writes_one_export_log_row(world):
    coordinator = world.users[Role.COORDINATOR]
    municipality = world.orgs[("a", Organisation.Type.MUNICIPALITY)]
    result = export_records(coordinator, "personer", "csv", purpose="Inför styrgruppsmöte")
    exported = {row["id"] for row in as_dicts(read_csv(result.content))}
    entries = list(AccessLog.objects.all())
    assert result.count == len(exported) == len(entries) > 0
    assert {entry.record_id for entry in entries} == exported
    for entry in entries:
        assert (entry.action, entry.record_type, entry.username) == (
            "export",
            "groups.person",
            Role.COORDINATOR,
        )
        assert (entry.role, entry.organisation_id_logged) == (Role.COORDINATOR, municipality.pk)
        assert entry.purpose == "Inför styrgruppsmöte"
    assert verify_chain().ok


@pytest.mark.django_db
def test_memberships_are_person_level_and_logged_groups_are_not(world):
    analyst = world.users[Role.ANALYST]
    export_records(analyst, "grupper", "xlsx")
    assert not AccessLog.objects.exists()
    result = export_records(analyst, "medlemskap", "xlsx")
    entries = AccessLog.objects.filter(action="export", record_type="groups.groupmembership")
    assert result.count == entries.count() > 0


@pytest.mark.django_db
def test_export_contains_only_records_the_user_may_export(world):
    coordinator = world.users[Role.COORDINATOR]
    municipality_a = world.orgs[("a", Organisation.Type.MUNICIPALITY)]
    persons = {
        int(row["id"]) for row in as_dicts(read_csv(export_records(coordinator, "personer", "csv").content))
    }
    expected = set(
        Person.unscoped_all_sites.filter(site=world.site_a, owner=municipality_a).values_list("pk", flat=True)
    )
    assert persons == expected
    assert world.record("person", Role.COORDINATOR, "other_org").pk not in persons
    assert world.record("person", Role.COORDINATOR, "other_site").pk not in persons
    disclosed_to_coordinator = world.records[("disclosure", "a", Organisation.Type.POLICE)]
    assert disclosed_to_coordinator.to_organisation == municipality_a
    assert disclosed_to_coordinator.object_id not in persons, "disclosed records are readable, not exportable"
    groups = {
        int(row["id"]) for row in as_dicts(read_csv(export_records(coordinator, "grupper", "csv").content))
    }
    assert groups == set(Group.unscoped_all_sites.filter(site=world.site_a).values_list("pk", flat=True))
    memberships = as_dicts(read_csv(export_records(coordinator, "medlemskap", "csv").content))
    assert {int(row["id"]) for row in memberships} == set(
        GroupMembership.unscoped_all_sites.filter(site=world.site_a, owner=municipality_a).values_list(
            "pk", flat=True
        )
    )
    analyst_persons = as_dicts(read_csv(export_records(world.users[Role.ANALYST], "personer", "csv").content))
    assert {row["agare"] for row in analyst_persons} == {police_a(world).short_name}
    assert {row["plats"] for row in analyst_persons} == {world.site_a.name}


@pytest.mark.django_db
def test_deactivated_records_are_not_exported(world):
    analyst = world.users[Role.ANALYST]
    person = world.record("person", Role.ANALYST, "own")
    Person.unscoped_all_sites.filter(pk=person.pk).update(deactivated_at=timezone.now() - timedelta(days=1))
    ids = {row["id"] for row in as_dicts(read_csv(export_records(analyst, "personer", "csv").content))}
    assert str(person.pk) not in ids


@pytest.mark.django_db
def test_personal_numbers_are_never_exported(world):
    analyst = world.users[Role.ANALYST]
    person = create_person(
        analyst, {"alias": "Med nummer", "is_at_risk": True}, personal_number="19870314-1237"
    )
    # An analyst's entry is proposed (four eyes) and exported only once a second person has approved it.
    Person.unscoped_all_sites.filter(pk=person.pk).update(entry_state="approved")
    for fmt in ("csv", "xlsx"):
        content = export_records(analyst, "personer", fmt).content
        if fmt == "xlsx":
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                content = b"".join(archive.read(name) for name in archive.namelist())
        for digits in (b"198703141237", b"8703141237", b"870314-1237", b"0314-1237"):
            assert digits not in content, (fmt, digits)
        assert person.personal_number_encrypted.encode() not in content
        assert person.personal_number_hash.encode() not in content
    row = next(
        row
        for row in as_dicts(read_csv(export_records(analyst, "personer", "csv").content))
        if row["id"] == str(person.pk)
    )
    assert row["personnummer_registrerat"] == "ja"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role",
    [
        Role.CASEWORKER,
        Role.PROBATION_OFFICER,
        Role.COMMUNITY_PARTNER,
        Role.STEERING_MEMBER,
        Role.ADMINISTRATOR,
    ],
)
def test_roles_without_export_are_refused(world, role):
    for kind in ("grupper", "personer", "medlemskap"):
        with pytest.raises(PermissionDenied):
            export_records(world.users[role], kind, "csv")
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_the_export_command_writes_a_private_file_and_logs(world, tmp_path):
    output = tmp_path / "personer.xlsx"
    out = io.StringIO()
    call_command(
        "gvi_export",
        "personer",
        "--user",
        Role.COORDINATOR,
        "--format",
        "xlsx",
        "--output",
        str(output),
        stdout=out,
    )
    assert "exporterades" in out.getvalue()
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    rows = read_xlsx(output.read_bytes())
    assert len(rows) - 1 == AccessLog.objects.filter(action="export").count() > 0
    assert AccessLog.objects.first().purpose == "Export via kommandoraden"
    with pytest.raises(CommandError):
        call_command("gvi_export", "personer", "--user", Role.CASEWORKER, "--output", str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


# ----- the page -----

EXPORT = "audit_io:export"


@pytest.mark.django_db
@pytest.mark.django_db
def test_the_export_page_downloads_and_logs(world):
    client = verified_login(Client(), world.users[Role.COORDINATOR])
    page = client.get(reverse(EXPORT))
    assert page.status_code == 200
    assert b'method="post"' in page.content
    assert not AccessLog.objects.exists(), "showing the form reads nothing"
    response = client.post(reverse(EXPORT), {"kind": "personer", "format": "csv", "purpose": "Uppföljning"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="gvi-personer-')
    assert response["Cache-Control"] == "no-store"
    rows = as_dicts(read_csv(response.content))
    assert len(rows) == AccessLog.objects.filter(action="export", purpose="Uppföljning").count() > 0
    response = client.post(reverse(EXPORT), {"kind": "grupper", "format": "xlsx", "purpose": "Uppföljning"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert read_xlsx(response.content)[0][0].value == "id"


@pytest.mark.django_db
@pytest.mark.django_db
def test_the_export_page_requires_a_purpose_and_a_known_kind(world):
    client = verified_login(Client(), world.users[Role.ANALYST])
    response = client.post(reverse(EXPORT), {"kind": "personer", "format": "csv", "purpose": ""})
    assert response.status_code == 200 and "purpose" in response.context["form"].errors
    response = client.post(reverse(EXPORT), {"kind": "incidenter", "format": "csv", "purpose": "x"})
    assert response.status_code == 200 and "kind" in response.context["form"].errors
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
@pytest.mark.django_db
@pytest.mark.parametrize(
    "role",
    [
        Role.CASEWORKER,
        Role.PROBATION_OFFICER,
        Role.COMMUNITY_PARTNER,
        Role.NATIONAL_ANALYST,
        Role.ADMINISTRATOR,
    ],
)
def test_the_export_page_is_closed_to_roles_without_export(world, role):
    client = verified_login(Client(), world.users[role])
    assert client.get(reverse(EXPORT)).status_code == 403
    response = client.post(reverse(EXPORT), {"kind": "personer", "format": "csv", "purpose": "x"})
    assert response.status_code == 403
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
@pytest.mark.django_db
def test_the_export_page_sends_anonymous_visitors_to_login(world):
    response = Client().get(reverse(EXPORT))
    assert response.status_code == 302 and reverse("access:login") in response["Location"]
