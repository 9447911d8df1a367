"""Options shared by the ``releasewatch`` commands (``--db``, ``NAME=VALUE`` pairs) and
how every command opens its database.

Reading commands open the file read-only (``mode=ro``, then ``immutable=1`` when the
directory cannot hold SQLite's ``-shm`` file), so they work on a read-only copy.
Writing commands check first that the location can be written, and never create a
directory tree from a mistyped path: each problem is one line, not a traceback.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
import sqlite_utils

from storage.schema import BUSY_TIMEOUT_MS, DEFAULT_DB, unwritable


def database(configured: str | None = None) -> str:
    """The database when ``--db`` is not given: env ``RELEASEWATCH_DB``, else the
    configuration's (``releasewatch.toml``, for the scheduler's commands), else
    ``releasewatch.db``."""
    return os.environ.get("RELEASEWATCH_DB") or configured or DEFAULT_DB


def db_option(func=None, *, configured: bool = False):
    """The one ``--db`` option. With ``configured``, an unset ``--db`` is None and the
    command resolves it with :func:`database` after reading its configuration."""
    def decorate(f):
        return click.option(
            "--db", "db_path", default=None if configured else database, show_default=DEFAULT_DB,
            help="SQLite database (default: env RELEASEWATCH_DB"
                 + (", else the configuration's" if configured else "") + ", else releasewatch.db).",
        )(f)
    return decorate(func) if func is not None else decorate


def open_reading_db(path: str | os.PathLike) -> sqlite_utils.Database:
    """The database at ``path``, read-only; a missing or unreadable file is a ClickException."""
    file = Path(path)
    if not file.is_file():
        raise click.ClickException(f"database {path} does not exist (check --db or RELEASEWATCH_DB)")
    uri = file.resolve().as_uri()
    error: sqlite3.Error | None = None
    for mode in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{uri}?{mode}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return sqlite_utils.Database(conn)
        except sqlite3.Error as exc:
            error = exc
    raise click.ClickException(f"cannot read the database {path}: {error}")


def check_writable_db(path: str | os.PathLike) -> None:
    """Refuse (one line) a database whose directory is missing or cannot be written."""
    folder = Path(path).parent
    if not folder.is_dir():
        raise click.ClickException(f"directory {folder} does not exist (check --db {path})")
    if problem := unwritable(path):
        raise click.ClickException(f"{problem} (give --db a writable location)")


def parse_pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``("full=1", "url=https://x")`` -> ``{"full": "1", "url": "https://x"}``; a value
    without ``=`` or a name is a usage error naming ``option``."""
    out = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r}: expected NAME=VALUE", param_hint=option)
        out[key.strip()] = val.strip()
    return out
