"""Surveys and investigation hours: every crash of the adversarial file set is a clean Swedish error and
stores nothing; duplicates, stray fields and double counting are refused (issue 23, issue 21 finding 5)."""

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from gvi.evaluation import services
from gvi.evaluation.models import InvestigationHours, SurveyValue
from tests.factories import SiteFactory, site_area

SURVEY = "area,year,indicator,value,source\n"
HOURS = "incident_type;year;month;hours;source\n"


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def site(db):
    site = SiteFactory()
    for name in ("A", "Söder", "Norr"):  # survey rows name one of the site's areas
        site_area(site, name)
    return site


def stored():
    return SurveyValue.objects.count(), InvestigationHours.objects.count()


def refused(importer, site, name, content) -> list[str]:
    before = stored()
    result = importer(site, name, content)
    assert result.errors and result.saved == 0
    assert stored() == before
    return result.errors


def damaged_number_cell() -> bytes:
    data = xlsx([["area", "year", "indicator", "value", "source"], ["A", 2024, "Otrygg", 31.5, "NTU"]])
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<v>2024</v>", b"<v>tjugo</v>")
            target.writestr(info, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("s.csv", (SURVEY + "A,2024,Otrygg,1," + "x" * 200_000 + "\n").encode(), "längre än 4 000 tecken"),
        ("s.xlsx", damaged_number_cell(), "skadad"),
        ("s.csv", (SURVEY + 'A,2024,"Otrygg,1,NTU\nB,2024,Otrygg,2,NTU\n').encode(), "citattecken"),
        ("s.csv", (SURVEY + "A,2024,Otrygg,99999999,999,NTU\n").encode(), "decimaltal med kommatecken"),
        (
            "s.csv",
            (SURVEY.replace(",", ";") + "A;2024;Otrygg;99999999,999;NTU\n").encode(),
            "under 100 000 000",
        ),
    ],
)
def test_bad_survey_files_are_clean_errors_and_store_nothing(site, name, content, expected):
    errors = refused(services.import_survey_file, site, name, content)
    assert any(expected in error for error in errors), errors


def test_survey_bare_cr_and_windows_1252_import(site):
    text = "area;year;indicator;value;source\rSöder;2024;Otrygg;31,5;NTU\rNorr;2024;Otrygg;12;NTU\r"
    assert services.import_survey_file(site, "s.csv", text.encode("cp1252")).saved == 2
    assert SurveyValue.objects.get(area="Söder").value == Decimal("31.50")


def test_the_same_area_year_and_indicator_twice_is_refused(site):
    content = (SURVEY + "A,2024,Otrygg,10,NTU\na,2024,otrygg,12,NTU\n").encode()
    errors = refused(services.import_survey_file, site, "s.csv", content)
    assert errors == ["Rad 3, kolumn indicator: samma område, år och indikator finns redan på rad 2."]


def test_the_survey_csv_has_the_row_limit(site, monkeypatch):
    monkeypatch.setattr(services, "MAX_ROWS", 3)
    content = (SURVEY + "".join(f"A{n},2024,Otrygg,{n},NTU\n" for n in range(5))).encode()
    assert "fler än 3 datarader" in refused(services.import_survey_file, site, "s.csv", content)[0]


def test_hours_bad_files_store_nothing(site):
    assert (
        "längre än"
        in refused(
            services.import_hours_file,
            site,
            "h.csv",
            (HOURS + "shooting;2024;;1;" + "x" * 5000 + "\n").encode(),
        )[0]
    )
    assert "skadad" in refused(services.import_hours_file, site, "h.xlsx", damaged_number_cell())[0]


def test_hours_of_a_whole_year_and_of_its_months_are_not_counted_twice(site):
    both = (HOURS + "shooting;2024;;1200;Polisen\nshooting;2024;3;100;Polisen\n").encode()
    errors = refused(services.import_hours_file, site, "h.csv", both)
    assert errors == [
        "Rad 2, kolumn month: både helår och enskilda månader för samma typ och år i filen (räknas dubbelt)."
    ]
    months = (HOURS + "shooting;2024;3;100;Polisen\n").encode()
    assert services.import_hours_file(site, "h.csv", months).saved == 1
    year = (HOURS + "shooting;2024;;1200;Polisen\n").encode()
    assert "redan har månadsvärden" in refused(services.import_hours_file, site, "h.csv", year)[0]
    # Another type or year is no double count; the same month again replaces it.
    other = (
        HOURS + "shooting;2025;;900;Polisen\nexplosion;2024;;50;Polisen\nshooting;2024;3;90;P\n"
    ).encode()
    assert services.import_hours_file(site, "h.csv", other).saved == 3
    assert InvestigationHours.objects.get(year=2024, month=3).hours == Decimal("90.0")
    assert (
        "redan har ett helårsvärde"
        in refused(services.import_hours_file, site, "h.csv", (HOURS + "shooting;2025;1;5;P\n").encode())[0]
    )
