"""A database with known content for the Datasette tests, written by the storage functions.

The three OSCE seed releases (the 2020 one with a hostile ``<script>`` title), an edit of
the 2024 release, the 2007 release again on a mirror, a UN News story, two snapshots of
the OSCE lists (the chairpersonship note moves from Finland to Switzerland, the Mission
to Skopje closes) and two crawl runs, one of them degraded.
"""

from __future__ import annotations

from pathlib import Path

from crawler.localsite import osce
from storage import open_db, store_release
from storage.lists import record_list_snapshot
from storage.normalize import parse_date, split_note
from storage.runs import close_run, start_run

OSCE = "https://www.osce.org"
SCRIPT = "<script>alert(1)</script>"
MARKUP_BODY = "Text with **bold** and <b>tags</b> and [a link](javascript:alert(2))."
EDIT = "The two Organizations will report on progress at the next meeting."
MIRROR_URL = "https://mirror.example.org/news/ban-kosovo-osce"
DAY1, DAY2 = "2025-01-10T08:00:00Z", "2025-01-11T08:00:00Z"
# (list, change, item) rows the second snapshots must produce.
EXPECTED_CHANGES = {
    ("participating_states", "note_changed", "Finland"),
    ("participating_states", "note_changed", "Switzerland"),
    ("field_operations", "removed", "Mission to Skopje"),
}


def osce_item(release: osce.Release, **overrides) -> dict:
    """A release as the OSCE spider hands it to ``store_release``."""
    return {
        "source": "osce", "url": OSCE + release.path, "title": release.title,
        "body": "\n\n".join(release.paragraphs), "published": parse_date(release.date),
        "place": release.place, "issuers": release.sources,
        "fields_of_work": release.fields_of_work, **overrides,
    }


def un_news_item() -> dict:
    """The UN News seed story (site chrome and the repeated title dropped)."""
    lines = [line for line in (osce.SEEDS / "un_news_2007_ban_osce.txt").read_text().splitlines()
             if line.strip()]
    title, paragraphs = lines[1], [p for p in lines[2:] if p != lines[1]]
    return {"source": "un_news", "url": "https://news.un.org/en/story/2007/11/241042",
            "title": title, "body": "\n\n".join(paragraphs), "published": "2007-11-29",
            "topics": ["UN Affairs", "Peace and Security"]}


def list_items(entries: list[str]) -> list[dict]:
    return [dict(zip(("name", "note"), split_note(entry), strict=True)) for entry in entries]


def build_browse_db(path: Path) -> dict[str, int]:
    """Write the known content to ``path``; return the ids of the releases by role."""
    db = open_db(path)
    try:
        current, hostile, kosovo = osce.seed_releases()  # 2024, 2020, 2007
        ids = {
            "edited": store_release(db, osce_item(current), now=DAY1).release_id,
            "script": store_release(db, osce_item(hostile, title=f"{SCRIPT} {hostile.title}"),
                                    now=DAY1).release_id,
            "kosovo": store_release(db, osce_item(kosovo), now=DAY1).release_id,
            "un_news": store_release(db, un_news_item(), now=DAY1).release_id,
            "markup": store_release(db, {"source": "article", "url": "https://example.org/markup",
                                         "title": "A page with markup in its text",
                                         "body": MARKUP_BODY}, now=DAY1).release_id,
        }
        edited = osce_item(current)
        edited["body"] += " " + EDIT
        assert store_release(db, edited, now=DAY2).status == "changed"
        assert store_release(db, osce_item(kosovo, source="article", url=MIRROR_URL),
                             now=DAY2).status == "duplicate"
        _record_lists(db)
        _record_runs(db)
    finally:
        db.close()
    return ids


def _record_lists(db) -> None:
    menu = osce.seed_menu()
    states_after = ["Finland" if s.startswith("Finland") else
                    "Switzerland – OSCE Chairpersonship 2026" if s == "Switzerland" else s
                    for s in menu.states]
    operations_after = [o for o in menu.field_operations if o != "Mission to Skopje"]
    for name, before, after in (("participating_states", menu.states, states_after),
                                ("field_operations", menu.field_operations, operations_after)):
        record_list_snapshot(db, name, list_items(before), now=DAY1)
        result = record_list_snapshot(db, name, list_items(after), now=DAY2)
        assert result.status == "changed"
        if not result.changes:
            # storage/lists.py does not compute changes yet (issue 5): write them as it will.
            _write_changes(db, name, before, after)


def _write_changes(db, name: str, before: list[str], after: list[str]) -> None:
    snapshot = db.execute("SELECT max(id) FROM list_snapshots WHERE list = ?", [name]).fetchone()[0]
    old, new = dict(map(split_note, before)), dict(map(split_note, after))
    rows = [{"change": "removed", "item": item, "before": item, "after": None}
            for item in old if item not in new]
    rows += [{"change": "note_changed", "item": item, "before": old[item], "after": new[item]}
             for item in old if item in new and old[item] != new[item]]
    db.table("list_changes").insert_all(
        [{"list": name, "detected_at": DAY2, "snapshot_id": snapshot, **row} for row in rows])


def _record_runs(db) -> None:
    ok = start_run(db, "osce", trigger="test")
    close_run(db, ok, status="ok", reason="ok", finish_reason="finished", pages=5, items_new=4)
    degraded = start_run(db, "un_news", trigger="test")
    close_run(db, degraded, status="degraded", reason="1 problem(s)", finish_reason="finished",
              problems=[{"url": "https://news.un.org/en/story/2007/11/999999",
                         "error": "no release found on the page", "at": DAY2}],
              pages=3, items_new=1)
