"""The one file reader every import uses (gvi.importing.files) and the shared text rules."""

import io
import zipfile
from datetime import date

import openpyxl
import pytest

from gvi.importing import files
from gvi.importing.files import ImportFileError, read_table
from gvi.importing.text import contains_personal_number, name_key, normalise_name, parse_date


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refused(data, name="fil.csv") -> str:
    with pytest.raises(ImportFileError) as caught:
        read_table(data, name=name)
    return " ".join(caught.value.messages)


def test_swedish_excel_csv_is_windows_1252_with_semicolons():
    table = read_table("namn;omrade\r\nÖstra gänget;Söder\r\n".encode("cp1252"), name="fil.csv")
    assert table.rows == [(2, ["Östra gänget", "Söder"])]
    assert table.encoding.startswith("Windows-1252") and table.delimiter == ";"
    assert "Windows-1252" in table.assumptions()[0] and "semikolon" in table.assumptions()[0]


def test_unicode_text_is_utf16_with_tabs_with_or_without_bom():
    text = "namn\tomrade\r\nÖstra gänget\tSöder\r\n"
    for data in (text.encode("utf-16"), text.encode("utf-16-le")):
        table = read_table(data, name="fil.txt")
        assert table.rows == [(2, ["Östra gänget", "Söder"])]
        assert table.delimiter == "\t" and "UTF-16" in table.encoding


def test_utf8_with_and_without_bom_and_the_delimiter_outside_quotes():
    table = read_table(b'"namn;med semikolon",omrade\nA,B\n', name="fil.csv")
    assert table.delimiter == "," and table.encoding == "UTF-8"
    assert read_table("\ufeffnamn\nÅ\n".encode(), name="fil.csv").encoding == "UTF-8 (med BOM)"


def test_bare_cr_line_endings_of_old_excel_for_mac():
    table = read_table(b"namn;omrade\rA;B\rC;D\r", name="fil.csv")
    assert [cells for _number, cells in table.rows] == [["A", "B"], ["C", "D"]]


def test_an_unbalanced_quote_is_refused_with_its_row_instead_of_swallowing_rows():
    message = refused(b'namn\r\nA\r\n"B\r\nC\r\nD\r\n')
    assert message.startswith("Rad 3:") and "citattecken" in message
    assert "citattecken" in refused(b'namn\r\nA\r\n"B"C\r\n')
    # A quoted cell with a line break is still one cell.
    assert read_table(b'namn;anteckning\r\nA;"rad 1\r\nrad 2"\r\n', name="fil.csv").rows[0][1] == [
        "A",
        "rad 1\r\nrad 2",
    ]


def test_cells_over_4000_characters_are_refused_in_csv_and_xlsx_alike():
    assert "längre än 4 000 tecken" in refused(b"namn\r\n" + b"a" * 200_000 + b"\r\n")
    assert "Rad 2, kolumn 1: cellen är längre än 4 000 tecken" in refused(b"namn\r\n" + b"a" * 4001 + b"\r\n")
    message = refused(xlsx_bytes([["namn", "anteckning"], ["A", "x" * 1_000_000]]), name="fil.xlsx")
    assert "Rad 2, kolumn 2: cellen är längre än 4 000 tecken" in message
    assert read_table(xlsx_bytes([["namn"], ["x" * 4000]]), name="fil.xlsx").rows[0][1] == ["x" * 4000]


def _with_member(data: bytes, name: str, content: bytes) -> bytes:
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def test_a_workbook_inflating_past_10_mb_is_refused_before_it_is_parsed():
    bomb = _with_member(xlsx_bytes([["namn"], ["A"]]), "xl/media/fyllnad.bin", b"\0" * (11 * 1024 * 1024))
    assert len(bomb) < 100_000
    assert "för stor uppackad" in refused(bomb, name="fil.xlsx")


def test_shared_strings_and_sheet_rows_are_limited(monkeypatch):
    strings = b"<sst>" + b"".join(b"<si><t>Grupp %d</t></si>" % n for n in range(10)) + b"</sst>"
    data = _with_member(xlsx_bytes([["namn"], ["A"]]), "xl/sharedStrings.xml", strings)
    monkeypatch.setattr(files, "MAX_SHARED_STRINGS", 5)
    assert "för många olika texter" in refused(data, name="fil.xlsx")
    monkeypatch.setattr(files, "MAX_SHARED_STRINGS", 200_000)
    workbook = openpyxl.Workbook()
    workbook.active.append(["namn"])
    workbook.active.cell(row=60_000, column=1, value="Långt ner")  # 59 998 empty rows between
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "fler än" in refused(buffer.getvalue(), name="fil.xlsx")


def test_reading_stops_at_the_row_limit():
    rows = "".join(f"Grupp {n}\r\n" for n in range(30))
    with pytest.raises(ImportFileError, match="fler än 10 datarader"):
        read_table(("namn\r\n" + rows).encode(), name="fil.csv", max_rows=10)


def test_a_damaged_number_cell_in_a_workbook_is_a_clean_error():
    data = xlsx_bytes([["namn", "storlek_fran"], ["A", 5]])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b"<v>5</v>" in content
                content = content.replace(b"<v>5</v>", b"<v>fem</v>")
            target.writestr(info, content)
    assert "skadad" in refused(out.getvalue(), name="fil.xlsx")


def test_group_names_compare_by_nfc_white_space_and_case():
    assert name_key("GRUPP BLÅ") == name_key("Grupp Blå") == name_key("Grupp\u00a0 Bla\u030a")
    assert name_key("ÖSTRA GÄNGET") == name_key("Östra gänget")
    assert normalise_name("  Grupp\u00a0\u00a0Blå ") == "Grupp Blå"


def test_personal_numbers_are_found_in_free_text():
    for text in ("Kallas Lillen, 811218-9876", "198112189876", "8112189876", "pnr 19870314-1237 enl. polis"):
        assert contains_personal_number(text), text
    for text in ("Lillen", "tel 0701234567", "diarienr 5000-K123456-24", "811218-9875"):
        assert not contains_personal_number(text), text


def test_swedish_date_text_and_excel_serials_with_how_they_were_read():
    assert parse_date("2027-03-12") == (date(2027, 3, 12), "")
    assert parse_date("20270312") == (date(2027, 3, 12), "ÅÅÅÅMMDD")
    assert parse_date("12/03/2027") == (date(2027, 3, 12), "D/M ÅÅÅÅ")
    assert parse_date("1/2 2027") == (date(2027, 2, 1), "D/M ÅÅÅÅ")
    assert parse_date(46458) == (date(2027, 3, 12), "Excel-serienummer")
    assert parse_date("46458") == (date(2027, 3, 12), "Excel-serienummer")
    for bad in ("2027-02-30", "31/02/2027", "12", "igår", 1.5):
        assert parse_date(bad) == (None, ""), bad
