"""Import of the group audit (kartläggning) from CSV or Excel: validated row by row, all-or-nothing.

Three kinds of file, each with Swedish column headers (docs/import-format.md describes them):

- ``grupper``    groups at the importer's site;
- ``personer``   person entries owned by the importer's organisation;
- ``medlemskap`` memberships of existing persons (alias or personnummer) in existing groups (name).

CSV files are UTF-8 (with or without BOM) with comma, semicolon or tab as delimiter (detected from the
header row); Excel files are .xlsx (the first worksheet). Row 1 is the header, so "Rad 4" is the fourth
row as Excel shows it.

`dry_run` and `import_file` run the very same code: every row goes through the write services
(`gvi.groups.services`) inside one transaction. The dry run always rolls back; the import commits only if
no row failed. So the dry run reports exactly the errors the import would hit, and an import is never
half done. Personal identity numbers are never echoed in messages.

The package: `columns` (kinds, columns, accepted spellings; `register_kind`), `reading` (the upload and
its header), `rows` (typed row access and the importer base class), `report` (row errors and the report),
one module per kind (`groups`, `persons`, `memberships`) and `run` (dry run and import).

A batched importer (incidents: `_Importer.batched`) checks every row first without writing and then, if
all rows passed, saves them with bulk statements (in the same transaction; a database error falls back to
the row-by-row path).
"""

from gvi.groups.importers.columns import (  # noqa: F401 - the public names, as before the split
    AGE_BANDS,
    BOOLEANS,
    COLUMNS,
    CONFIDENCE_CODES,
    CONFIDENCES,
    COUNT_LABELS,
    CRITERIA,
    CRITERION_CODES,
    CRITERION_LABELS,
    GROUP_STATUS,
    GROUP_STATUS_CODES,
    GROUPS,
    IMPORTERS,
    INTEGER_RE,
    KINDS,
    LABELS,
    MAX_CELL_ECHO,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MEMBERSHIPS,
    MINOR_AGE_BANDS,
    MODELS,
    PERSONAL_NUMBER_RE,
    PERSONS,
    RECORD_TYPES,
    ROLE_CODES,
    ROLES,
    SMALLINT_MAX,
    TIERS,
    Column,
    _as_text,
    _choices,
    _count_of,
    _echo,
    _header_key,
    _key,
    _lower_first,
    kind_label,
    register_kind,
)
from gvi.groups.importers.groups import _GroupImporter
from gvi.groups.importers.memberships import _MembershipImporter
from gvi.groups.importers.persons import _PersonImporter
from gvi.groups.importers.reading import check_header, read_table  # noqa: F401
from gvi.groups.importers.report import ImportReport, RowError, report_from_outcome, report_to_outcome  # noqa: F401
from gvi.groups.importers.rows import Row, _Importer, _is_minor  # noqa: F401
from gvi.groups.importers.run import _Rollback, _run, dry_run, import_file, run_tables  # noqa: F401
from gvi.groups.services import creating_membership, default_review_date  # noqa: F401 - used by the views
from gvi.importing.files import ImportFileError, Table, file_too_big_message  # noqa: F401 - used by the views

IMPORTERS.update({GROUPS: _GroupImporter, PERSONS: _PersonImporter, MEMBERSHIPS: _MembershipImporter})
