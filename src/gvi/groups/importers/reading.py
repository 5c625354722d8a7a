"""Reading an upload and checking its header row against a kind's columns."""

from django.utils.translation import gettext as _

from gvi.groups.importers.columns import COLUMNS, KINDS, _as_text, _echo, _header_key, kind_label
from gvi.importing import files
from gvi.importing.files import ImportFileError, Table


def read_table(uploaded_file) -> Table:
    """Read a CSV or .xlsx upload (the shared hardened reader, `gvi.importing.files`)."""
    from gvi.groups import importers  # the package's MAX_ROWS, so a lowered limit applies here too

    return files.read_table(uploaded_file, max_rows=importers.MAX_ROWS)


def check_header(kind: str, header: list) -> dict[str, int]:
    """Column name -> position. Unknown, repeated and missing required columns are reported together."""
    known = {column.name for column in COLUMNS[kind]}
    positions: dict[str, int] = {}
    errors = []
    unknown = []
    for index, raw in enumerate(header):
        name = _header_key(raw)
        if not name:
            continue
        if name not in known:
            unknown.append(_as_text(raw))
        elif name in positions:
            errors.append(_("Kolumnen ”%(name)s” förekommer mer än en gång.") % {"name": name})
        else:
            positions[name] = index
    if unknown:
        errors.insert(
            0,
            _("Okända kolumner: %(unknown)s. Tillåtna kolumner för %(kind)s: %(known)s.")
            % {
                "unknown": ", ".join(f"”{_echo(name)}”" for name in unknown),
                "kind": kind_label(kind),
                "known": ", ".join(column.name for column in COLUMNS[kind]),
            },
        )
    missing = [column.name for column in COLUMNS[kind] if column.required and column.name not in positions]
    if missing:
        errors.append(_("Obligatoriska kolumner saknas: %(missing)s.") % {"missing": ", ".join(missing)})
    if errors:
        names = {_header_key(raw) for raw in header} - {""}
        for other in KINDS:
            if other != kind and names and names <= {column.name for column in COLUMNS[other]}:
                errors.append(
                    _("Filen ser ut att innehålla %(other)s – välj den typen av import i stället.")
                    % {"other": kind_label(other)}
                )
        raise ImportFileError(*errors)
    return positions
