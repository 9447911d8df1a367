"""Hostile content is stored as text: markup, script links, SQL-looking text, control
characters and very long strings round-trip through storage (as far as the normaliser
allows), every query is parameterised, and the crawl stores what the page says."""

from __future__ import annotations

import sqlite3
from html import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.localsite import osce
from crawler.localsite.server import LocalSite, Page
from storage import open_db, store_release
from storage.normalize import clean_text
from tests.conftest import scrapy_crawl

HOSTILE = {
    "script": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "javascript-link": '<a href="javascript:alert(document.cookie)">read more</a>',
    "sql-drop": "'; DROP TABLE releases; --",
    "sql-or": 'Robert"); DELETE FROM release_urls WHERE ("1"="1',
    "sql-wildcards": "100% of _all_ \\ back\\slashes ? :name @p $1 %s {} {0}",
    "unicode": "Z\u00fcrich \u2013 \u201cquoted\u201d \U0001d518\U0001d52b\U0001d526 \U0001f54a\ufe0f RTL \u202e desrever",
    "very-long": "word " * 200_000,
}
CONTROLS = "tab\there, bell\x07, null\x00, escape\x1b[31m, delete\x7f, zero\u200bwidth"


def store(db, key: str, title: str, body: str):
    return store_release(db, {"source": "osce", "url": f"https://www.osce.org/pc/{key}", "title": title,
                              "body": body, "published": "2024-03-01"})


@pytest.mark.parametrize("key", HOSTILE)
def test_hostile_text_round_trips_exactly(db_path, key):
    db = open_db(db_path)
    text = HOSTILE[key].strip()
    body = f"VIENNA, 1 March 2024 - {text}\n\nSecond paragraph: {text}"
    result = store(db, key, text, body)
    row = db.execute("SELECT title, body FROM releases WHERE id = ?", [result.release_id]).fetchone()
    version = db.execute("SELECT title, body FROM release_versions WHERE release_id = ?", [result.release_id]).fetchone()
    assert row == version == (text, body)
    assert db.execute("SELECT count(*) FROM releases").fetchone()[0] == 1  # nothing dropped
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_control_characters_are_stripped_and_nothing_else(db_path):
    db = open_db(db_path)
    result = store(db, "controls", CONTROLS, CONTROLS)
    title, body = db.execute("SELECT title, body FROM releases WHERE id = ?", [result.release_id]).fetchone()
    assert title == body == "tab here, bell, null, escape[31m, delete, zerowidth"
    db.close()


@settings(deadline=None, max_examples=60)
@given(st.text(min_size=1), st.text(min_size=1))
def test_any_text_is_stored_as_the_normaliser_cleans_it(tmp_path_factory, title, body):
    db = open_db(tmp_path_factory.mktemp("any") / "r.db")
    if not (clean_text(title) or clean_text(body)):
        return  # an item with neither title nor body is refused (InvalidRelease)
    result = store(db, "any", title, body)
    stored = db.execute("SELECT title, body FROM releases WHERE id = ?", [result.release_id]).fetchone()
    assert stored == (clean_text(title).replace("\n\n", " ") or None, clean_text(body) or None)
    db.close()


def test_storage_builds_no_sql_from_values():
    """The f-strings that build SQL in storage/ interpolate only column lists and
    placeholders (checked by reading them), so hostile text can only ever be a value."""
    import ast
    from pathlib import Path

    from tests.conftest import ROOT

    allowed = {"META_FIELDS", "RUN_COLUMNS", "SEARCH_TABLE", "RELEASE_COLUMNS", "CACHE_KB", "len", "where", "BUSY_TIMEOUT_MS", "savepoint",
               "BANDS", "BOTH", "band"}  # neardup: the band count, its two tables' union, a band number
    for path in sorted((ROOT / "storage").glob("*.py")):
        for node in ast.walk(ast.parse(Path(path).read_text())):
            if not isinstance(node, ast.JoinedStr):
                continue
            literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant)).upper()
            if not any(word in literal for word in ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "PRAGMA ", " WHERE")):
                continue
            names = {n.id for v in node.values if isinstance(v, ast.FormattedValue) for n in ast.walk(v)
                     if isinstance(n, ast.Name)}
            assert names <= allowed, f"{path.name}:{node.lineno} builds SQL from {names - allowed}"


@pytest.mark.slow
def test_crawled_hostile_page_is_stored_as_text_and_runs_no_script(db_path):
    rel = osce.seed_releases()[2]
    title = "<script>alert('x')</script> '; DROP TABLE releases; --"
    page = osce.page_html(osce.seed_menu(), title, osce.release_main(rel).replace(
        escape(rel.title), escape(title)).replace(
        "<p>" + escape(rel.paragraphs[1]), "<p><script>window.stolen = document.cookie</script>"
        "See <a href=\"javascript:alert(1)\">the statement</a> &lt;b&gt;bold&lt;/b&gt; "
        + escape(rel.paragraphs[1]) + " " + "x" * 100_000, 1))
    pages = osce.build_site([rel])
    pages[rel.path] = Page(page)
    with LocalSite(pages) as site:
        result = scrapy_crawl("osce", db_path, {"OSCE_BASE_URL": site.url})
        assert not [hit for hit in site.log if "javascript" in hit.path or "alert" in hit.path]
    row = result.rows("SELECT title, body FROM releases")[0]
    assert row["title"] == title
    assert "See the statement <b>bold</b> " + rel.paragraphs[1] in row["body"]
    assert "stolen" not in row["body"] and "x" * 100_000 in row["body"]
    assert result.rows("SELECT status FROM crawl_runs") == [{"status": "ok"}]
    conn = sqlite3.connect(db_path)
    assert {"releases", "release_urls", "release_versions"} <= {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
