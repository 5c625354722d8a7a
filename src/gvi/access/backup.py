"""Backup and restore of the whole database, with each database's own tools (`gvi backup`, `gvi restore`).

- SQLite: the online backup API (`sqlite3.Connection.backup`) copies the live database page by page into
  a new SQLite file, consistent even while the server writes. Restore copies such a file back the same
  way into the configured database.
- PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists --single-transaction` (the
  client tools must be installed: Debian `postgresql-client`, the server's major version or newer).

Beside the backup file a manifest (`<file>.manifest.json`) records, per table, the row count and a SHA-256
of the rows in primary-key order, taken from the very snapshot that was backed up (for PostgreSQL through
an exported snapshot shared with pg_dump). `gvi restore` checks the restored database against it.

A restore refuses to overwrite a database that holds data unless forced. Backups hold every person entry
in clear text (personal numbers stay encrypted): keep them as protected as the database, and keep the
keys (GVI_SECRET_KEY, GVI_PSEUDONYM_KEY, GVI_FIELD_KEY) with them, separately protected.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.db import connections

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = 1
# Tables that `gvi migrate` fills by itself: rows there do not make a database "non-empty".
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass
class TableSum:
    rows: int
    sha256: str


@dataclass
class BackupResult:
    path: Path
    vendor: str
    size: int
    tables: dict[str, TableSum] = field(default_factory=dict)

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.path)

    @property
    def total_rows(self) -> int:
        return sum(table.rows for table in self.tables.values())


@dataclass
class RestoreResult:
    path: Path
    vendor: str
    tables: dict[str, TableSum] = field(default_factory=dict)
    verified_against_manifest: bool = False
    mismatches: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(table.rows for table in self.tables.values())


def manifest_path(path) -> Path:
    path = Path(path)
    return path.with_name(path.name + MANIFEST_SUFFIX)


# ----- checksums: one function for both databases, on a plain DB-API connection -----


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(cursor, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return sorted(row[0] for row in cursor.fetchall())


def _order_columns(cursor, vendor: str, table: str) -> list[str]:
    """The primary-key columns (or every column, for a table without one)."""
    if vendor == "sqlite":
        cursor.execute(f"PRAGMA table_info({_quote(table)})")
        info = cursor.fetchall()
        keyed = sorted((row[5], row[1]) for row in info if row[5])
        return [name for _position, name in keyed] or [row[1] for row in info]
    cursor.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum",
        [_quote(table)],
    )
    keyed = [row[0] for row in cursor.fetchall()]
    if keyed:
        return keyed
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def _canonical(value) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return "b:" + bytes(value).hex()
    if isinstance(value, dict | list):
        return "j:" + json.dumps(value, sort_keys=True, default=str)
    return f"{type(value).__name__}:{value!r}" if not isinstance(value, str) else "s:" + value


def checksums(dbapi_connection, vendor: str) -> dict[str, TableSum]:
    """Row count and SHA-256 of every table's rows in primary-key order, read through `dbapi_connection`."""
    cursor = dbapi_connection.cursor()
    try:
        if vendor == "postgresql":
            cursor.execute("SET TIME ZONE 'UTC'")
        found = {}
        for table in _tables(cursor, vendor):
            order = ", ".join(_quote(column) for column in _order_columns(cursor, vendor, table))
            cursor.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}")  # names quoted above
            digest = hashlib.sha256()
            rows = 0
            while batch := cursor.fetchmany(2000):
                for row in batch:
                    digest.update("\x1f".join(_canonical(value) for value in row).encode())
                    digest.update(b"\x1e")
                    rows += 1
            found[table] = TableSum(rows, digest.hexdigest())
        return found
    finally:
        cursor.close()


def data_rows(using: str = "default") -> dict[str, int]:
    """Rows per table, leaving out what `migrate` fills by itself. An empty dict: an empty database."""
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = _tables(cursor, connection.vendor)
        counts = {}
        for table in tables:
            if table in BOOKKEEPING_TABLES:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
            count = cursor.fetchone()[0]
            if count:
                counts[table] = count
    return counts


def _write_manifest(result: BackupResult) -> None:
    manifest = {
        "format": MANIFEST_FORMAT,
        "vendor": result.vendor,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "file_sha256": _file_sha256(result.path),
        "tables": {name: {"rows": t.rows, "sha256": t.sha256} for name, t in result.tables.items()},
    }
    target = result.manifest_path
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    target.chmod(0o600)


def read_manifest(path) -> dict | None:
    target = manifest_path(path)
    if not target.exists():
        return None
    try:
        manifest = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"The manifest {target} cannot be read: {error}") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"The manifest {target} has an unknown format.")
    return manifest


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _private_temp(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    os.chmod(name, 0o600)
    return Path(name)


# ----- backup -----


def backup(path, using: str = "default") -> BackupResult:
    """Back the database up to `path` (replaced atomically) and write the manifest beside it."""
    target = Path(path).resolve()
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give the backup file's name.")
    connection = connections[using]
    temporary = _private_temp(target)
    try:
        if connection.vendor == "sqlite":
            tables = _backup_sqlite(connection, temporary)
        elif connection.vendor == "postgresql":
            tables = _backup_postgresql(connection, temporary)
        else:
            raise BackupError(f"Backup is not supported for the {connection.vendor} database.")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    result = BackupResult(target, connection.vendor, target.stat().st_size, tables)
    _write_manifest(result)
    return result


def _backup_sqlite(connection, temporary: Path) -> dict[str, TableSum]:
    if connection.in_atomic_block:  # SQLite's backup would wait for our own open write transaction forever
        raise BackupError("A backup cannot be taken inside an open transaction; run `gvi backup` on its own.")
    connection.ensure_connection()
    copy = sqlite3.connect(temporary)
    try:
        connection.connection.backup(copy)  # one step: a consistent snapshot, even while others write
        copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        return checksums(copy, "sqlite")
    except sqlite3.Error as error:
        raise BackupError(f"The backup failed: {error}") from None
    finally:
        copy.close()


def require_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"`{name}` was not found on PATH. PostgreSQL backups use PostgreSQL's own tools: install the "
            f"client tools of the server's major version or newer (Debian: `apt install postgresql-client`) "
            f"and try again."
        )
    return found


def _pg_env(settings_dict: dict) -> dict[str, str]:
    env = dict(os.environ)
    options = settings_dict.get("OPTIONS") or {}
    values = {
        "PGHOST": settings_dict.get("HOST") or "",
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": settings_dict.get("USER") or "",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
        "PGDATABASE": settings_dict.get("NAME") or "",
        "PGSSLMODE": options.get("sslmode", ""),
        "PGSSLROOTCERT": options.get("sslrootcert", ""),
    }
    env.update({key: value for key, value in values.items() if value})
    return env


def _run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        message = (completed.stderr or completed.stdout).strip()
        raise BackupError(f"{Path(command[0]).name} failed (exit {completed.returncode}): {message}")
    return completed


def _backup_postgresql(connection, temporary: Path) -> dict[str, TableSum]:
    pg_dump = require_tool("pg_dump")
    settings_dict = connection.settings_dict
    # A connection of our own holds a snapshot that pg_dump shares: the manifest describes exactly the dump.
    own = connection.get_new_connection(connection.get_connection_params())
    try:
        own.autocommit = True
        cursor = own.cursor()
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={temporary}"],
            _pg_env(settings_dict),
        )
        tables = checksums(own, "postgresql")
        cursor.execute("COMMIT")
        return tables
    finally:
        own.close()


# ----- restore -----


def restore(path, using: str = "default", force: bool = False) -> RestoreResult:
    """Restore the backup at `path` into the database. Refuses a database holding data unless `force`."""
    source = Path(path).resolve()
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    manifest = read_manifest(source)
    connection = connections[using]
    if manifest is not None and manifest.get("vendor") != connection.vendor:
        raise BackupError(
            f"The backup is of a {manifest.get('vendor')} database; this database is {connection.vendor}."
        )
    if manifest is not None and manifest.get("file_sha256") != _file_sha256(source):
        raise BackupError(
            f"The backup file {source} does not match its manifest: it is damaged or was changed."
        )
    if connection.vendor == "sqlite":
        _check_sqlite_file(source)
    elif connection.vendor == "postgresql":
        _check_dump_file(source, connection)
    else:
        raise BackupError(f"Restore is not supported for the {connection.vendor} database.")
    if not force:
        holding = data_rows(using)
        if holding:
            sample = ", ".join(f"{table} ({count})" for table, count in sorted(holding.items())[:5])
            raise BackupError(
                f"The database is not empty: {len(holding)} table(s) hold data, e.g. {sample}. Restore into "
                "an empty database, or pass --force to replace everything in it with the backup."
            )
    if connection.vendor == "sqlite":
        _restore_sqlite(connection, source)
    else:
        _restore_postgresql(connection, source)
    return _verify(connection, source, manifest)


def _check_sqlite_file(source: Path) -> None:
    with open(source, "rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(
                f"{source} is not an SQLite backup (for PostgreSQL, restore with DATABASE_URL set)."
            )
    copy = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    try:
        status = copy.execute("PRAGMA integrity_check").fetchone()[0]
        has_migrations = copy.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
        ).fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} cannot be read as an SQLite database: {error}") from None
    finally:
        copy.close()
    if status != "ok":
        raise BackupError(f"{source} is damaged (SQLite integrity check: {status}).")
    if not has_migrations:
        raise BackupError(f"{source} is an SQLite file but no GVI database.")


def _restore_sqlite(connection, source: Path) -> None:
    connection.close()
    connection.ensure_connection()
    copy = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    try:
        copy.backup(connection.connection)  # replaces every page of the target, schema included
    except sqlite3.Error as error:
        raise BackupError(f"The restore failed ({error}); stop the server and try again.") from None
    finally:
        copy.close()
    connection.close()


def _check_dump_file(source: Path, connection) -> None:
    pg_restore = require_tool("pg_restore")
    with open(source, "rb") as handle:
        if handle.read(5) != b"PGDMP":
            raise BackupError(
                f"{source} is not a pg_dump custom-format file (for SQLite, unset DATABASE_URL)."
            )
    _run([pg_restore, "--list", str(source)], _pg_env(connection.settings_dict))


def _restore_postgresql(connection, source: Path) -> None:
    pg_restore = require_tool("pg_restore")
    connection.close()  # our own idle connection must not hold locks that --clean waits for
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(source),
        ],
        _pg_env(connection.settings_dict),
    )


def raw_connection(using: str = "default"):
    """A plain DB-API connection to the database, without Django's type converters (for checksums)."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        return sqlite3.connect(name, uri=name.startswith("file:"))
    return connection.get_new_connection(connection.get_connection_params())


def _verify(connection, source: Path, manifest: dict | None) -> RestoreResult:
    connection.close()
    raw = raw_connection(connection.alias)
    try:
        tables = checksums(raw, connection.vendor)
    finally:
        raw.close()
    result = RestoreResult(source, connection.vendor, tables)
    if manifest is None:
        return result
    result.verified_against_manifest = True
    for name, expected in sorted(manifest["tables"].items()):
        found = tables.get(name)
        if found is None:
            result.mismatches.append(f"{name}: missing after restore")
        elif (found.rows, found.sha256) != (expected["rows"], expected["sha256"]):
            result.mismatches.append(f"{name}: {found.rows} rows restored, {expected['rows']} backed up")
    return result
