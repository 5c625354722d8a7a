"""The national layer: suppressed month tables with totals, the per-year table built from them, and the
signed aggregate package (keys, export, verified import, refusals, all-or-nothing)."""

import base64
import json
from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from gvi.evaluation import aggregate_package as pkg
from gvi.evaluation import selectors as s
from gvi.evaluation import services
from gvi.evaluation.models import AggregatePackage, ImportedAggregate
from gvi.partnership.models import Role
from tests.analysis.test_suppression import derive_line_by_line, determined_by_linear_algebra
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganisationFactory,
    SiteFactory,
    verified_login,
)

TODAY = date(2026, 11, 29)


@pytest.fixture(autouse=True)
def _in_late_november_2026(time_machine):
    """The packages export this year's tables: the clock stands in the year the test data are built for."""
    time_machine.move_to(datetime(2026, 11, 29, 12, tzinfo=UTC))


def at(year, month, day=10):
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
def sites(db):
    big, small = SiteFactory(name="Storstad"), SiteFactory(name="Lillby")
    police = OrganisationFactory()
    for month in range(1, 12):
        for _n in range(6 + month % 3):
            IncidentFactory(site=big, owner=police, occurred_at=at(2026, month))
    for month in (2, 5):
        IncidentFactory(site=small, owner=police, occurred_at=at(2026, month))  # one each: 1–4
    IncidentFactory(site=small, owner=police, occurred_at=at(2025, 6), summary="HEMLIG-TEXT")
    return big, small


def grid(table):
    rows = [[*row.values, row.total] for row in table.rows]
    return [*rows, [*table.column_totals, table.grand_total]]


def test_month_table_has_no_small_counts_and_nothing_derivable(sites):
    table = s.national_month_table("serious", 2026, today=TODAY)
    # issue 18: only complete months are published (November 2026 is not over on TODAY)
    assert table.months[0] == "2026-01" and table.months[-1] == "2026-10"
    assert [row.site for row in table.rows] == ["Lillby", "Storstad"]
    published = grid(table)
    assert all(v is None or v == 0 or v >= 5 for row in published for v in row)
    assert not derive_line_by_line(published)
    assert not determined_by_linear_algebra(published)
    lillby = table.rows[0]
    assert lillby.values[1] is None and lillby.values[4] is None and lillby.total is None
    # Storstad must lose cells too, or its months would give Lillby's away through the column totals.
    assert any(v is None for v in table.rows[1].values)


def test_a_published_month_stays_as_published_whatever_is_registered_later(sites):
    """Issue 18: a month is fixed when first published. A late-registered incident (or a new site) would
    otherwise change its suppression pattern, and two versions side by side would give hidden cells away."""
    from gvi.evaluation.models import PublishedMonth

    big, small = sites
    first = s.national_month_table("serious", 2026, today=TODAY)
    assert PublishedMonth.objects.count() == 10  # January–October; November is not over
    IncidentFactory(site=small, owner=OrganisationFactory(), occurred_at=at(2026, 3))  # registered late
    IncidentFactory(site=big, owner=OrganisationFactory(), occurred_at=at(2026, 11))  # the running month
    later_site = SiteFactory(name="Nyby")  # a site that joins after the months were published
    for _n in range(7):
        IncidentFactory(site=later_site, owner=OrganisationFactory(), occurred_at=at(2026, 4))
    big.is_active = False  # and one that leaves
    big.save()
    again = s.national_month_table("serious", 2026, today=TODAY)
    assert again.months == first.months and again.column_totals == first.column_totals
    by_site = {row.site: row for row in again.rows}
    assert [by_site[row.site].values for row in first.rows] == [row.values for row in first.rows]
    # The site that left stays in the months it was published for, so no column total can be differenced;
    # the new one has no value in months published before it joined.
    assert by_site["Storstad"].values == first.rows[1].values
    assert by_site["Nyby"].values == [None] * 10 and by_site["Nyby"].total is None
    # Its cells are in no published sum: the rest of the table is still protected.
    kept = [row for row in again.rows if row.site != "Nyby"]
    rows = [[*row.values, row.total] for row in kept]
    assert not determined_by_linear_algebra([*rows, [*again.column_totals, again.grand_total]])


def test_a_month_is_published_only_once_it_is_over_by_the_real_clock(sites):
    from gvi.evaluation.models import PublishedMonth

    table = s.national_month_table("serious", 2026, today=date(2027, 1, 5))  # asked for a later day
    assert table.months[-1] == "2026-12"
    assert sorted(PublishedMonth.objects.values_list("month", flat=True))[-1] == date(2026, 10, 1)


def test_year_table_is_the_row_totals_of_the_month_tables(sites):
    rows, years = s.national_table(today=TODAY)
    assert years == [2025, 2026]
    by_site = {row["site"]: row["values"] for row in rows}
    month_2026 = {row.site: row.total for row in s.national_month_table("serious", 2026, today=TODAY).rows}
    assert by_site["Lillby"] == [None, None]
    assert by_site["Storstad"][1] == month_2026["Storstad"]


def national_login(client):
    membership = MembershipFactory(site=None, role=Role.NATIONAL_ANALYST, organisation=OrganisationFactory())
    return verified_login(client, membership.user)


def test_national_monthly_page_shows_local_tables_only_as_aggregates(client, sites):
    national_login(client)
    response = client.get(reverse("evaluation:national_monthly"), {"indikator": "serious", "ar": "2025"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "HEMLIG" not in html and "Lillby" in html and response.context["year"] == 2025
    assert client.get(reverse("evaluation:national")).status_code == 200


def test_national_pages_are_closed_to_site_roles(client, sites):
    membership = MembershipFactory(site=sites[0], role=Role.COORDINATOR, organisation=OrganisationFactory())
    verified_login(client, membership.user)
    assert client.get(reverse("evaluation:national_monthly")).status_code == 403
    assert client.get(reverse("evaluation:national_import")).status_code == 403
    assert client.post(reverse("evaluation:national_import"), {}).status_code == 403


# --- Packages ------------------------------------------------------------------------------------------


@pytest.fixture
def keys(tmp_path):
    private, public = tmp_path / "exempel.key", tmp_path / "trusted" / "exempelstad.pem"
    public.parent.mkdir()
    call_command("gvi_aggregate_keygen", private_key=str(private), public_key=str(public))
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    return private, public.parent


def export(tmp_path, private, name="paket.json", installation="Exempelstads kommun"):
    out = tmp_path / name
    call_command("gvi_aggregate_export", key=str(private), output=str(out), installation=installation)
    return out


def test_export_and_import_round_trip_without_person_data(sites, keys, tmp_path, time_machine):
    private, trusted = keys
    out = export(tmp_path, private)
    text = out.read_text()
    assert "HEMLIG" not in text and "summary" not in text
    payload = json.loads(json.loads(text)["payload"])
    assert {table["indicator"] for table in payload["tables"]} == set(s.NATIONAL_INDICATORS)
    for table in payload["tables"]:
        for row in table["rows"]:
            assert set(row) == {"site", "values", "total"}
            assert all(v is None or v == 0 or v >= 5 for v in [*row["values"], row["total"]])
    call_command("gvi_aggregate_import", str(out), trusted_keys=str(trusted))
    package = AggregatePackage.objects.get()
    assert (package.source, package.installation) == ("exempelstad", "Exempelstads kommun")
    stored = ImportedAggregate.objects.filter(indicator="serious", site_name="Storstad", period="2026-03")
    this_year = s.national_month_table("serious", 2026)
    assert stored.get().value == this_year.rows[1].values[2]
    (imported,) = s.imported_tables("serious", 2026)
    assert imported.table.rows == this_year.rows and imported.table.grand_total == this_year.grand_total
    # Importing a newer package from the same source replaces the values instead of duplicating them.
    count = ImportedAggregate.objects.count()
    time_machine.move_to(datetime(2026, 11, 29, 13, tzinfo=UTC))
    call_command(
        "gvi_aggregate_import", str(export(tmp_path, private, "nytt.json")), trusted_keys=str(trusted)
    )
    assert ImportedAggregate.objects.count() == count and AggregatePackage.objects.count() == 1


def tamper(path, change):
    envelope = json.loads(path.read_text())
    payload = json.loads(envelope["payload"])
    change(payload)
    envelope["payload"] = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    path.write_text(json.dumps(envelope))


def test_tampered_unknown_and_broken_packages_are_refused_and_nothing_is_stored(sites, keys, tmp_path):
    private, trusted = keys
    out = export(tmp_path, private)

    def raise_first_value(payload):
        payload["tables"][0]["rows"][1]["values"][0] = 999

    tamper(out, raise_first_value)
    with pytest.raises(CommandError, match="Signaturen stämmer inte"):
        call_command("gvi_aggregate_import", str(out), trusted_keys=str(trusted))
    other_private, _other_trusted = tmp_path / "annan.key", tmp_path / "annan.pem"
    call_command("gvi_aggregate_keygen", private_key=str(other_private), public_key=str(_other_trusted))
    foreign = export(tmp_path, other_private, "okand.json")
    with pytest.raises(CommandError, match="betrodd nyckel"):
        call_command("gvi_aggregate_import", str(foreign), trusted_keys=str(trusted))
    (tmp_path / "skrap.json").write_text("inte json")
    with pytest.raises(CommandError, match="ogiltig JSON"):
        call_command("gvi_aggregate_import", str(tmp_path / "skrap.json"), trusted_keys=str(trusted))
    with pytest.raises(CommandError, match="betrodda nycklar"):
        call_command("gvi_aggregate_import", str(foreign), trusted_keys="")
    assert not AggregatePackage.objects.exists() and not ImportedAggregate.objects.exists()


def signed(private_path, change):
    payload = pkg.build_payload("Test", [2026], today=TODAY)
    change(payload)
    return pkg.sign_payload(payload, pkg.load_private_key(private_path))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["tables"][0]["rows"][0].__setitem__("values", [3] * 10), "borde ha varit undertryckt"),
        (lambda p: p["tables"][0]["rows"][0].__setitem__("personnummer", "19900101-1234"), "okända fält"),
        (lambda p: p["tables"][0].__setitem__("indicator", "namn"), "okänd indikator"),
        (lambda p: p["tables"][1].__setitem__("months", ["2025-01"]), "ogiltiga månader"),
    ],
)
def test_signed_but_invalid_content_is_refused_all_or_nothing(sites, keys, change, message):
    private, trusted = keys
    data = signed(private, change)
    with pytest.raises(pkg.PackageError, match=message):
        services.import_aggregate_package(data, pkg.load_trusted_keys(trusted))
    assert not ImportedAggregate.objects.exists() and not AggregatePackage.objects.exists()


def test_national_analyst_uploads_a_package_on_the_web(client, sites, keys, tmp_path, settings):
    private, trusted = keys
    settings.GVI_AGGREGATE_TRUSTED_KEYS = str(trusted)
    national_login(client)
    url = reverse("evaluation:national_import")
    assert client.get(url).status_code == 200
    data = export(tmp_path, private).read_bytes()
    response = client.post(url, {"file": SimpleUploadedFile("paket.json", data, "application/json")})
    assert response.status_code == 302 and AggregatePackage.objects.count() == 1
    broken = data.replace(b'"signature": "', b'"signature": "AAAA')
    response = client.post(url, {"file": SimpleUploadedFile("paket.json", broken, "application/json")})
    assert response.status_code == 200 and "Inget importerades" in response.content.decode()
    page = client.get(reverse("evaluation:national_monthly"), {"ar": "2026"})
    assert "Exempelstads kommun" in page.content.decode()


# --- Hardened package import (issue 23) ------------------------------------------------------------------


def _one_table(rows, column_totals, grand_total, months=("2026-01", "2026-02")):
    def change(payload):
        payload["tables"] = [
            {
                "indicator": "serious",
                "year": 2026,
                "months": list(months),
                "rows": [{"site": site, "values": values, "total": total} for site, values, total in rows],
                "column_totals": column_totals,
                "grand_total": grand_total,
            }
        ]

    return change


def _signed_text(private_path, payload_text: str) -> bytes:
    key = pkg.load_private_key(private_path)
    envelope = {
        "format": pkg.ENVELOPE_FORMAT,
        "key_id": pkg.key_id(key.public_key()),
        "payload": payload_text,
        "signature": base64.b64encode(key.sign(payload_text.encode("utf-8"))).decode("ascii"),
    }
    return json.dumps(envelope).encode("utf-8")


def _stored():
    return AggregatePackage.objects.count(), ImportedAggregate.objects.count()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["tables"][0].__setitem__("indicator", ["serious"]), "okänd indikator"),
        (lambda p: p["tables"][0]["rows"][0].__setitem__("total", 10**20), "inte ett antal"),
        (
            lambda p: p["tables"][0]["months"].__setitem__(0, p["tables"][0]["months"][0] + "\n"),
            "ogiltiga månader",
        ),
        (_one_table([("A", [10, 20], 31), ("B", [5, 5], 10)], [15, 25], 41), "raden för A går inte ihop"),
        (
            _one_table([("A", [10, 20], 30), ("B", [5, 5], 10)], [15, 26], 41),
            "kolumnen 2026-02 går inte ihop",
        ),
        (
            _one_table([("A", [None, 10], 13), ("B", [None, 5], 8)], [None, 15], 21),
            "kan räknas fram ur summorna",
        ),
    ],
)
def test_a_signed_package_that_is_inconsistent_or_unprotected_stores_nothing(sites, keys, change, message):
    private, trusted = keys
    before = _stored()
    with pytest.raises(pkg.PackageError, match=message):
        services.import_aggregate_package(signed(private, change), pkg.load_trusted_keys(trusted))
    assert _stored() == before


def test_a_protected_hand_made_table_is_accepted(sites, keys):
    private, trusted = keys
    # Two hidden cells in each line that has any: none of them follows from the totals.
    change = _one_table([("A", [None, None], 9), ("B", [None, None], 8)], [7, 10], 17)
    outcome = services.import_aggregate_package(signed(private, change), pkg.load_trusted_keys(trusted))
    assert outcome.values == 9


def test_json_nested_deep_is_refused_cleanly(sites, keys):
    private, trusted = keys
    before = _stored()
    with pytest.raises(pkg.PackageError, match="ogiltig JSON"):
        pkg.verify(b"[" * 200_000 + b"]" * 200_000, pkg.load_trusted_keys(trusted))
    deep = _signed_text(private, "[" * 200_000 + "]" * 200_000)
    with pytest.raises(pkg.PackageError, match="inte giltig JSON"):
        services.import_aggregate_package(deep, pkg.load_trusted_keys(trusted))
    assert _stored() == before


def test_only_a_newer_package_replaces_the_values_of_a_year(sites, keys):
    private, trusted = keys
    trusted_keys = pkg.load_trusted_keys(trusted)

    def created(moment):
        return lambda payload: payload.__setitem__("created_at", moment)

    services.import_aggregate_package(signed(private, created("2026-11-20T10:00:00+01:00")), trusted_keys)
    before = _stored()
    values = set(ImportedAggregate.objects.values_list("period", "site_name", "value"))
    for replay in ("2026-11-01T10:00:00+01:00", "2026-11-20T10:00:00+01:00"):
        with pytest.raises(pkg.PackageError, match="Bara ett nyare paket"):
            services.import_aggregate_package(signed(private, created(replay)), trusted_keys)
    assert _stored() == before
    assert set(ImportedAggregate.objects.values_list("period", "site_name", "value")) == values
    services.import_aggregate_package(signed(private, created("2026-11-25T10:00:00+01:00")), trusted_keys)
    assert AggregatePackage.objects.count() == 1
