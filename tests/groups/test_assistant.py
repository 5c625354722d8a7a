"""The import assistant: a practitioner's workbook (title rows, merged group cells, their own headings and
words) brought in as groups, persons and memberships with only the mapping choices."""

import io
import json
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gvi.groups import assistant
from gvi.groups.models import Confidence, Group, GroupMembership, ImportMapping, MembershipCriterion, Person
from gvi.partnership.models import Role
from tests.factories import verified_login

TITLE_ROWS = [
    ["Kartläggning Örebro"],
    ["Datum: 2026-11-20"],
    ["Sammanställd av LPO Örebro och Socialtjänsten"],
    [None],
    ["Sekretess enligt OSL 35 kap."],
]
HEADER = ["Grupp", "Namn", "Personnummer", "Roll", "Källa", "Datum", "Anteckningar"]
HEADER_ROW = len(TITLE_ROWS) + 1
# group -> its members: (alias, birth date and serial for a made-up personnummer or None, role, source, date)
GROUPS = {
    "Norra gänget": [
        ("Ekot", "19990312123", "Ledare", "Polisen", date(2026, 3, 1)),
        ("Blixten", "20010505224", "Kärna", "Polisen", "2026-03-15"),
        ("Mullvaden", "20000101335", "Medlem", "Soc", "20260401"),
        ("Tornet", None, "Periferi", "Frivården", "5/4 2026"),
        ("Skuggan", "19980817446", "Hangaround", "Polisen", "2026-04-10"),
        ("Vargen", "20020220557", "Medlem", "Soc", date(2026, 4, 12)),
        ("Räven", None, "Kärna", "Polisen", "2026-05-01"),
    ],
    "Hagaligan": [
        ("Kometen", "19970707668", "Ledare", "Polisen", "2026-02-01"),
        ("Stormen", "20030303779", "Medlem", "Frivården", "2026-02-14"),
        ("Ugglan", None, "Periferi", "Soc", "1/3 2026"),
        ("Bävern", "19991111880", "Kärna", "Polisen", "20260305"),
        ("Ekot", "19990312123", "Hangaround", "Soc", "2026-03-20"),
        ("Falken", "20010909991", "Medlem", "Polisen", "2026-04-02"),
    ],
    "Västra": [
        ("Draken", "19960606112", "Ledare", "Polisen", "2026-01-10"),
        ("Spöket", None, "Medlem", "Soc", "2026-01-20"),
        ("Lodjuret", "20000404223", "Periferi", "Frivården", "2026-02-02"),
        ("Järven", "19981212334", "Kärna", "Polisen", date(2026, 2, 9)),
        ("Myran", None, "Hangaround", "Soc", "2026-03-03"),
    ],
    "Centrumgruppen": [
        ("Tigern", "20020808445", "Ledare", "Polisen", "2026-06-01"),
        ("Haren", None, "Medlem", "Polisen", "2026-06-02"),
        ("Örnen", "19950505556", "Periferi", "Frivården", "2026-06-03"),
        ("Bäcken", None, "Medlem", "Soc", "2026-06-04"),
        ("Vinden", "20011010667", "Kärna", "Polisen", "2026-06-05"),
        ("Stenen", None, "Hangaround", "Soc", "2026-06-06"),
        ("Molnet", "19990909778", "Medlem", "Polisen", "2026-06-07"),
    ],
}
DEFAULTS = {
    "default_evidence": "Kartläggning Örebro hösten 2026",
    "default_confidence": "medel",
    "default_person_suspected": "ja",
}


def personal_number(stem: str | None) -> str | None:
    """A made-up personnummer with a correct check digit (Luhn over the last ten digits)."""
    if stem is None:
        return None
    digits = stem[2:]
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return f"{stem[:8]}-{stem[8:]}{(10 - total % 10) % 10}"


def workbook_bytes(groups=GROUPS, bad_number: bool = False) -> bytes:
    """The practitioner's workbook: one sheet, title rows, merged group cells, their own words."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Kartläggning"
    for row in TITLE_ROWS:
        sheet.append(row)
    sheet.append(HEADER)
    for group, members in groups.items():
        first = sheet.max_row + 1
        for position, (alias, stem, role, source, when) in enumerate(members):
            number = personal_number(stem)
            if bad_number and position == 1:
                number = "19990312-0000"
            note = "Ses ofta vid torget" if position == 0 else None
            sheet.append([group if position == 0 else None, alias, number, role, source, when, note])
        sheet.merge_cells(start_row=first, start_column=1, end_row=sheet.max_row, end_column=1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def aliases():
    return {alias for members in GROUPS.values() for alias, *_ in members}


def counts():
    return (
        Group.unscoped_all_sites.count(),
        Person.unscoped_all_sites.count(),
        GroupMembership.unscoped_all_sites.count(),
    )


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def analyst(world):
    return world.users[Role.ANALYST]


@pytest.fixture
def client(analyst):
    return verified_login(Client(), analyst)


def upload(client, data=None, saved=None):
    payload = {"file": SimpleUploadedFile("kartlaggning.xlsx", data or workbook_bytes())}
    if saved is not None:
        payload["saved"] = saved.pk
    return client.post(reverse("audit_io:assistant_upload"), payload)


def mapping_post(client, action="preview", **extra):
    """The mapping page's form as shown (its pre-filled choices), with `extra` fields changed."""
    page = client.get(reverse("audit_io:assistant_map"))
    assert page.status_code == 200
    context = page.context
    data = {"header_row": context["mapping"].header_row, "action": action}
    for index, _heading, chosen in context["columns"]:
        data[f"column_{index}"] = chosen
    for key, _label, entries, _allowed in context["values"]:
        for position, _value, chosen in entries:
            data[f"value_{key}_{position}"] = chosen
    for item, value, _allowed, _needed in context["defaults"]:
        data[f"default_{item.key}"] = value
    data.update(extra)
    return client.post(reverse("audit_io:assistant_map"), data)


def test_the_sheet_is_read_with_merged_cells_filled_and_the_header_row_guessed():
    sheet = assistant.read_sheet(workbook_bytes(), "kartlaggning.xlsx")
    assert assistant.guess_header_row(sheet) == HEADER_ROW
    data = sheet.data_rows(HEADER_ROW)
    assert len(data) == 25
    assert [cells[0] for _number, cells in data].count("Norra gänget") == 7
    assert all(cells[0] for _number, cells in data)
    assert sheet.merged_filled == 21  # 25 rows, 4 of them the merged ranges' top cells
    mapping = assistant.initial_mapping(sheet)
    assert mapping.columns == {
        0: "group_name",
        1: "person_alias",
        2: "person_number",
        3: "role",
        4: "criteria",
        5: "valid_from",
        6: "person_note",
    }
    unknown = assistant.unknown_values(sheet, mapping)
    assert set(unknown["role"]) == {"Ledare", "Medlem", "Periferi", "Hangaround"}  # "Kärna" is accepted
    assert set(unknown["criteria"]) == {"Polisen", "Soc", "Frivården"}
    assert assistant.guess_value("role", "Ledare") == "karna"
    assert assistant.guess_value("role", "Hangaround") == "associerad"
    assert assistant.guess_value("criteria", "Frivården") == "samverkanspart"


@pytest.mark.django_db
def test_the_workbook_imports_with_only_the_mapping_choices(client):
    assert upload(client).status_code == 302
    page = client.get(reverse("audit_io:assistant_map"))
    assert page.context["mapping"].header_row == HEADER_ROW
    # Without the defaults for the facts the sheet lacks, nothing can be previewed.
    assert [str(item.label) for item, _value, _allowed, needed in page.context["defaults"] if needed] == [
        "Medlemskap: underlag",
        "Medlemskap: tillförlitlighet",
    ]
    assert page.context["errors"]
    before = counts()
    preview = mapping_post(client, **DEFAULTS)
    assert preview.context["ok"], [report.errors for report in preview.context["reports"]]
    assert counts() == before  # the dry run stores nothing
    assert [report.created_count for report in preview.context["reports"]] == [4, 24, 25]
    assert preview.context["built"].defaulted["Medlemskap: underlag"][:2] == [HEADER_ROW + 1, HEADER_ROW + 2]

    done = client.post(reverse("audit_io:assistant_confirm"), {"token": preview.context["token"]})
    assert done.status_code == 302
    assert counts() == (before[0] + 4, before[1] + 24, before[2] + 25)
    norra = Group.unscoped_all_sites.get(name="Norra gänget")
    members = GroupMembership.unscoped_all_sites.filter(group=norra)
    assert members.count() == 7  # the merged cell filled down
    assert {m.person.alias for m in members} == {
        "Ekot",
        "Blixten",
        "Mullvaden",
        "Tornet",
        "Skuggan",
        "Vargen",
        "Räven",
    }
    leader = members.get(person__alias="Ekot")
    assert leader.role == GroupMembership.Role.CORE  # Ledare -> kärna
    assert leader.criteria == [MembershipCriterion.POLICE_INTELLIGENCE]  # Polisen -> underrättelse
    assert leader.confidence == Confidence.MEDIUM
    assert leader.evidence_note == (
        "Kartläggning Örebro hösten 2026 (standardvärde vid import: underlag, tillförlitlighet)"
    )
    assert members.get(person__alias="Skuggan").role == GroupMembership.Role.ASSOCIATE  # Hangaround
    assert str(members.get(person__alias="Mullvaden").valid_from) == "2026-04-01"
    assert str(members.get(person__alias="Tornet").valid_from) == "2026-04-05"
    # The same person (same personnummer) in two groups is one person with two memberships.
    assert Person.unscoped_all_sites.filter(alias="Ekot").count() == 1
    assert GroupMembership.unscoped_all_sites.filter(person__alias="Ekot").count() == 2
    assert Person.unscoped_all_sites.get(alias="Kometen").notes == (
        "Ses ofta vid torget (standardvärde vid import: misstänkt gärningsperson)"
    )

    again = client.post(reverse("audit_io:assistant_confirm"), {"token": preview.context["token"]})
    assert again.status_code == 302
    assert counts() == (
        before[0] + 4,
        before[1] + 24,
        before[2] + 25,
    )  # a second confirmation imports nothing


@pytest.mark.django_db
def test_a_bad_row_leaves_every_table_unchanged(client, analyst):
    upload(client, workbook_bytes(bad_number=True))
    before = counts()
    preview = mapping_post(client, **DEFAULTS)
    assert not preview.context["ok"]
    errors = [error for report in preview.context["reports"] for error in report.errors]
    assert any(error.startswith(f"Rad {HEADER_ROW + 2}: kolumnen personnummer") for error in errors)
    assert "19990312" not in " ".join(errors)  # no personal number echoed
    refused = client.post(reverse("audit_io:assistant_confirm"), {"token": preview.context["token"]})
    assert refused.status_code == 302
    sheet = assistant.read_sheet(workbook_bytes(bad_number=True), "k.xlsx")
    mapping = assistant.initial_mapping(sheet)
    mapping.values = {
        key: {assistant._key(value): assistant.guess_value(key, value) for value in values}
        for key, values in assistant.unknown_values(sheet, mapping).items()
    }
    mapping.defaults = {"evidence": "Kartläggning", "confidence": "medel"}
    _built, reports = assistant.run(analyst, sheet, mapping, commit=True)
    assert [report.ok for report in reports] == [True, False, False]  # groups fine, a person wrong
    assert not any(report.committed for report in reports)
    assert counts() == before


@pytest.mark.django_db
def test_unknown_values_are_mapped_once(client):
    upload(client)
    page = client.get(reverse("audit_io:assistant_map"))
    roles = next(entries for key, _label, entries, _allowed in page.context["values"] if key == "role")
    medlem = next(position for position, value, _chosen in roles if value == "Medlem")
    preview = mapping_post(client, **DEFAULTS, **{f"value_role_{medlem}": "associerad"})
    assert preview.context["ok"]
    client.post(reverse("audit_io:assistant_confirm"), {"token": preview.context["token"]})
    medlemmar = GroupMembership.unscoped_all_sites.filter(
        person__alias__in=["Mullvaden", "Vargen", "Haren", "Molnet"]
    )
    assert medlemmar.count() == 4
    assert set(medlemmar.values_list("role", flat=True)) == {GroupMembership.Role.ASSOCIATE}


@pytest.mark.django_db
def test_an_unmapped_value_is_a_row_error_of_the_importer(client):
    upload(client)
    page = client.get(reverse("audit_io:assistant_map"))
    roles = next(entries for key, _label, entries, _allowed in page.context["values"] if key == "role")
    ledare = next(position for position, value, _chosen in roles if value == "Ledare")
    preview = mapping_post(client, **DEFAULTS, **{f"value_role_{ledare}": ""})
    assert not preview.context["ok"]
    errors = preview.context["reports"][2].errors
    assert (
        f"Rad {HEADER_ROW + 1}: okänt värde 'Ledare' i kolumnen roll (tillåtna värden: karna, associerad)"
        in errors
    )


@pytest.mark.django_db
def test_a_saved_mapping_is_reused_for_the_next_round_and_holds_no_person_data(client, world):
    upload(client)
    mapping_post(client, action="save", mapping_name="Örebro kartläggning", **DEFAULTS)
    saved = ImportMapping.objects.get(name="Örebro kartläggning")
    assert saved.header_row == HEADER_ROW
    assert saved.columns["grupp"] == "group_name" and saved.columns["namn"] == "person_alias"
    assert saved.values["role"]["ledare"] == "karna"
    assert saved.defaults == {
        "evidence": "Kartläggning Örebro hösten 2026",
        "confidence": "medel",
        "person_suspected": "ja",
    }
    stored = json.dumps([saved.columns, saved.values, saved.defaults])
    assert not any(alias in stored for alias in aliases())
    assert "19990312" not in stored
    # The next round: a fresh upload with the saved mapping needs no choices at all.
    listing = client.get(reverse("audit_io:assistant_upload"))
    assert "Örebro kartläggning" in listing.content.decode()
    upload(client, saved=saved)
    preview = mapping_post(client)
    assert preview.context["ok"], [report.errors for report in preview.context["reports"]]
    client.post(reverse("audit_io:assistant_confirm"), {"token": preview.context["token"]})
    assert (
        GroupMembership.unscoped_all_sites.filter(
            evidence_note__startswith="Kartläggning Örebro hösten 2026"
        ).count()
        == 25
    )
    # Another organisation's analyst does not see the mapping.
    assert saved.organisation == world.org_of(Role.ANALYST)


@pytest.mark.django_db
def test_a_saved_mapping_is_deleted_after_confirmation(client, analyst, world):
    organisation = world.org_of(Role.ANALYST)
    saved = ImportMapping.objects.create(
        site=analyst.memberships.first().site, organisation=organisation, name="Gammal"
    )
    url = reverse("audit_io:assistant_mapping_delete", args=[saved.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Gammal" in page.content.decode()
    assert ImportMapping.objects.filter(pk=saved.pk).exists()
    assert client.post(url).status_code == 302
    assert not ImportMapping.objects.filter(pk=saved.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.CASEWORKER, Role.COORDINATOR, Role.PROBATION_OFFICER, Role.COMMUNITY_PARTNER]
)
def test_only_analysts_may_use_the_assistant(world, role):
    client = verified_login(Client(), world.users[role])
    assert client.get(reverse("audit_io:assistant_upload")).status_code == 403
    response = client.post(
        reverse("audit_io:assistant_upload"), {"file": SimpleUploadedFile("k.xlsx", workbook_bytes())}
    )
    assert response.status_code == 403
    assert counts() == (
        Group.unscoped_all_sites.count(),
        Person.unscoped_all_sites.count(),
        GroupMembership.unscoped_all_sites.count(),
    )


@pytest.mark.django_db
def test_the_mapping_page_without_an_upload_sends_back_to_the_upload(client):
    response = client.get(reverse("audit_io:assistant_map"))
    assert response.status_code == 302
    assert response.url == reverse("audit_io:assistant_upload")


@pytest.mark.django_db
def test_the_upload_step_shows_an_empty_state_and_file_errors(client):
    page = client.get(reverse("audit_io:assistant_upload"))
    assert "Inga sparade mappningar ännu" in page.content.decode()
    bad = client.post(
        reverse("audit_io:assistant_upload"), {"file": SimpleUploadedFile("k.xls", b"\xd0\xcf\x11\xe0")}
    )
    assert bad.status_code == 200
    assert "(.xls) stöds inte" in bad.content.decode()


@pytest.mark.django_db
def test_the_ordinary_import_page_links_to_the_assistant_for_analysts_only(client, world):
    assert (
        reverse("audit_io:assistant_upload") in client.get(reverse("audit_io:import_upload")).content.decode()
    )
    caseworker = verified_login(Client(), world.users[Role.CASEWORKER])
    page = caseworker.get(reverse("audit_io:import_upload"))
    assert page.status_code == 200
    assert reverse("audit_io:assistant_upload") not in page.content.decode()


@pytest.mark.django_db
def test_the_pages_render_in_english(client, settings):
    upload(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("audit_io:assistant_map"))
    assert "Import assistant: map the sheet" in page.content.decode()
    assert "Membership: confidence" in page.content.decode()


def guessed_mapping(sheet, **defaults):
    mapping = assistant.initial_mapping(sheet)
    mapping.defaults = {
        "evidence": "Kartläggning",
        "confidence": "medel",
        "person_suspected": "ja",
        **defaults,
    }
    return mapping


@pytest.mark.django_db
def test_the_next_round_reuses_the_groups_and_persons_already_there(analyst):
    sheet = assistant.read_sheet(workbook_bytes(), "runda1.xlsx")
    _built, reports = assistant.run(
        analyst, sheet, guessed_mapping(sheet, group_status="vilande"), commit=True
    )
    assert all(report.committed for report in reports)
    norra = Group.unscoped_all_sites.get(name="Norra gänget")
    assert norra.status == Group.Status.DORMANT
    assert norra.sources == "(standardvärde vid import: status)"
    before = counts()
    second = {
        "Norra gänget": [("Nykomlingen", None, "Medlem", "Polisen", "2026-09-01")],
        "Nya gruppen": [
            ("Ekot", "19990312123", "Ledare", "Soc", "2026-09-02"),
            ("Ekot", None, "Kärna", "Soc", "2026-09-03"),
        ],
    }
    sheet = assistant.read_sheet(workbook_bytes(second), "runda2.xlsx")
    built, reports = assistant.run(analyst, sheet, guessed_mapping(sheet), commit=False)
    assert built.reused_groups == ["Norra gänget"]
    assert built.reused_persons == 1  # Ekot, known by personnummer (also on the row without it)
    assert [report.errors for report in reports] == [
        [],
        [],
        ["Rad 9: 'Ekot' är redan registrerad i gruppen 'Nya gruppen' under samma period"],
    ]
    assert counts() == before


@pytest.mark.django_db
def test_a_default_fills_an_empty_cell_of_a_mapped_column_and_says_so(analyst):
    groups = {
        "Norra gänget": [
            ("Ekot", "19990312123", "Ledare", None, "2026-03-01"),
            ("Blixten", None, "Kärna", "Soc", "2026-03-02"),
        ]
    }
    sheet = assistant.read_sheet(workbook_bytes(groups), "k.xlsx")
    built, reports = assistant.run(analyst, sheet, guessed_mapping(sheet, criteria="iakttagen"), commit=True)
    assert all(report.committed for report in reports)
    assert built.defaulted["Medlemskap: grund"] == [HEADER_ROW + 1]
    ekot = GroupMembership.unscoped_all_sites.get(person__alias="Ekot")
    assert ekot.criteria == [MembershipCriterion.OBSERVED_WITH_GROUP]
    assert ekot.evidence_note.endswith("(standardvärde vid import: grund, underlag, tillförlitlighet)")
    blixten = GroupMembership.unscoped_all_sites.get(person__alias="Blixten")
    assert blixten.criteria == [MembershipCriterion.PARTNER_INFORMATION]
