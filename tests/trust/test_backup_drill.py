"""Backup and restore: `gvi backup PATH` and `gvi restore PATH`, with a restore drill.

The drill loads the shared test world and some access-log rows, backs the database up, restores it into an
EMPTY database (a second SQLite file, or a freshly created PostgreSQL database) with the real command in a
separate process, compares every table row by row between the source and the restored copy (with this
test's own reader, not the code under test), and verifies the access-log chain in the restored copy with
`gvi audit verify`.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gvi.access import backup as backup_module
from gvi.access.identity import audit_key
from gvi.access.models import AccessLog
from gvi.access.services import log_access
from gvi.partnership.models import Role
from tests.factories import build_world
from tests.trust.budget import record_stat

ROOT = Path(__file__).resolve().parents[2]


def _connect(vendor: str, name: str):
    """A plain DB-API connection (no Django converters) to database `name` on the test's server."""
    if vendor == "sqlite":
        import sqlite3

        return sqlite3.connect(name, uri=name.startswith("file:"))
    import psycopg

    settings = connection.settings_dict
    conn = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname=name,
        autocommit=True,
    )
    conn.execute("SET TIME ZONE 'UTC'")
    return conn


def all_rows(conn, vendor: str) -> dict[str, list]:
    """Every table's rows, sorted: this test's own reading, independent of gvi.access.backup."""
    cursor = conn.cursor()
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    tables = sorted(row[0] for row in cursor.fetchall())
    found = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')
        found[table] = sorted((tuple(row) for row in cursor.fetchall()), key=repr)
    return found


def _postgres_admin(statement: str) -> None:
    conn = _connect("postgresql", "postgres")
    try:
        conn.execute(statement)
    finally:
        conn.close()


def _target_database(tmp_path: Path) -> tuple[str, str]:
    """(DATABASE_URL, name) of an empty database to restore into."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        return f"sqlite:///{path}", str(path)
    name = f"gvi_drill_{os.getpid()}"
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}"')
    _postgres_admin(f'CREATE DATABASE "{name}"')
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    url = f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT'] or 5432}/{name}"
    return url, name


def gvi(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GVI_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "gvi.settings",
        # The access-log chain is keyed: a restore verifies it with the key the rows were written with,
        # kept with the backup like the other keys.
        "GVI_AUDIT_KEY": audit_key().decode(),
    }
    return subprocess.run(
        [sys.executable, "-m", "gvi.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_restore_drill_into_an_empty_database(tmp_path):
    vendor = connection.vendor
    world = build_world()
    analyst = world.users[Role.ANALYST]
    for kind in ("person", "membership", "involvement"):
        log_access(analyst, world.record(kind, Role.ANALYST, "own"), purpose="Återställningsövning")
    log_count = AccessLog.objects.count()
    assert log_count == 3

    backup_file = tmp_path / "gvi-backup.bin"
    call_command("gvi_backup", str(backup_file))
    assert backup_file.exists() and backup_module.manifest_path(backup_file).exists()
    assert oct(backup_file.stat().st_mode & 0o777) == "0o600", "a backup holds person data: owner-only"
    source = _connect(vendor, connection.settings_dict["NAME"])
    try:
        source_rows = all_rows(source, vendor)
    finally:
        source.close()

    url, name = _target_database(tmp_path)
    try:
        restored = gvi(tmp_path, url, "gvi_restore", str(backup_file))
        assert restored.returncode == 0, restored.stderr
        assert "Every table matches the checksum recorded at backup time." in restored.stdout
        verified = gvi(tmp_path, url, "audit", "verify")
        assert verified.returncode == 0, verified.stderr
        assert f"Access log chain OK: {log_count} rows verified," in verified.stdout

        target = _connect(vendor, name)
        try:
            restored_rows = all_rows(target, vendor)
        finally:
            target.close()
        assert sorted(restored_rows) == sorted(source_rows), "tables missing or extra after restore"
        differing = [table for table in source_rows if restored_rows[table] != source_rows[table]]
        assert not differing, f"tables that differ after restore: {differing}"

        # A second restore into what is now a database holding data is refused without --force ...
        again = gvi(tmp_path, url, "gvi_restore", str(backup_file))
        assert again.returncode != 0 and "--force" in again.stderr
        # ... and allowed with it.
        forced = gvi(tmp_path, url, "gvi_restore", "--force", str(backup_file))
        assert forced.returncode == 0, forced.stderr
    finally:
        if vendor == "postgresql":
            _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    record_stat(
        "backup_drill",
        ok=True,
        tables=len(source_rows),
        rows=sum(len(rows) for rows in source_rows.values()),
        access_log_rows=log_count,
    )


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_holds_data(tmp_path, fresh_world):
    backup_file = tmp_path / "b.bin"
    call_command("gvi_backup", str(backup_file))
    with pytest.raises(CommandError, match="not empty.*--force"):
        call_command("gvi_restore", str(backup_file))


@pytest.mark.django_db(transaction=True)
def test_a_damaged_or_foreign_file_is_refused(tmp_path):
    backup_file = tmp_path / "b.bin"
    call_command("gvi_backup", str(backup_file))
    data = bytearray(backup_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup_file.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="does not match its manifest"):
        call_command("gvi_restore", str(backup_file), force=True)
    foreign = tmp_path / "inte-en-backup.bin"
    foreign.write_bytes(b"namn;omrade\nGrupp;Norr\n")
    with pytest.raises(CommandError, match="not an SQLite backup|not a pg_dump"):
        call_command("gvi_restore", str(foreign), force=True)
    with pytest.raises(CommandError, match="No backup file"):
        call_command("gvi_restore", str(tmp_path / "saknas.bin"))


@pytest.mark.django_db
def test_a_backup_inside_an_open_transaction_is_refused_not_hung(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("pg_dump reads its own snapshot; only SQLite's backup waits for the open transaction")
    with pytest.raises(CommandError, match="inside an open transaction"):
        call_command("gvi_backup", str(tmp_path / "b.sqlite3"))


def test_missing_postgresql_tools_give_a_clear_error(monkeypatch):
    monkeypatch.setattr(backup_module.shutil, "which", lambda name: None)
    with pytest.raises(backup_module.BackupError, match="pg_dump.*not found.*postgresql-client"):
        backup_module.require_tool("pg_dump")


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL tools are used on PostgreSQL only"
)
def test_backup_without_pg_dump_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="pg_dump.*not found"):
        call_command("gvi_backup", str(tmp_path / "b.dump"))
