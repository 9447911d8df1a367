"""The tracked lists' history as readable lines (``releasewatch changes``, the demo)."""

from __future__ import annotations

NONE = "\u2014"  # shown for "no note"
ARROW = "\u2192"


def describe(row: dict) -> str:
    """What happened to the entry, in words: ``Switzerland: — → OSCE Chairpersonship 2026``."""
    change, item = row["change"], row["item"]
    if change == "renamed":
        return f"{row['before']} {ARROW} {row['after']}"
    if change == "note_changed":
        return f"{item}: {row['before'] or NONE} {ARROW} {row['after'] or NONE}"
    note = row["after"] if change == "added" else row["before"]
    return f"{item} \u2013 {note}" if note else item


def timeline_lines(rows: list[dict]) -> list[str]:
    """One plain line per change: date, list, change, what happened."""
    return [f"{r['detected_at'][:10]}  {r['list']}  {r['change']}  {describe(r)}" for r in rows]
