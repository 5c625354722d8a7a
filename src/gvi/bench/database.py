"""Scratch PostgreSQL databases for the benchmark, and re-running a command against another database."""

import os
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(with_name(url, "postgres"), autocommit=True)


def create_database(url: str, name: str, template: str | None = None) -> str:
    with _admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return with_name(url, name)


def drop_database(url: str, name: str) -> None:
    with _admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rerun_with_database(url: str, command: str, argv: list[str]) -> None:
    """Replace this process with the same command bound to `url` (settings read DATABASE_URL at start)."""
    env = dict(os.environ, DATABASE_URL=url)
    os.execve(sys.executable, [sys.executable, "-m", "gvi.cli", command, *argv], env)
