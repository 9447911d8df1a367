"""The public schema (docs/schema.md) and how a connection to it is opened.

``open_db`` is the only way the project opens the database: WAL so Datasette reads while
a crawl writes, a busy timeout so a briefly locked database makes a writer wait instead
of dropping an item, and foreign keys on.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils
from sqlite_utils.db import DescIndex

from storage.browse import ensure_browse
from storage.normalize import utcnow  # noqa: F401  (the schema's time format; storage.utcnow)
from storage.search import ensure_search

BUSY_TIMEOUT_MS = 30_000
CACHE_KB = 32 * 1024

TABLES: dict[str, dict] = {
    "releases": {
        "columns": {
            "id": int, "source": str, "url": str, "title": str, "published": str,
            "place": str, "body": str, "content_hash": str, "fields_of_work": str,
            "issuers": str, "topics": str, "symbol": str, "document_type": str,
            "lead": str, "first_seen": str, "last_seen": str,
        },
        "pk": "id",
        "not_null": {"source", "url", "content_hash", "first_seen", "last_seen"},
        # published DESC: walked forward, newest first with ties in id order, which is the
        # order Datasette's next pages assume (``order by published desc, id``).
        "indexes": [["content_hash"], ["source", DescIndex("published")], [DescIndex("published")], ["url"],
                    ["first_seen"]],
    },
    "release_urls": {
        "columns": {
            "url": str, "release_id": int, "first_seen": str, "last_seen": str,
            "source": str, "content_hash": str, "similarity": float,
        },
        "pk": "url",
        "foreign_keys": [("release_id", "releases", "id")],
        "not_null": {"release_id", "first_seen"},
        "indexes": [["release_id"]],
    },
    "release_versions": {
        "columns": {
            "id": int, "release_id": int, "content_hash": str, "title": str, "body": str,
            "seen_at": str, "url": str,
        },
        "pk": "id",
        "foreign_keys": [("release_id", "releases", "id")],
        "not_null": {"release_id", "content_hash", "seen_at"},
        "indexes": [["release_id"], ["content_hash"]],
    },
    "release_signatures": {
        "columns": {"release_id": int, "signature": bytes},
        "pk": "release_id",
        "foreign_keys": [("release_id", "releases", "id")],
    },
    "list_snapshots": {
        "columns": {
            "id": int, "list": str, "taken_at": str, "content_hash": str, "items": str,
            "run_id": int,
        },
        "pk": "id",
        "not_null": {"list", "taken_at", "content_hash", "items"},
        "indexes": [["list", "taken_at"]],
    },
    "list_changes": {
        "columns": {
            "id": int, "list": str, "change": str, "item": str, "before": str,
            "after": str, "detected_at": str, "snapshot_id": int,
        },
        "pk": "id",
        "foreign_keys": [("snapshot_id", "list_snapshots", "id")],
        "not_null": {"list", "change", "item", "detected_at"},
        "indexes": [["list", "detected_at"], ["detected_at"], ["snapshot_id"]],
    },
    # The last observation of a list that differed too much from its snapshot to trust
    # (docs/schema.md: a failed or half page never means "every State left"), with the reason;
    # recorded only if the next crawl sees the same (storage/lists.py).
    "list_pending": {
        "columns": {"list": str, "seen_at": str, "content_hash": str, "items": str,
                    "reason": str, "run_id": int},
        "pk": "list",
    },
    "crawl_runs": {
        "columns": {
            "id": int, "spider": str, "started_at": str, "finished_at": str,
            "status": str, "pages": int, "items_new": int, "items_changed": int,
            "items_unchanged": int, "errors": int, "finish_reason": str,
            "reason": str, "duration_s": float, "exit_code": int, "log_tail": str,
            "trigger": str, "pid": int, "scope": str,
        },
        "pk": "id",
        "not_null": {"spider", "started_at"},
        "indexes": [["spider", "started_at"], ["status"]],
    },
    # The scheduler daemon's jobs and their next run times (crawler/scheduler/daemon.py), so
    # ``releasewatch status`` can answer without asking the daemon.
    "schedule_jobs": {
        "columns": {"job": str, "spider": str, "schedule": str, "next_run": str,
                    "updated_at": str},
        "pk": "job",
    },
    "crawl_errors": {
        "columns": {"id": int, "run_id": int, "spider": str, "url": str, "error": str,
                    "at": str},
        "pk": "id",
        "indexes": [["run_id"]],
    },
}


# The MinHash LSH buckets of near-duplicate search (storage/neardup.py), one row per
# (bucket, release): the bucket a 64-bit integer naming a band and its values. WITHOUT ROWID
# (which TABLES cannot say) and no other index: about 16 bytes a row, and a release's rows
# are found again from its stored signature. New rows go to the small ``release_bands_recent``,
# merged into ``release_bands`` in key order now and then (``release_bands_merge.upto``: the
# highest release id merged), so a commit does not rewrite pages all over a large index.
BANDS_TABLES = tuple(
    f"CREATE TABLE IF NOT EXISTS {name} (bucket INTEGER NOT NULL, release_id INTEGER NOT NULL, "
    "PRIMARY KEY (bucket, release_id)) WITHOUT ROWID" for name in ("release_bands", "release_bands_recent")
) + ("CREATE TABLE IF NOT EXISTS release_bands_merge (upto INTEGER NOT NULL)",)


class Database(sqlite_utils.Database):
    """sqlite-utils' ``Database`` whose outermost ``atomic()`` takes the write lock at BEGIN.

    In WAL mode a transaction that reads before it writes cannot wait for another
    writer: SQLite answers "database is locked" at once, busy timeout or not, and the
    item is lost. ``BEGIN IMMEDIATE`` waits for the lock (up to the busy timeout) before
    the first read, so another process writing for a few seconds makes a crawl wait.
    """

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:  # nested: a savepoint, as sqlite-utils does
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


class NotOurDatabase(sqlite3.DatabaseError):
    """The file is another application's SQLite database: releasewatch leaves it alone."""


def check_ours(db: sqlite_utils.Database, path: str | os.PathLike) -> None:
    """Raise ``NotOurDatabase`` unless the database is empty or has our ``releases`` table.

    A database of ours has ``releases`` with the columns it was born with (its
    ``not_null`` ones); any table of ours present has its own. Reads only: a refused
    file is left byte for byte as it was.
    """
    tables = set(db.table_names())
    if not tables:
        return
    why = None if "releases" in tables else f"no releases table (it has {', '.join(sorted(tables)[:5])})"
    for name in sorted(tables & set(TABLES)):
        missing = set(TABLES[name].get("not_null", ())) - set(db.table(name).columns_dict)
        if missing and why is None:
            why = f"its {name} table has no {', '.join(sorted(missing))} column"
    if why:
        raise NotOurDatabase(f"{path} is not a releasewatch database ({why}): refusing to change it")


DEFAULT_DB = "releasewatch.db"  # when neither --db nor RELEASEWATCH_DB names one


def unwritable(path: str | os.PathLike) -> str | None:
    """Why a crawl could not write the database at ``path`` (its folder or the file is
    read-only), or None. A folder that does not exist yet is not checked: ``open_db``
    creates it."""
    file = Path(path)
    if file.parent.is_dir():
        try:
            tempfile.TemporaryFile(dir=file.parent).close()  # SQLite also writes -wal/-shm files here
        except OSError as exc:
            return f"cannot write to the database {path}: {exc.strerror or exc} in {file.parent}"
    if file.exists() and not os.access(file, os.W_OK):
        return f"cannot write to the database {path}: read-only file"
    return None


def open_db(path: str | os.PathLike, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and create or migrate) the database at ``path``.

    Raises ``FileNotFoundError`` when ``create`` is false and the file does not exist,
    ``NotOurDatabase`` (a ``sqlite3.DatabaseError``) for another application's database,
    left unchanged, and ``sqlite3.OperationalError`` with SQLite's own message when it
    cannot be written.
    """
    path = Path(path)
    if not create and not path.exists():
        raise FileNotFoundError(f"database {path} does not exist: run a crawl first")
    if create and path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # 32 MB of page cache (SQLite's default is 2 MB). 64 MB made no difference to the CPU
    # of a 20,000-release crawl and cost 38 MB of RSS once the database outgrew it; the
    # near-duplicate buckets no longer go at random places into one large index.
    conn.execute(f"PRAGMA cache_size = -{CACHE_KB}")
    db = Database(conn)
    try:
        check_ours(db, path)
    except sqlite3.DatabaseError:
        conn.close()
        raise
    if create:
        if db.journal_mode != "wal":
            db.enable_wal()
        conn.execute("PRAGMA synchronous = NORMAL")
        ensure_schema(db)
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables, columns and indexes; never drops anything."""
    existing = set(db.table_names())
    for name, spec in TABLES.items():
        table = db.table(name)
        if name not in existing:
            table.create(
                spec["columns"], pk=spec["pk"], foreign_keys=spec.get("foreign_keys"),
                not_null=spec.get("not_null"), if_not_exists=True,
            )
        else:
            have = set(table.columns_dict)
            for column, kind in spec["columns"].items():
                if column not in have:
                    table.add_column(column, kind)
        _drop_reversed_indexes(db, name, spec.get("indexes", []))
        for columns in spec.get("indexes", []):
            table.create_index(columns, if_not_exists=True)
    _ensure_bands(db)
    ensure_search(db)
    ensure_browse(db)


def _drop_reversed_indexes(db: sqlite_utils.Database, table: str, indexes: list[list]) -> None:
    """Drop an index whose columns run the other way than ``indexes`` says (an earlier
    ``published`` ascending): ``ensure_schema`` then creates it as it should be."""
    for columns in indexes:
        name = "idx_{}_{}".format(table, "_".join(columns))
        have = [(row[0], bool(row[1])) for row in db.execute(
            "SELECT name, desc FROM pragma_index_xinfo(?) WHERE key", [name])]
        if have and have != [(str(column), isinstance(column, DescIndex)) for column in columns]:
            db.execute(f"DROP INDEX [{name}]")


def _ensure_bands(db: sqlite_utils.Database) -> None:
    columns = {row[1] for row in db.execute("PRAGMA table_info(release_bands)")}
    if not columns or "release_bands_merge" not in db.table_names():
        with db.atomic():
            for statement in BANDS_TABLES:
                db.execute(statement)
            db.execute("INSERT INTO release_bands_merge (upto) SELECT 0 WHERE NOT EXISTS "
                       "(SELECT 1 FROM release_bands_merge)")
    if "band" in columns:
        _rebuild_bands(db)


def _rebuild_bands(db: sqlite_utils.Database) -> None:
    """Buckets in the earlier format (``band``, hex ``bucket``: a rowid table and two
    indexes, four times the size): rebuilt from the stored signatures, in one transaction."""
    from storage import neardup  # numpy: only when there is something to rebuild

    with db.atomic():
        if "band" not in {row[1] for row in db.execute("PRAGMA table_info(release_bands)")}:
            return  # another process did it while this one waited for the lock
        db.execute("DROP TABLE release_bands")
        for statement in BANDS_TABLES:
            db.execute(statement)
        db.execute("DELETE FROM release_bands_recent")
        neardup.fill_buckets(db)
        db.execute("UPDATE release_bands_merge SET upto = "
                   "(SELECT coalesce(max(release_id), 0) FROM release_signatures)")
