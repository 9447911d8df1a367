"""``release_mirrors`` (storage/browse.py): the releases seen at more than one URL, kept by
triggers on ``release_urls`` and filled on an older database; the ``mirrors`` query reads
it and answers what it answered when it grouped every URL."""

from __future__ import annotations

import pytest
from datasette.app import Datasette

from crawler.web.serve import datasette_options
from storage import open_db, store_release
from tests.browse_data import MIRROR_URL, build_browse_db

pytestmark = pytest.mark.anyio
DB = "/releasewatch"
FROM_URLS = ("select release_id, count(*) from release_urls group by release_id "
             "having count(*) > 1 order by release_id")
SUMMARY = "select release_id, urls from release_mirrors order by release_id"
# The mirrors query as it was before release_mirrors: grouping every URL.
MIRRORS_BEFORE = """
    select u.release_id, r.title, u.url, u.source, u.similarity, u.first_seen,
           u.url = r.url as first_sighting
    from release_urls u join releases r on r.id = u.release_id
    where u.release_id in (
      select release_id from release_urls group by release_id having count(*) > 1)
    order by r.last_seen desc, u.release_id, u.first_seen, u.url"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def add_url(db, url: str, release_id: int) -> None:
    db.execute("insert into release_urls (url, release_id, first_seen, last_seen, source, content_hash, "
               "similarity) values (?, ?, '2025-05-01T00:00:00Z', '2025-05-01T00:00:00Z', 'article', 'h', 0.9)",
               [url, release_id])


def test_summary_follows_every_change_to_release_urls(tmp_path):
    path = tmp_path / "releasewatch.db"
    ids = build_browse_db(path)
    db = open_db(path)
    assert db.execute(SUMMARY).fetchall() == db.execute(FROM_URLS).fetchall() == [(ids["kosovo"], 2)]
    other = ids["edited"]
    with db.atomic():
        add_url(db, "https://copy.example/1", other)
    assert db.execute(SUMMARY).fetchall() == db.execute(FROM_URLS).fetchall()
    with db.atomic():
        add_url(db, "https://copy.example/2", other)
        db.execute("update release_urls set release_id = ? where url = ?", [other, MIRROR_URL])
    assert db.execute(SUMMARY).fetchall() == db.execute(FROM_URLS).fetchall() == [(other, 4)]
    with db.atomic():
        db.execute("delete from release_urls where url like 'https://copy.example/%'")
    assert db.execute(SUMMARY).fetchall() == db.execute(FROM_URLS).fetchall() == [(other, 2)]
    store_release(db, {"source": "article", "url": "https://copy.example/3", "title": "Kosovo, again",
                       "body": "A new text."})  # the writer's own path
    assert db.execute(SUMMARY).fetchall() == db.execute(FROM_URLS).fetchall()
    db.close()


def test_older_database_gets_the_summary_on_open(tmp_path):
    path = tmp_path / "releasewatch.db"
    build_browse_db(path)
    db = open_db(path)
    expected = db.execute(FROM_URLS).fetchall()
    with db.atomic():  # as an older releasewatch left it
        for suffix in ("ai", "ad", "au"):
            db.execute(f"drop trigger release_urls_mirrors_{suffix}")
        db.execute("drop table release_mirrors")
    db.close()
    db = open_db(path)
    assert db.execute(SUMMARY).fetchall() == expected and expected
    assert {f"release_urls_mirrors_{s}" for s in ("ai", "ad", "au")} <= {t.name for t in db.table("release_urls").triggers}
    db.close()


async def test_mirrors_query_answers_as_before(tmp_path):
    """Same rows in the same order as the query that grouped every URL, on a database with
    several mirrored releases; and it no longer reads every URL."""
    path = tmp_path / "releasewatch.db"
    ids = build_browse_db(path)
    db = open_db(path)
    with db.atomic():
        for n, release_id in enumerate(ids.values()):
            add_url(db, f"https://copy.example/{n}", release_id)
            if n % 2:
                add_url(db, f"https://copy.example/{n}b", release_id)
    expected = [list(row) for row in db.execute(MIRRORS_BEFORE).fetchall()]
    db.close()
    ds = Datasette([str(path)], **datasette_options(path))
    await ds.invoke_startup()
    response = await ds.client.get(f"{DB}/mirrors.json?_shape=arrays")
    assert response.status_code == 200
    assert response.json()["rows"] == expected and len(expected) > 2 * len(set(ids.values()))
    sql = ds.metadata("queries", database="releasewatch")["mirrors"]["sql"]
    db = open_db(path)
    plan = " ".join(row[3] for row in db.execute("explain query plan " + sql))
    db.close()
    assert plan.startswith("SCAN m") and "SCAN" not in plan[len("SCAN m"):]
