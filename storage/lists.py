"""Snapshots of the tracked lists and the changes between them (docs/schema.md ``list_snapshots``,
``list_changes``).

A list is ``[{"name": ..., "note": ...}]`` in site order. ``record_list_snapshot`` keeps
one ``list_snapshots`` row per distinct content and one ``list_changes`` row per
difference to the previous snapshot::

    result = record_list_snapshot(db, "participating_states", items)
    result.status   # "baseline", "changed", "unchanged", "unhealthy" or "pending"

**Same content.** Entries are compared by their normalised text (whitespace, quotes,
dashes and case made uniform, so ``Finland – X`` equals ``Finland - X``); the hash covers
the set of ``(name, note)`` pairs, so reordering alone is no change and adds no row. The
first snapshot of a list is the baseline and records no change rows.

**Change rows** (``change``, ``item``, ``before``, ``after``):

- ``added``: ``item`` the name, ``after`` its note (if any);
- ``removed``: ``item`` the name, ``before`` its note (if any);
- ``note_changed``: ``item`` the name, ``before``/``after`` the old and new note
  (``None`` when there was none);
- ``renamed``: ``item`` the new name, ``before``/``after`` the old and new name. A
  renamed entry whose note also changed gets a ``note_changed`` row too.

**Rename rule.** A removed and an added entry are one renamed entry when both hold:

1. *same position*: they sit in the same gap of the list, i.e. the nearest preceding
   entry that both snapshots share is the same one (or both are first);
2. *similar names*: compared without case, accents, punctuation and the words the two
   names share, either one name is contained in the other (``Moldova`` /
   ``Republic of Moldova``), or the rests start alike (a common start of at least 4
   letters covering at least 60% of the shorter rest: ``Czech Republic`` -> ``Czechia``,
   ``Turkey`` -> ``Türkiye``), or they differ by small edits (difflib ratio >= 0.85).

Unrelated neighbours (``Slovakia`` / ``Slovenia``, ``Mission to Serbia`` /
``Mission to Skopje``) fail rule 2; look-alikes such as ``Austria`` / ``Australia`` pass
it, and rule 1 is what keeps them apart. Outside the lists of States, a renamed entry
that also moved elsewhere fails rule 1 and is recorded as a removal and an addition
(nothing is lost, only less neat).
Several candidates are paired best-similarity first, each entry at most once.

**States by identity.** In the lists of States (``STATE_LISTS``) a removed and an added
entry whose names are the same country (``storage.countries.country_code``: ISO 3166
via pycountry, plus former names) are one renamed entry wherever each sits, so
``the former Yugoslav Republic of Macedonia`` -> ``North Macedonia`` is a rename even
though it moved in the alphabetical list; two names of different countries are never
a rename. Names that are not countries, and other lists (field operations), follow the
rename rule above.

**Only healthy data is compared** (docs/schema.md: a failed or empty page never means "every
State left"). An observation is not compared when the spider marked it unhealthy (page
not fetched, section not found) or it is empty: status ``unhealthy``. It is
*suspicious* when its size is far from the last snapshot's (outside 80%-125%, with at
least ``max_changes`` entries of slack) or has more than ``max_changes`` change rows
of one kind (added, removed, renamed or note_changed: the chairpersonship moving, a
rename and a new State in one crawl are recorded at once): it is kept in
``list_pending`` with the reason (status ``pending``) and recorded only when the next
observation is the same content (a real change persists; a broken page rarely repeats
itself exactly). An observation equal to the last
snapshot clears the pending one. Both ``unhealthy`` and ``pending`` carry a
``problem`` for the crawl's health report and write no change row.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlite_utils

from storage.countries import country_code
from storage.normalize import clean_text, normalize_for_hash
from storage.schema import utcnow

MAX_CHANGES = 3
COUNT_RANGE = (0.8, 1.25)
CHANGE_KINDS = ("added", "removed", "renamed", "note_changed")
# Lists of States: entries are matched by country identity (module docstring).
STATE_LISTS = ("participating_states", "asian_partners", "mediterranean_partners")


@dataclass
class ListResult:
    """What ``record_list_snapshot`` did: status ``baseline``, ``changed``, ``unchanged``,
    ``unhealthy`` or ``pending``; the change rows it wrote; the snapshot row it wrote (if
    any); and a problem to report, if any."""

    status: str
    changes: list[dict] = field(default_factory=list)
    problem: str | None = None
    snapshot_id: int | None = None


# --- normalising and hashing ------------------------------------------------------
@functools.lru_cache(maxsize=1 << 16)
def key(text: str | None) -> str:
    """What two entries must share to be the same: text with typography made uniform
    (cached: a diff asks for the key of each name many times)."""
    return normalize_for_hash(text)


def normalize_items(items: Iterable[dict]) -> list[dict]:
    """Clean names and notes, drop nameless entries and repeats; keep site order."""
    out, seen = [], set()
    for item in items:
        name = clean_text(item.get("name")).replace("\n\n", " ")
        if not name or key(name) in seen:
            continue
        seen.add(key(name))
        out.append({"name": name, "note": clean_text(item.get("note")).replace("\n\n", " ") or None})
    return out


def items_hash(items: Iterable[dict]) -> str:
    """Hash of a list's content, independent of order and typography."""
    canonical = sorted(json.dumps([key(i["name"]), key(i.get("note"))], ensure_ascii=False)
                       for i in normalize_items(items))
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


# --- the differ ---------------------------------------------------------------------
def _fold_words(name: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", plain)


def similar_names(a: str, b: str) -> bool:
    """Rule 2 of the rename rule (module docstring)."""
    words_a, words_b = _fold_words(a), _fold_words(b)
    if not words_a or not words_b:
        return False
    shared = set(words_a) & set(words_b)
    rest_a = " ".join(w for w in words_a if w not in shared)
    rest_b = " ".join(w for w in words_b if w not in shared)
    if not rest_a or not rest_b:
        return True  # one name's words are all in the other
    common = len(_common_prefix(rest_a, rest_b))
    if common >= 4 and common >= 0.6 * min(len(rest_a), len(rest_b)):
        return True
    return difflib.SequenceMatcher(None, rest_a, rest_b).ratio() >= 0.85


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _gaps(items: list[dict], shared: set[str]) -> dict[str, str | None]:
    """Each entry's gap: the key of the nearest preceding entry in ``shared`` (or None)."""
    gaps, anchor = {}, None
    for item in items:
        k = key(item["name"])
        gaps[k] = anchor
        if k in shared:
            anchor = k
    return gaps


def diff_items(old: Iterable[dict], new: Iterable[dict],
               identity: Callable[[str], str | None] | None = None) -> list[dict]:
    """The change rows that turn list ``old`` into list ``new`` (see the module docstring).

    ``identity`` (e.g. ``country_code``) names what an entry is: a removed and an added
    entry with the same identity are a rename wherever they sit, two different identities
    never are; entries without one follow the rename rule. Removals come first (in the
    old order), then renames, note changes and additions in the new list's order.
    """
    old, new = normalize_items(old), normalize_items(new)
    old_by, new_by = {key(i["name"]): i for i in old}, {key(i["name"]): i for i in new}
    shared = old_by.keys() & new_by.keys()
    removed = [i for i in old if key(i["name"]) not in new_by]
    added = [i for i in new if key(i["name"]) not in old_by]
    old_gap, new_gap = _gaps(old, shared), _gaps(new, shared)

    def score(r: dict, a: dict) -> float | None:
        """Pairing order (lower first), or None when the two are not one entry."""
        ids = (identity(r["name"]), identity(a["name"])) if identity else (None, None)
        if None not in ids:
            return -2.0 if ids[0] == ids[1] else None
        if old_gap[key(r["name"])] == new_gap[key(a["name"])] and similar_names(r["name"], a["name"]):
            return -difflib.SequenceMatcher(None, key(r["name"]), key(a["name"])).ratio()
        return None

    scored = ((score(r, a), ri, ai) for ri, r in enumerate(removed) for ai, a in enumerate(added))
    candidates = sorted(c for c in scored if c[0] is not None)
    renamed_from: dict[int, dict] = {}
    used: set[int] = set()
    for _, ri, ai in candidates:
        if ri not in used and ai not in renamed_from:
            used.add(ri)
            renamed_from[ai] = removed[ri]
    changes = [_row("removed", r["name"], r["note"], None)
               for ri, r in enumerate(removed) if ri not in used]
    added_index = {key(a["name"]): ai for ai, a in enumerate(added)}
    for item in new:
        k = key(item["name"])
        if k in shared:
            before = old_by[k]
        elif added_index[k] in renamed_from:
            before = renamed_from[added_index[k]]
            changes.append(_row("renamed", item["name"], before["name"], item["name"]))
        else:
            changes.append(_row("added", item["name"], None, item["note"]))
            continue
        if key(before["note"]) != key(item["note"]):
            changes.append(_row("note_changed", item["name"], before["note"], item["note"]))
    return changes


def _row(change: str, item: str, before: str | None, after: str | None) -> dict:
    return {"change": change, "item": item, "before": before, "after": after}


# --- health -----------------------------------------------------------------------
def suspicion(previous: list[dict], items: list[dict], changes: list[dict],
              max_changes: int = MAX_CHANGES) -> str | None:
    """Why an observation looks too different from the last snapshot to trust, or None."""
    before, now = len(previous), len(items)
    low, high = COUNT_RANGE
    if now < min(before * low, before - max_changes) or now > max(before * high, before + max_changes):
        return f"{now} entries, against {before} in the last snapshot"
    for kind in CHANGE_KINDS:  # a new chair (two notes), a rename and a new State are one step
        count = sum(1 for change in changes if change["change"] == kind)
        if count > max_changes:
            return f"{count} entries {kind} at once (more than {max_changes})"
    return None


# --- recording ----------------------------------------------------------------------
def record_list_snapshot(
    db: sqlite_utils.Database, name: str, items: list[dict], *, healthy: bool = True,
    reason: str | None = None, run_id: int | None = None, now: str | None = None,
    max_changes: int = MAX_CHANGES,
) -> ListResult:
    """Compare the list ``name`` as just read with its last snapshot and record the
    difference (see the module docstring for what counts and when nothing is recorded)."""
    now = now or utcnow()
    items = normalize_items(items)
    if not healthy or not items:
        why = reason or "no entries"
        return ListResult("unhealthy", problem=f"list {name} not compared: {why}")
    digest = items_hash(items)
    last = db.execute(
        "SELECT id, content_hash, items FROM list_snapshots WHERE list = ? ORDER BY id DESC LIMIT 1",
        [name],
    ).fetchone()
    pending = db.execute(
        "SELECT content_hash, run_id FROM list_pending WHERE list = ?", [name]).fetchone()
    if last and last[1] == digest:
        if pending:
            db.execute("DELETE FROM list_pending WHERE list = ?", [name])
        return ListResult("unchanged")
    previous = json.loads(last[2]) if last else []
    identity = country_code if name in STATE_LISTS else None
    changes = diff_items(previous, items, identity) if last else []
    why = suspicion(previous, items, changes, max_changes) if last else None
    confirmed = bool(why and pending and pending[0] == digest and (run_id is None or pending[1] != run_id))
    with db.atomic():
        if why and not confirmed:
            db.table("list_pending").upsert({
                "list": name, "seen_at": now, "content_hash": digest, "reason": why, "run_id": run_id,
                "items": json.dumps(items, ensure_ascii=False)}, pk="list")
            return ListResult("pending", problem=(
                f"list {name} not compared: {why}; recorded only if the next crawl sees the same"))
        snapshot_id = db.table("list_snapshots").insert({
            "list": name, "taken_at": now, "content_hash": digest,
            "items": json.dumps(items, ensure_ascii=False), "run_id": run_id,
        }).last_pk
        rows = [{"list": name, **change, "detected_at": now, "snapshot_id": snapshot_id}
                for change in changes]
        db.table("list_changes").insert_all(rows)
        if pending:
            db.execute("DELETE FROM list_pending WHERE list = ?", [name])
    return ListResult("baseline" if last is None else "changed", rows, snapshot_id=snapshot_id)


def list_changes(db: sqlite_utils.Database, *, since: str | None = None,
                 lists: Iterable[str] = ()) -> list[dict]:
    """Recorded list changes, oldest first, optionally since a time and for some lists."""
    if "list_changes" not in db.table_names():
        return []
    where, params = [], []
    if since:
        where.append("detected_at >= ?")
        params.append(since)
    lists = list(lists)
    if lists:
        where.append(f"list IN ({', '.join('?' for _ in lists)})")
        params += lists
    sql = ("SELECT id, list, change, item, before, after, detected_at, snapshot_id FROM list_changes"
           + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY detected_at, id")
    return list(db.query(sql, params))
