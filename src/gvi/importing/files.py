"""One hardened reader for every import: CSV (any of the encodings Excel writes) and .xlsx into a table.

Whatever the file holds, `read_table` returns a `Table` or raises `ImportFileError` with Swedish messages;
it never raises anything else and never lets a file grow past its limits in memory:

- at most `MAX_FILE_BYTES` uploaded; a workbook at most `MAX_XLSX_UNPACKED_BYTES` unpacked (a zip bomb is
  refused before openpyxl sees it), at most `MAX_SHARED_STRINGS` shared strings and `MAX_SHEET_ROWS`
  rows in the sheet (empty ones included: reading stops there), at most `MAX_COLUMNS` columns;
- at most `max_rows` data rows (reading stops at the first row past the limit);
- no cell longer than `MAX_CELL_CHARS` characters, in CSV and in Excel alike;
- CSV: the encoding is detected (a byte-order mark, else UTF-8 if the bytes are valid UTF-8, else
  Windows-1252 – what Swedish Excel's "CSV (semikolonavgränsad)" writes; "Unicode-text" is UTF-16 with
  tabs), the delimiter too (semicolon, comma or tab, from the header row); line endings CRLF, LF or a
  bare CR (old Excel for Mac); a quote that is never closed, or text after a closing quote, is refused
  with its row instead of silently swallowing the rows after it.

The table says which encoding and delimiter were assumed (`Table.assumptions`), for the preview.
"""

import codecs
import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_XLSX_UNPACKED_BYTES = 10 * 1024 * 1024  # a small zip may not unpack into gigabytes
MAX_SHARED_STRINGS = 200_000
MAX_SHEET_ROWS = 50_000  # rows openpyxl reads in the sheet, empty rows included
MAX_COLUMNS = 100
MAX_CELL_CHARS = 4_000

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
DELIMITERS = {";": _lazy("semikolon"), ",": _lazy("komma"), "\t": _lazy("tabb")}


class ImportFileError(Exception):
    """The file as a whole cannot be read: wrong format, encoding, size or header."""

    def __init__(self, *messages: str):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass
class Table:
    header: list
    rows: list[tuple[int, list]]  # (row number as Excel shows it, cell values)
    format: str = "csv"  # "csv" or "xlsx"
    encoding: str = ""  # CSV: the encoding assumed (as shown to the user)
    delimiter: str = ""  # CSV: the delimiter assumed
    notes: list[str] = field(default_factory=list)

    def assumptions(self) -> list[str]:
        """What the reader assumed, in Swedish, for the preview."""
        if self.format == "xlsx":
            return [_("Excel-arbetsbok (.xlsx): första kalkylbladet har lästs."), *self.notes]
        return [
            _("CSV-fil: teckenkodningen tolkades som %(encoding)s och avgränsaren som %(delimiter)s.")
            % {"encoding": self.encoding, "delimiter": str(DELIMITERS.get(self.delimiter, self.delimiter))},
            *self.notes,
        ]


def file_too_big_message(limit: int = MAX_FILE_BYTES) -> str:
    return _("Filen är för stor: högst %(mb)s MB. Dela upp den i flera filer.") % {
        "mb": limit // (1024 * 1024)
    }


def too_many_rows_message(limit: int = MAX_ROWS) -> str:
    return _("Filen har fler än %(max)s datarader. Dela upp den i flera filer.") % {
        "max": f"{limit:,}".replace(",", " ")
    }


def cell_too_long_message(row: int, column: int) -> str:
    return _(
        "Rad %(row)s, kolumn %(column)s: cellen är längre än %(max)s tecken. Korta texten och försök igen."
    ) % {"row": row, "column": column, "max": f"{MAX_CELL_CHARS:,}".replace(",", " ")}


def read_bytes(uploaded_file, limit: int = MAX_FILE_BYTES) -> tuple[bytes, str]:
    """The upload's bytes (at most `limit` + 1) and its name; a file, bytes or a str."""
    if isinstance(uploaded_file, bytes | bytearray):
        return bytes(uploaded_file[: limit + 1]), ""
    if isinstance(uploaded_file, str):
        return uploaded_file.encode("utf-8")[: limit + 1], ""
    name = str(getattr(uploaded_file, "name", "") or "")
    size = getattr(uploaded_file, "size", None)
    if isinstance(size, int) and size > limit:
        raise ImportFileError(file_too_big_message(limit))
    if hasattr(uploaded_file, "seek"):
        try:
            uploaded_file.seek(0)
        except (OSError, ValueError):
            pass
    try:
        data = uploaded_file.read(limit + 1)
    except (OSError, ValueError):
        raise ImportFileError(_("Filen kunde inte läsas.")) from None
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data, name


def read_table(
    uploaded_file,
    name: str = "",
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_FILE_BYTES,
    require_rows: bool = True,
) -> Table:
    """Read a CSV or .xlsx upload into a header and rows, or raise ImportFileError (never anything else)."""
    data, uploaded_name = read_bytes(uploaded_file, max_bytes)
    name = name or uploaded_name
    if len(data) > max_bytes:
        raise ImportFileError(file_too_big_message(max_bytes))
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xls" or data.startswith(OLE_MAGIC):
        raise ImportFileError(
            _(
                "Det gamla Excel-formatet (.xls) stöds inte. Spara filen som Excel-arbetsbok (.xlsx) eller CSV UTF-8."
            )
        )
    if suffix in XLSX_SUFFIXES or data.startswith(ZIP_MAGIC):
        table = _read_xlsx(data, max_rows)
    else:
        table = _read_csv(data, max_rows)
    if require_rows and not table.rows:
        raise ImportFileError(_("Filen innehåller inga datarader."))
    return table


# ----- CSV -----

UTF16_NOTE = _lazy("UTF-16 (Excels ”Unicode-text”)")


def decode_text(data: bytes) -> tuple[str, str]:
    """The text and the encoding assumed: BOM, else valid UTF-8, else Windows-1252 (Swedish Excel's CSV)."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[len(codecs.BOM_UTF8) :], "utf-8"), _("UTF-8 (med BOM)")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16"), str(UTF16_NOTE)
    if b"\x00" in data:
        # UTF-16 without a byte-order mark: every other byte of ASCII text is zero.
        even, odd = data[0::2].count(0), data[1::2].count(0)
        if odd > len(data) // 4 and even == 0:
            return _decode(data, "utf-16-le"), str(UTF16_NOTE)
        if even > len(data) // 4 and odd == 0:
            return _decode(data, "utf-16-be"), str(UTF16_NOTE)
        raise ImportFileError(_("Filen är ingen textfil (CSV) och ingen Excel-fil (.xlsx)."))
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    return _decode(data, "cp1252"), _("Windows-1252 (Excels ”CSV (semikolonavgränsad)”)")


def _decode(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportFileError(
            _(
                "Filens teckenkodning kunde inte tolkas. Spara den i Excel som ”CSV UTF-8 (kommaavgränsad)” "
                "eller som Excel-arbetsbok (.xlsx) och försök igen."
            )
        ) from None
    if "\x00" in text:
        raise ImportFileError(_("Filen är ingen textfil (CSV) och ingen Excel-fil (.xlsx)."))
    return text.lstrip("\ufeff")


def detect_delimiter(text: str) -> str:
    """Semicolon, comma or tab: the one found most often in the header row outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "\r\n":
            break
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(data: bytes, max_rows: int) -> Table:
    text, encoding = decode_text(data)
    if not text.strip():
        raise ImportFileError(_("Filen är tom."))
    delimiter = detect_delimiter(text)
    # strict: a quote never closed (or text right after a closing quote) is an error, not a cell that
    # silently swallows the following rows. newline="" lets the reader take CRLF, LF and bare CR.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = None
    rows = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if header is None:
                header = cells
            elif any(cell.strip() for cell in cells):
                if len(rows) >= max_rows:
                    raise ImportFileError(too_many_rows_message(max_rows))
                rows.append((number, cells))
            for column, cell in enumerate(cells, start=1):
                if len(cell) > MAX_CELL_CHARS:
                    raise ImportFileError(cell_too_long_message(number, column))
    except csv.Error as error:
        if "field larger" in str(error):
            message = _("Rad %(row)s: ett fält är längre än %(max)s tecken.") % {
                "row": number + 1,
                "max": f"{MAX_CELL_CHARS:,}".replace(",", " "),
            }
        else:
            message = _(
                'Rad %(row)s: filen kan inte tolkas som CSV – ett citattecken (") stängs aldrig eller följs '
                "av text. Kontrollera citattecknen på raden och försök igen."
            ) % {"row": number + 1}
        raise ImportFileError(message) from None
    return _table(header, rows, Table(header=[], rows=[], encoding=encoding, delimiter=delimiter))


# ----- Excel -----


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    import openpyxl

    not_xlsx = _(
        "Filen kunde inte läsas som Excel-fil (.xlsx). Spara den som Excel-arbetsbok eller CSV UTF-8."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > 1000 or sum(info.file_size for info in infos) > MAX_XLSX_UNPACKED_BYTES:
                raise ImportFileError(
                    _("Excel-filen är för stor uppackad (högst %(mb)s MB). Dela upp den i flera filer.")
                    % {"mb": MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)}
                )
            # Every member is read (within the cap above): a member whose data does not match its
            # declared size or checksum is refused here, before openpyxl parses anything.
            shared = b""
            for info in infos:
                content = archive.read(info)
                if info.filename.lower().endswith("sharedstrings.xml"):
                    shared = content
            if shared.count(b"<si>") + shared.count(b"<si ") + shared.count(b":si>") > MAX_SHARED_STRINGS:
                raise ImportFileError(
                    _("Excel-filen har för många olika texter (högst %(max)s).")
                    % {"max": f"{MAX_SHARED_STRINGS:,}".replace(",", " ")}
                )
    except ImportFileError:
        raise
    except Exception:  # noqa: BLE001 - zipfile raises NotImplementedError, BadZipFile, OSError ... on junk
        raise ImportFileError(not_xlsx) from None
    # A malformed workbook can make openpyxl raise almost anything (KeyError, ParseError, TypeError,
    # ValueError for a damaged number or date ...): whatever it is, the answer is the same clear message.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001
        raise ImportFileError(not_xlsx) from None
    header = None
    rows = []
    number = 0
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("Excel-filen har inget kalkylblad."))
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # do not trust the stored dimensions: read what is there
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_SHEET_ROWS:
                raise ImportFileError(too_many_rows_message(max_rows))
            cells = list(cells)
            if len(cells) > MAX_COLUMNS:
                if any(_has_value(cell) for cell in cells[MAX_COLUMNS:]):
                    raise ImportFileError(
                        _("Rad %(row)s: filen har fler än %(max)s kolumner.")
                        % {"row": number, "max": MAX_COLUMNS}
                    )
                cells = cells[:MAX_COLUMNS]
            for column, cell in enumerate(cells, start=1):
                if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                    raise ImportFileError(cell_too_long_message(number, column))
            if header is None:
                header = cells
            elif any(_has_value(cell) for cell in cells):
                if len(rows) >= max_rows:
                    raise ImportFileError(too_many_rows_message(max_rows))
                rows.append((number, cells))
    except ImportFileError:
        raise
    except Exception:  # noqa: BLE001
        raise ImportFileError(
            _("Rad %(row)s: en cell i Excel-filen är skadad och kan inte läsas.") % {"row": number + 1}
        ) from None
    finally:
        workbook.close()
    return _table(header, rows, Table(header=[], rows=[], format="xlsx"))


def _has_value(cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _table(header, rows, table: Table) -> Table:
    if header is None or not any(_has_value(cell) for cell in header):
        raise ImportFileError(_("Filen saknar rubrikrad: första raden ska innehålla kolumnernas namn."))
    table.header = list(header)
    table.rows = rows
    return table


# ----- JSON (the aggregate package) -----


def read_json(data: bytes, max_bytes: int, invalid: str):
    """Parse UTF-8 JSON of at most `max_bytes`; `invalid` is the message (raised as ImportFileError) for
    anything else, a structure nested too deep for the parser included."""
    if len(data) > max_bytes:
        raise ImportFileError(file_too_big_message(max_bytes))
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else str(data)
    except UnicodeDecodeError:
        raise ImportFileError(invalid) from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ImportFileError(invalid) from None


# ----- cells as text -----


def cell_text(value) -> str:
    """A cell as the user would read it: ja/nej, whole numbers without .0, dates as ÅÅÅÅ-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time.min else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
