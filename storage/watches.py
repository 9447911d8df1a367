"""Watched press rooms (``releasewatch watch``): the one place they are kept.

A watch is a listing URL of any site with a name (the ``source`` of its releases) and
an interval; the scheduler daemon runs each like a built-in spider
(``crawler/scheduler/watches.py``), as ``scrapy crawl watch -a name=NAME``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlite_utils

from storage.normalize import utcnow
from storage.sources import names

TABLE = "watches"
RESERVED = names()  # the built-in spiders' sources (storage/sources.py), "watch" included
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")


class WatchError(ValueError):
    """A watch that cannot be added or found; the message says why."""


@dataclass(frozen=True)
class Watch:
    name: str
    url: str
    every: str
    created_at: str | None = None
    rows: str | None = None  # the listing rows' structure when the watch was added


def ensure_table(db: sqlite_utils.Database) -> None:
    db.table(TABLE).create({"name": str, "url": str, "every": str, "created_at": str, "rows": str},
                           pk="name", not_null={"url", "every"}, if_not_exists=True)


def default_name(url: str) -> str:
    """A watch name from the URL's host: ``https://www.nato.int/...`` -> ``nato_int``."""
    host = (urlsplit(url).hostname or "watch").removeprefix("www.")
    return re.sub(r"[^a-z0-9]+", "_", host.lower()).strip("_")[:48] or "watch"


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise WatchError(f"watch name {name!r}: use lower-case letters, digits, _ and - (at most 48)")
    if name in RESERVED:
        raise WatchError(f"watch name {name!r} is a built-in source; choose another with --name")
    return name


def add_watch(db: sqlite_utils.Database, watch: Watch) -> Watch:
    """Save a new watch; a name already taken is an error, not an overwrite."""
    check_name(watch.name)
    ensure_table(db)
    if db.table(TABLE).count_where("name = ?", [watch.name]):
        raise WatchError(f"a watch named {watch.name!r} exists already (releasewatch watch remove {watch.name})")
    saved = Watch(watch.name, watch.url, watch.every, watch.created_at or utcnow(), watch.rows)
    with db.atomic():
        db.table(TABLE).insert(saved.__dict__)
    return saved


def list_watches(db: sqlite_utils.Database) -> list[Watch]:
    if TABLE not in db.table_names():
        return []
    return [Watch(**row) for row in db.query("SELECT name, url, every, created_at, rows FROM watches ORDER BY name")]


def get_watch(db: sqlite_utils.Database, name: str) -> Watch:
    for watch in list_watches(db):
        if watch.name == name:
            return watch
    raise WatchError(f"no watch named {name!r} (releasewatch watch list)")


def remove_watch(db: sqlite_utils.Database, name: str) -> None:
    """Forget a watch; the releases it stored stay."""
    get_watch(db, name)
    with db.atomic():
        db.execute("DELETE FROM watches WHERE name = ?", [name])
