"""A small database for the CLI tests: three releases (one edited twice), runs, lists."""

from __future__ import annotations

from pathlib import Path

from freezegun import freeze_time

from storage import open_db, store_release
from storage.lists import record_list_snapshot
from storage.runs import close_run, start_run

KOSOVO = ("The OSCE Mission in Kosovo monitors the elections. Observers visited polling stations "
          "across the region and reported an orderly vote. ")
RELEASES = [
    {"source": "osce", "url": "https://www.osce.org/pc/1", "title": "Monitoring mission reports on elections",
     "published": "2024-03-01", "body": KOSOVO * 3},
    {"source": "osce", "url": "https://www.osce.org/pc/2", "title": "Chairperson meets Lavrov in Moscow",
     "published": "2020-02-26", "body": "The Chairperson met Sergey Lavrov; monitoring was discussed. " * 3},
    {"source": "un_press", "url": "https://press.un.org/en/2023/sc1.doc.htm", "title": "Council briefing",
     "published": "2023-09-21", "body": "The Security Council heard a briefing on cooperation. " * 3},
]


def build_cli_db(path: Path) -> Path:
    """The database at ``path``: releases 1-3 (release 1 has three versions), two runs,
    one list; no scheduled jobs."""
    db = open_db(path)
    try:
        with freeze_time("2026-01-01 08:00:00"):
            run = start_run(db, "osce")
            for item in RELEASES:
                store_release(db, item)
            record_list_snapshot(db, "participating_states", [{"name": "Finland", "note": None}])
            close_run(db, run, status="ok", reason="", finish_reason="finished", pages=3, items_new=3)
        with freeze_time("2026-01-02 08:00:00"):
            store_release(db, {**RELEASES[0], "body": KOSOVO * 3 + "A second round follows in April."})
        with freeze_time("2026-01-03 08:00:00"):
            run = start_run(db, "osce")
            store_release(db, {**RELEASES[0], "body": KOSOVO * 3 + "A second round follows in May."})
            close_run(db, run, status="degraded", reason="1 page failed", finish_reason="finished")
    finally:
        db.close()
    return path
