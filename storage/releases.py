"""Store releases: one row per distinct release, every URL it was seen at, every version.

``store_release(db, item)`` is the single write path for the crawl pipeline, the Redis
ingester and the benchmarks. It runs in one transaction and says what happened, so a
caller needs no second query to count new / changed / unchanged items.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from storage import neardup
from storage.normalize import canonical_url, clean_text, hash_normalized, normalize_for_hash, strip_dateline
from storage.schema import utcnow
from storage.sources import primary_sources, publishes_own_releases, source_rank

PRIMARY_SOURCES = primary_sources()  # storage/sources.py
LIST_FIELDS = ("fields_of_work", "issuers", "topics")
META_FIELDS = ("published", "place", "symbol", "document_type", "lead", *LIST_FIELDS)

RELEASE_COLUMNS = ("source", "url", "title", "body", "content_hash", *META_FIELDS, "first_seen", "last_seen")
INSERT_RELEASE = (f"INSERT INTO releases ({', '.join(RELEASE_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(RELEASE_COLUMNS))})")

NORMALIZED = "normalized"  # not a column: (title, body) as hashed, see prepare()

NEW, CHANGED, UNCHANGED, DUPLICATE, NEAR_DUPLICATE = (
    "new", "changed", "unchanged", "duplicate", "near_duplicate",
)


@dataclass(frozen=True)
class StoreResult:
    """What ``store_release`` did: ``status`` is one of new, changed, unchanged,
    duplicate (a new URL of known content) or near_duplicate (a new URL of a close copy)."""

    status: str
    release_id: int
    similarity: float = 1.0

    @property
    def counts_as(self) -> str:
        """The crawl_runs counter this result adds to: new, changed or unchanged."""
        return self.status if self.status in (NEW, CHANGED) else UNCHANGED


class InvalidRelease(ValueError):
    """An item that cannot be stored: no URL, or neither title nor body."""


def _json_list(value: Any) -> str:
    if value is None:
        return "[]"
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    seen: list[str] = []
    for entry in value:
        entry = " ".join(str(entry).split())
        if entry and entry not in seen:
            seen.append(entry)
    return json.dumps(seen, ensure_ascii=False)


def prepare(item: Mapping[str, Any]) -> dict[str, Any]:
    """The release columns for an item: cleaned text, JSON lists, canonical URL, hash.

    Also, under ``NORMALIZED``, the title and the body (without dateline) as hashed: the
    signature and the "told apart" rules reuse them instead of normalising again.
    """
    url = item.get("url")
    if not url:
        raise InvalidRelease("item has no url")
    title = clean_text(item.get("title")).replace("\n\n", " ") or None
    body = clean_text(item.get("body")) or None
    if not title and not body:
        raise InvalidRelease(f"{url}: neither title nor body")
    normalized = normalize_for_hash(title), normalize_for_hash(strip_dateline(body))
    row: dict[str, Any] = {
        "source": item.get("source") or "article",
        "url": canonical_url(url),
        "title": title,
        "body": body,
        "content_hash": hash_normalized(*normalized),
        NORMALIZED: normalized,
    }
    for field in META_FIELDS:
        value = item.get(field)
        row[field] = _json_list(value) if field in LIST_FIELDS else (clean_text(value) or None)
    return row


def store_release(
    db: sqlite_utils.Database, item: Mapping[str, Any], *, now: str | None = None
) -> StoreResult:
    """Store one scraped release in one transaction and say what happened."""
    row = prepare(item)
    now = now or utcnow()
    with db.atomic():
        seen = db.execute(
            "SELECT u.release_id, u.content_hash, r.content_hash, r.source "
            "FROM release_urls u JOIN releases r ON r.id = u.release_id WHERE u.url = ?",
            [row["url"]],
        ).fetchone()
        if seen:
            return _store_seen_url(db, row, now, *seen)
        return _store_new_url(db, row, now)


def _store_seen_url(
    db: sqlite_utils.Database, row: dict, now: str,
    release_id: int, url_hash: str | None, release_hash: str, release_source: str,
) -> StoreResult:
    """A URL we have seen before: unchanged, or an edit that becomes a new version."""
    if row["content_hash"] == (url_hash or release_hash):
        _touch(db, release_id, row["url"], now, row["content_hash"])
        if row["source"] == release_source:
            _refresh_metadata(db, release_id, row)
        return StoreResult(UNCHANGED, release_id)
    if source_rank(release_source) > source_rank(row["source"]):
        # A mirror's copy changed: the release itself did not.
        _touch(db, release_id, row["url"], now, row["content_hash"])
        return StoreResult(UNCHANGED, release_id)
    _add_version(db, release_id, row, now)
    db.execute(
        "UPDATE releases SET title = ?, body = ?, content_hash = ?, last_seen = ? WHERE id = ?",
        [row["title"], row["body"], row["content_hash"], now, release_id],
    )
    _refresh_metadata(db, release_id, row)
    _touch(db, release_id, row["url"], now, row["content_hash"])
    neardup.index_release(db, release_id, neardup.signature_of(row[NORMALIZED][1]))
    return StoreResult(CHANGED, release_id)


def _store_new_url(db: sqlite_utils.Database, row: dict, now: str) -> StoreResult:
    """A URL we have not seen: a known text (exact or near), or a new release."""
    known = db.execute(
        "SELECT id, source FROM releases WHERE content_hash = ? UNION ALL "
        "SELECT r.id, r.source FROM release_versions v JOIN releases r ON r.id = v.release_id "
        "WHERE v.content_hash = ? LIMIT 1",
        [row["content_hash"], row["content_hash"]],
    ).fetchone()
    status, score = DUPLICATE, 1.0
    sig = neardup.signature_of(row[NORMALIZED][1])
    if known is None:
        search = neardup.Search()
        match = neardup.find_near_duplicate(db, sig, lambda c: _told_apart(row, c), search)
        if match:
            release_id, score = match
            known = release_id, next(c.source for c in search.candidates if c.release_id == release_id)
            status = NEAR_DUPLICATE
    if known:
        release_id, source = known
        _add_url(db, release_id, row, now, score)
        db.execute("UPDATE releases SET last_seen = ? WHERE id = ?", [now, release_id])
        if source_rank(row["source"]) > source_rank(source):
            # The original turned up after a mirror: its source, text and metadata win.
            # Same release, same content: still one version, now with the original's text.
            db.execute(
                "UPDATE release_versions SET content_hash = ?, title = ?, body = ?, url = ? "
                "WHERE id = (SELECT max(id) FROM release_versions WHERE release_id = ?) AND NOT EXISTS "
                "(SELECT 1 FROM release_versions WHERE release_id = ? AND content_hash = ?)",
                [row["content_hash"], row["title"], row["body"], row["url"], release_id,
                 release_id, row["content_hash"]])
            db.execute("UPDATE releases SET source = ?, title = ?, body = ?, content_hash = ? WHERE id = ?",
                       [row["source"], row["title"], row["body"], row["content_hash"], release_id])
            _refresh_metadata(db, release_id, row)
            neardup.index_release(db, release_id, sig)
        return StoreResult(status, release_id, score)
    columns = {**row, "first_seen": now, "last_seen": now}
    release_id = db.execute(INSERT_RELEASE, [columns[c] for c in RELEASE_COLUMNS]).lastrowid
    _add_version(db, release_id, row, now, new=True)
    _add_url(db, release_id, row, now, 1.0)
    neardup.index_release(db, release_id, sig, new=True)
    return StoreResult(NEW, release_id)


def _told_apart(row: dict, stored: neardup.Candidate) -> bool:
    """Whether a near-duplicate text is still another release: a different document
    symbol, or, from the same press room (built-in or watched), another title or date
    (formulaic statements such as the Security Council's differ in a few words only)."""
    if row["symbol"] and stored.symbol and row["symbol"] != stored.symbol:
        return True
    if row["source"] != stored.source or not publishes_own_releases(stored.source):
        return False
    return bool(row["published"] and stored.published and row["published"] != stored.published) or (
        row[NORMALIZED][0] != normalize_for_hash(stored.title or ""))


def _add_version(db: sqlite_utils.Database, release_id: int, row: dict, now: str,
                 *, new: bool = False) -> None:
    exists = not new and db.execute(
        "SELECT 1 FROM release_versions WHERE release_id = ? AND content_hash = ?",
        [release_id, row["content_hash"]],
    ).fetchone()
    if not exists:
        db.execute(
            "INSERT INTO release_versions (release_id, content_hash, title, body, seen_at, url) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [release_id, row["content_hash"], row["title"], row["body"], now, row["url"]],
        )


def _add_url(db: sqlite_utils.Database, release_id: int, row: dict, now: str, score: float) -> None:
    db.execute(
        "INSERT INTO release_urls (url, release_id, first_seen, last_seen, source, content_hash, "
        "similarity) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [row["url"], release_id, now, now, row["source"], row["content_hash"], round(score, 3)],
    )


def _touch(db: sqlite_utils.Database, release_id: int, url: str, now: str, url_hash: str) -> None:
    db.execute("UPDATE releases SET last_seen = ? WHERE id = ?", [now, release_id])
    db.execute(
        "UPDATE release_urls SET last_seen = ?, content_hash = ? WHERE url = ?",
        [now, url_hash, url],
    )


def _refresh_metadata(db: sqlite_utils.Database, release_id: int, row: dict) -> None:
    """Update metadata columns that the page now states differently (or states at all)."""
    current = db.execute(
        f"SELECT {', '.join(META_FIELDS)} FROM releases WHERE id = ?", [release_id]
    ).fetchone()
    updates = {}
    for field, old in zip(META_FIELDS, current, strict=True):
        new = row.get(field)
        if new in (None, "", "[]") or new == old:
            continue
        updates[field] = new
    if updates:
        db.table("releases").update(release_id, updates)


def known_urls(
    db: sqlite_utils.Database, source: str | None = None, *, seen_before: str | None = None
) -> set[str]:
    """Every canonical URL at which a release was seen (optionally for one source, or
    first seen before a time)."""
    conditions = {"source = ?": source, "first_seen < ?": seen_before}
    where = [sql for sql, value in conditions.items() if value]
    rows = db.execute(
        "SELECT url FROM release_urls" + (f" WHERE {' AND '.join(where)}" if where else ""),
        [value for value in conditions.values() if value],
    )
    return {url for (url,) in rows}
