"""The ``--db`` option and how every command opens its database.

Reading commands open the file read-only (``mode=ro``, then ``immutable=1`` when the
directory cannot hold SQLite's ``-shm`` file), so they work on a read-only copy.
Writing commands check first that the location can be written, and never create a
directory tree from a mistyped path: each problem is one line, not a traceback.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

import click
import sqlite_utils

DEFAULT_DB = "releasewatch.db"
BUSY_TIMEOUT_S = 30.0


def db_option(func):
    """``--db PATH`` (env ``RELEASEWATCH_DB``, default ``releasewatch.db``)."""
    return click.option(
        "--db", "db_path", default=lambda: os.environ.get("RELEASEWATCH_DB", DEFAULT_DB),
        show_default=DEFAULT_DB, help="SQLite database (env RELEASEWATCH_DB).",
    )(func)


def open_reading_db(path: str | os.PathLike) -> sqlite_utils.Database:
    """The database at ``path``, read-only; a missing or unreadable file is a ClickException."""
    file = Path(path)
    if not file.is_file():
        raise click.ClickException(f"database {path} does not exist (check --db or RELEASEWATCH_DB)")
    uri = file.resolve().as_uri()
    error: sqlite3.Error | None = None
    for mode in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{uri}?{mode}", uri=True, timeout=BUSY_TIMEOUT_S)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return sqlite_utils.Database(conn)
        except sqlite3.Error as exc:
            error = exc
    raise click.ClickException(f"cannot read the database {path}: {error}")


def check_writable_db(path: str | os.PathLike) -> None:
    """Refuse (one line) a database whose directory is missing or cannot be written."""
    file = Path(path)
    folder = file.parent
    if not folder.is_dir():
        raise click.ClickException(f"directory {folder} does not exist (check --db {path})")
    try:
        tempfile.TemporaryFile(dir=folder).close()  # SQLite also writes -wal/-shm files here
    except OSError as exc:
        raise click.ClickException(f"cannot write to the database {path}: {exc.strerror or exc} "
                                   f"in {folder} (give --db a writable location)") from None
    if file.exists() and not os.access(file, os.W_OK):
        raise click.ClickException(f"cannot write to the database {path}: read-only file "
                                   "(give --db a writable location)")
