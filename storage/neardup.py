"""Near-duplicate search with MinHash and LSH buckets kept in SQLite.

A mirror that fixed a typo, changed quotes or dropped a sentence is not byte-equal but
is the same release. Each release body is reduced to word 3-gram shingles and a
128-permutation MinHash. The signature is cut into 32 bands of 4 rows; two releases
that share any band bucket are candidates, and a candidate is a near-duplicate when the
estimated Jaccard similarity of the shingle sets is at least ``THRESHOLD``.

Why 0.7: on the seed stories, a dropped sentence scores about 0.9 and a fixed typo or
other quotes about 0.97, while two different releases on the same subject (a UN News
story and the Secretary-General message it reports) stay below 0.3. With 32x4 bands a
pair at 0.7 becomes a candidate with probability > 0.999, one at 0.3 with about 0.23,
and every candidate is verified against its stored signature.

Bodies shorter than ``MIN_WORDS`` are too short to judge and only dedupe exactly.

Scale: archives are full of formulaic statements (the Security Council's, the
Secretary-General's messages for international days) that share most of their words, so
thousands of them share a bucket. A search therefore reads at most ``BUCKET_ROWS + 1``
rows per bucket (the newest), ranks what it read by *rare* buckets shared (buckets that
showed at most ``BUCKET_ROWS`` members: the words a statement does not share with its
siblings), then by buckets shared, and compares only the best ``CANDIDATES``, after the
caller's "told apart" rules. The cost of a search no longer grows with the archive. The
one case it gives up: a copy of a statement that differs from its many siblings in so few
words that none of its buckets is rare is found only while the original is among the
newest members of its buckets.

Cost: shingles are hashed with CRC-32 (``zlib.crc32``, in C) rather than SHA-1, and the
MinHash is computed here in one vectorised numpy step: bit for bit datasketch's
``MinHash(num_perm=128, seed=1, hashfunc=zlib.crc32)`` (scheme affine32; a test compares
them), without importing datasketch, which loads scipy (about 50 MB and a second per
process), and without its per-shingle Python loop: about ten times cheaper. A bucket is
one 64-bit integer (``buckets``), a row of a ``WITHOUT ROWID`` table. Bucket keys are
random, so rows inserted into one large index dirty pages all over it, and a commit
rewrote most of it (at 100,000 releases the bucket rows alone cost six times what they
cost at first): new rows go to the small ``release_bands_recent`` instead, merged into
``release_bands`` in key order once it holds a quarter as many releases (``MERGE_RATIO``).
"""

from __future__ import annotations

import functools
import json
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sqlite_utils

from storage.normalize import normalize_for_hash, strip_dateline

THRESHOLD = 0.7
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SHINGLE = 3
MIN_WORDS = 40
# Bounds of one search (see find_near_duplicate and the module docstring).
BUCKET_ROWS = 16
CANDIDATES = 16
# Buckets are in two tables (storage/schema.py): the merged ``release_bands`` and the small
# ``release_bands_recent``, merged into it when it holds more than MERGE_MIN releases and
# 1/MERGE_RATIO of the merged ones. A release's rows go to the small table (cheap commits);
# the merge inserts in key order, page after page, once in a while: the cost of indexing a
# release stays about the same as the archive grows.
MERGE_MIN = 4000
MERGE_RATIO = 4
BOTH = "(SELECT bucket, release_id FROM release_bands UNION ALL SELECT bucket, release_id FROM release_bands_recent)"
# The newest BUCKET_ROWS + 1 members of each of a signature's buckets.
BUCKET_SQL = " UNION ALL ".join(
    [f"SELECT * FROM (SELECT bucket, release_id FROM release_bands WHERE bucket = ?{2 * band + 1} UNION ALL "
     f"SELECT bucket, release_id FROM release_bands_recent WHERE bucket = ?{2 * band + 1} "
     f"ORDER BY release_id DESC LIMIT ?{2 * band + 2})"
     for band in range(BANDS)])
# Every member of the signature's buckets, counted in SQL: the releases sharing the most.
FULL_SQL = (
    f"SELECT release_id, count(*) AS shared FROM {BOTH} WHERE bucket IN ({', '.join('?' * BANDS)}) "
    "GROUP BY release_id ORDER BY shared DESC, release_id DESC LIMIT ?"
)


def signature(body: str | None) -> np.ndarray | None:
    """The MinHash signature of a body (without dateline), or None if it is too short."""
    return signature_of(normalize_for_hash(strip_dateline(body)))


def signature_of(normalized: str) -> np.ndarray | None:
    """The signature of a body already without dateline and through ``normalize_for_hash``
    (``storage.releases`` normalises a body once for its hash and its signature)."""
    words = normalized.split()
    if len(words) < MIN_WORDS:
        return None
    shingles = map(" ".join, zip(words, words[1:], words[2:], strict=False))  # SHINGLE words each
    hashed = np.fromiter(map(zlib.crc32, map(str.encode, shingles)), dtype=np.uint32, count=len(words) - 2)
    a, b = _permutations()
    with np.errstate(over="ignore"):  # arithmetic modulo 2**32, as intended
        return (_fmix32(hashed)[:, None] * a + b).min(axis=0).astype(np.uint64)


def load() -> None:
    """Draw the permutations now rather than at the first signature."""
    _permutations()


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``MinHash(num_perm=NUM_PERM, seed=1)`` permutations (scheme affine32):
    odd multipliers ``a`` and offsets ``b`` modulo 2**32, drawn as datasketch draws them."""
    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, which datasketch applies before the permutations."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def buckets(sig: np.ndarray) -> list[int]:
    """The signature's BANDS bucket keys: each band's ROWS values and its number, hashed to a
    signed 64-bit integer (a random linear map modulo 2**64: distinct bands collide with
    probability about 2**-64, and a collision only adds a candidate that is then compared)."""
    multipliers, band_terms = _bucket_hash()
    with np.errstate(over="ignore"):
        keys = (sig.reshape(BANDS, ROWS) * multipliers).sum(axis=1, dtype=np.uint64) + band_terms
    return keys.view(np.int64).tolist()


@functools.cache
def _bucket_hash() -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(2)
    multipliers = gen.randint(1, 1 << 63, ROWS + 1, dtype=np.uint64) | np.uint64(1)
    with np.errstate(over="ignore"):
        return multipliers[:ROWS], np.arange(BANDS, dtype=np.uint64) * multipliers[ROWS]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


def fill_buckets(db: sqlite_utils.Database) -> None:
    """Insert every stored signature's buckets into ``release_bands`` (a database whose
    buckets were in the earlier format is migrated so: ``storage.schema``)."""
    rows = db.execute("SELECT release_id, signature FROM release_signatures ORDER BY release_id")
    while chunk := rows.fetchmany(10_000):
        db.conn.executemany(
            "INSERT OR IGNORE INTO release_bands (bucket, release_id) VALUES (?, ?)",
            [(key, release_id) for release_id, blob in chunk
             for key in buckets(np.frombuffer(blob, dtype=np.uint64))])


@dataclass
class Candidate:
    """A stored release that shares LSH buckets with the one being stored."""

    release_id: int
    shared: int  # bands in common
    similarity: float
    source: str
    symbol: str | None
    published: str | None
    title: str | None


@dataclass
class Search:
    """What one search read: bucket rows (at most ``BANDS * (BUCKET_ROWS + 1)``), the
    candidates in rank order (at most ``CANDIDATES``) and how many signatures were compared
    (those the rules did not tell apart)."""

    rows_read: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    compared: int = 0
    full: bool = False  # the buckets were counted in full (see find_near_duplicate)


def find_near_duplicate(
    db: sqlite_utils.Database, sig: np.ndarray | None,
    told_apart: Callable[[Candidate], bool] | None = None, search: Search | None = None,
) -> tuple[int, float] | None:
    """The most similar stored release at or above THRESHOLD that ``told_apart`` does not
    rule out, as ``(release_id, similarity)``.

    Bounded: each of the 32 buckets gives at most its ``BUCKET_ROWS + 1`` newest members,
    and only ``CANDIDATES`` releases are read, ruled on and compared (in one vectorised
    step): those sharing the most *rare* buckets (at most ``BUCKET_ROWS`` members), then
    the most buckets. A hot bucket, one that thousands of formulaic statements share, says
    little about which of them this text copies; the words a statement does not share with
    its siblings land in rare buckets. Only when the match found shares no rare bucket and a
    bucket was cut short (the original may be an older sibling) are the buckets counted in
    full, in SQL, for the best ``CANDIDATES`` (``search.full``).
    """
    if sig is None:
        return None
    search = search if search is not None else Search()
    keys = buckets(sig)
    hits = db.execute(BUCKET_SQL, [v for key in keys for v in (key, BUCKET_ROWS + 1)]).fetchall()
    if not hits:
        return None
    population = Counter(bucket for bucket, _ in hits)
    rank: dict[int, list[int]] = {}
    for bucket, release_id in hits:
        rare_shared = rank.setdefault(release_id, [0, 0, release_id])
        rare_shared[0] += population[bucket] <= BUCKET_ROWS
        rare_shared[1] += 1
    top = sorted(rank.values(), reverse=True)[:CANDIDATES]
    search.rows_read = len(hits)
    best = _best(db, sig, [(rid, shared) for _, shared, rid in top], told_apart, search)
    if best and rank[best[0]][0] == 0 and max(population.values()) > BUCKET_ROWS:
        search.full = True
        counted = db.execute(FULL_SQL, [*keys, CANDIDATES]).fetchall()
        best = _best(db, sig, counted, told_apart, search)
    return best


def _best(db: sqlite_utils.Database, sig: np.ndarray, ranked: list[tuple[int, int]],
          told_apart: Callable[[Candidate], bool] | None, search: Search) -> tuple[int, float] | None:
    """The most similar of ``ranked`` (release id, buckets shared) at or above THRESHOLD
    that ``told_apart`` does not rule out; the rules run before any similarity."""
    stored = {row[0]: row[1:] for row in db.execute(
        "SELECT r.id, s.signature, r.source, r.symbol, r.published, r.title FROM releases r "
        "JOIN release_signatures s ON s.release_id = r.id WHERE r.id IN (SELECT value FROM json_each(?))",
        [json.dumps([rid for rid, _ in ranked])])}
    rows = [(rid, shared, *stored[rid]) for rid, shared in ranked if rid in stored]
    search.candidates = [Candidate(rid, shared, 0.0, *meta) for rid, shared, _, *meta in rows]
    kept = [i for i, c in enumerate(search.candidates) if not (told_apart and told_apart(c))]
    if not kept:
        return None
    matrix = np.frombuffer(b"".join(rows[i][2] for i in kept), dtype=np.uint64).reshape(len(kept), -1)
    scores = (matrix == sig).mean(axis=1)
    search.compared += len(kept)
    for i, score in zip(kept, scores, strict=True):
        search.candidates[i].similarity = float(score)
    best = int(np.argmax(scores))
    if scores[best] < THRESHOLD:
        return None
    return search.candidates[kept[best]].release_id, float(scores[best])


def index_release(db: sqlite_utils.Database, release_id: int, sig: np.ndarray | None,
                  *, new: bool = False) -> None:
    """Store (or replace, unless ``new``) the signature and LSH buckets of a release."""
    if not new:
        old = db.execute("SELECT signature FROM release_signatures WHERE release_id = ?", [release_id]).fetchone()
        if old:
            rows = [(key, release_id) for key in buckets(np.frombuffer(old[0], dtype=np.uint64))]
            db.conn.executemany("DELETE FROM release_bands WHERE bucket = ? AND release_id = ?", rows)
            db.conn.executemany("DELETE FROM release_bands_recent WHERE bucket = ? AND release_id = ?", rows)
            db.execute("DELETE FROM release_signatures WHERE release_id = ?", [release_id])
    if sig is None:
        return
    db.execute(
        "INSERT INTO release_signatures (release_id, signature) VALUES (?, ?)",
        [release_id, sig.tobytes()],
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO release_bands_recent (bucket, release_id) VALUES (?, ?)",
        [(key, release_id) for key in buckets(sig)],
    )
    (upto,) = db.execute("SELECT upto FROM release_bands_merge").fetchone()
    if release_id - upto > max(MERGE_MIN, upto // MERGE_RATIO):
        merge_recent(db, release_id)


def merge_recent(db: sqlite_utils.Database, upto: int) -> None:
    """Move the recent buckets into ``release_bands``, in key order (inside the caller's
    transaction: a release and its buckets are stored together or not at all)."""
    db.execute("INSERT OR IGNORE INTO release_bands (bucket, release_id) "
               "SELECT bucket, release_id FROM release_bands_recent ORDER BY bucket, release_id")
    db.execute("DELETE FROM release_bands_recent")
    db.execute("UPDATE release_bands_merge SET upto = ?", [upto])
