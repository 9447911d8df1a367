"""store_release: new, unchanged, changed (versions), duplicate URLs and near-duplicates."""

import json

import pytest

from storage import neardup, open_db, store_release
from storage.releases import InvalidRelease

PARAS = [
    "VIENNA, 15 November 2007 - Clarity on Kosovo's future is critical for the communities in "
    "Kosovo and to ensuring stability in the region, said Joachim Ruecker, Special Representative "
    "of the United Nations Secretary-General, addressing the OSCE Permanent Council in Vienna today.",
    "In his speech Ruecker also highlighted the OSCE's work in Kosovo. Its comparative advantage, "
    "the extensive field presence, is now, more than ever, an indispensable tool through which the "
    "rest of the international community remains well informed on what is happening throughout Kosovo.",
    "On status talks, Ruecker said: I continue to have faith in a positive outcome. An agreed solution "
    "will be optimal outcome, and the easiest to implement.",
    "The Permanent Council is the OSCE's main, regular decision-making body. It meets weekly in "
    "Vienna to discuss developments in the 56-country OSCE area and to make appropriate decisions.",
]
ITEM = {"source": "osce", "url": "https://www.osce.org/pc/49473", "title": "OSCE plays indispensable role",
        "body": "\n\n".join(PARAS), "published": "2007-11-15", "place": "VIENNA",
        "issuers": ["Permanent Council"], "fields_of_work": ["Conflict prevention and resolution"]}


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "t.db")
    yield database
    database.close()


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_schema_is_public_contract_and_wal(db):
    assert db.journal_mode == "wal"
    cols = {t: set(db.table(t).columns_dict) for t in ("releases", "release_urls", "release_versions",
                                                       "list_snapshots", "list_changes", "crawl_runs")}
    assert {"id", "source", "url", "title", "published", "place", "body", "content_hash",
            "fields_of_work", "issuers", "topics", "symbol", "document_type", "first_seen",
            "last_seen"} <= cols["releases"]
    assert {"url", "release_id", "first_seen"} <= cols["release_urls"]
    assert {"id", "release_id", "content_hash", "title", "body", "seen_at"} <= cols["release_versions"]
    assert {"id", "list", "taken_at", "content_hash", "items"} <= cols["list_snapshots"]
    assert {"id", "list", "change", "item", "before", "after", "detected_at", "snapshot_id"} <= cols["list_changes"]
    assert {"id", "spider", "started_at", "finished_at", "status", "pages", "items_new",
            "items_changed", "items_unchanged", "errors", "finish_reason"} <= cols["crawl_runs"]
    assert db.table("release_urls").foreign_keys[0].other_table == "releases"


def test_new_then_unchanged_moves_only_last_seen(db):
    first = store_release(db, ITEM, now="2026-01-01T00:00:00Z")
    again = store_release(db, ITEM, now="2026-01-02T00:00:00Z")
    assert (first.status, again.status) == ("new", "unchanged")
    row = db.execute("SELECT first_seen, last_seen, issuers, fields_of_work FROM releases").fetchone()
    assert row[:2] == ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
    assert json.loads(row[2]) == ["Permanent Council"]
    assert (count(db, "releases"), count(db, "release_versions"), count(db, "release_urls")) == (1, 1, 1)


def test_same_url_changed_text_is_a_new_version(db):
    store_release(db, ITEM)
    edited = {**ITEM, "body": ITEM["body"].replace("critical", "crucial")}
    result = store_release(db, edited)
    assert result.status == "changed"
    assert (count(db, "releases"), count(db, "release_versions")) == (1, 2)
    assert "crucial" in db.execute("SELECT body FROM releases").fetchone()[0]
    assert store_release(db, edited).status == "unchanged"


def test_same_text_at_another_url_is_one_release(db):
    store_release(db, ITEM)
    mirror = {**ITEM, "source": "article", "url": "https://mirror.example/story?utm_source=x",
              "body": ITEM["body"].replace("'", "\u2019").replace(" - ", " \u2013 ")}
    result = store_release(db, mirror)
    assert result.status == "duplicate"
    assert count(db, "releases") == 1 and count(db, "release_versions") == 1
    assert [r[0] for r in db.execute("SELECT url FROM release_urls ORDER BY url")] == [
        "https://mirror.example/story", "https://www.osce.org/pc/49473"]


def test_small_edits_are_a_near_duplicate(db):
    store_release(db, ITEM)
    copy = {**ITEM, "source": "article", "url": "https://mirror.example/b",
            "title": "OSCE plays indispensable role | Mirror",
            "body": "\n\n".join(PARAS[:3]).replace("Ruecker", "Rücker", 1)}
    result = store_release(db, copy)
    assert result.status == "near_duplicate" and result.similarity >= 0.7
    assert count(db, "releases") == 1


def test_unrelated_text_is_a_new_release(db):
    store_release(db, ITEM)
    other = {**ITEM, "url": "https://www.osce.org/pc/2", "title": "Another",
             "body": " ".join(f"word{i} text{i * 7} sentence{i % 13}." for i in range(120))}
    assert store_release(db, other).status == "new"
    assert count(db, "releases") == 2


def test_mirror_first_then_original_takes_the_source(db):
    store_release(db, {**ITEM, "source": "article", "url": "https://mirror.example/x", "published": None})
    result = store_release(db, ITEM)
    assert result.status == "duplicate"
    assert db.execute("SELECT source, published FROM releases").fetchone() == ("osce", "2007-11-15")


def test_invalid_items_are_refused(db):
    with pytest.raises(InvalidRelease):
        store_release(db, {"source": "osce", "url": "https://x/1", "title": "", "body": " "})
    with pytest.raises(InvalidRelease):
        store_release(db, {"title": "t", "body": "b"})
    assert count(db, "releases") == 0


STATEMENT = ("The members of the Security Council condemned in the strongest terms the heinous and "
             "cowardly terrorist attack that occurred in {place} on {day} September 2023, which caused "
             "numerous deaths and injuries. The members of the Security Council expressed their deepest "
             "sympathy and condolences to the families of the victims and to the Government of {country}, "
             "and they wished a speedy and full recovery to those who were injured. The members of the "
             "Security Council reaffirmed that terrorism in all its forms and manifestations constitutes one "
             "of the most serious threats to international peace and security. The members of the Security "
             "Council underlined the need to hold perpetrators, organizers, financiers and sponsors of these "
             "reprehensible acts of terrorism accountable and bring them to justice, and urged all States, in "
             "accordance with their obligations under international law and relevant Security Council "
             "resolutions, to cooperate actively with all relevant authorities in this regard.")


def statement(number: int, place: str, country: str, day: int) -> dict:
    return {"source": "un_press", "url": f"https://press.un.org/en/2023/sc{number}.doc.htm",
            "title": f"Security Council Press Statement on Terrorist Attack in {place}",
            "body": STATEMENT.format(place=place, country=country, day=day),
            "published": f"2023-09-{day:02d}", "symbol": f"SC/{number}", "document_type": "Press Release"}


def test_formulaic_statements_of_one_source_stay_apart(db):
    """Two Security Council press statements differ in a few words: other releases all the same."""
    first, second = statement(15445, "Mogadishu", "Somalia", 20), statement(15446, "Brussels", "Belgium", 21)
    assert neardup.similarity(neardup.signature(first["body"]), neardup.signature(second["body"])) >= neardup.THRESHOLD
    assert store_release(db, first).status == "new"
    assert store_release(db, second).status == "new"
    same_day = statement(15447, "Kabul", "Afghanistan", 20)
    assert store_release(db, same_day).status == "new"
    assert count(db, "releases") == 3


def test_a_primary_copy_with_small_edits_at_another_url_is_still_near_duplicate(db):
    store_release(db, ITEM)
    edited = {**ITEM, "url": "https://www.osce.org/chairpersonship/49473",
              "body": ITEM["body"].replace("optimal outcome", "the optimal outcome")}
    assert store_release(db, edited).status == "near_duplicate"


def test_buckets_of_the_earlier_format_are_rebuilt_on_open_and_still_find_copies(tmp_path):
    path = tmp_path / "old.db"
    db = open_db(path)
    store_release(db, ITEM)
    store_release(db, {**ITEM, "url": "https://www.osce.org/pc/2", "title": "Another", "body": "\n\n".join(PARAS[1:])})
    # The earlier format: (band, hex bucket, release_id), a rowid table with two indexes.
    with db.atomic():
        db.execute("DROP TABLE release_bands")
        db.execute("CREATE TABLE release_bands (band INTEGER, bucket TEXT, release_id INTEGER "
                   "REFERENCES releases(id), PRIMARY KEY (band, bucket, release_id))")
        db.execute("CREATE INDEX idx_release_bands_release_id ON release_bands (release_id)")
        db.execute("INSERT INTO release_bands VALUES (0, 'a3f0', 1)")
    db.close()

    db = open_db(path)
    columns = [row[1] for row in db.execute("PRAGMA table_info(release_bands)")]
    assert columns == ["bucket", "release_id"]
    assert db.execute("SELECT count(DISTINCT release_id), count(*) FROM release_bands").fetchone() == (2, 64)
    assert db.execute("SELECT count(*) FROM release_bands_recent").fetchone() == (0,)
    copy = {**ITEM, "source": "article", "url": "https://mirror.example/b",
            "body": "\n\n".join(PARAS[:3]).replace("Ruecker", "Rücker", 1)}
    assert store_release(db, copy).status == "near_duplicate"
    db.close()


def test_an_edit_replaces_the_release_buckets(db):
    store_release(db, ITEM)
    before = {key for (key,) in db.execute(f"SELECT bucket FROM {neardup.BOTH}")}
    store_release(db, {**ITEM, "body": "\n\n".join(PARAS[1:])})
    after = {key for (key,) in db.execute(f"SELECT bucket FROM {neardup.BOTH}")}
    assert len(before) == len(after) == 32 and before != after


def test_recent_buckets_are_merged_and_copies_are_found_on_both_sides(db, monkeypatch):
    monkeypatch.setattr(neardup, "MERGE_MIN", 3)
    items = [{**ITEM, "url": f"https://www.osce.org/pc/{n}", "title": f"Statement {n}",
              "body": f"VIENNA, {n} May 2024 - Statement number {n}. " + " ".join(PARAS[n % 4:] + PARAS[:n % 4])
              + f" Closing words {n} " * 3} for n in range(1, 10)]
    for item in items:
        store_release(db, item)
    merged = db.execute("SELECT count(DISTINCT release_id) FROM release_bands").fetchone()[0]
    recent = db.execute("SELECT count(DISTINCT release_id) FROM release_bands_recent").fetchone()[0]
    assert (merged, recent) == (8, 1)  # merged at releases 4 and 8
    assert db.execute("SELECT upto FROM release_bands_merge").fetchone()[0] == merged
    for n in (1, 9):  # one merged, one recent
        copy = {**items[n - 1], "source": "article", "url": f"https://mirror.example/{n}",
                "body": items[n - 1]["body"].replace("Ruecker", "Rücker", 1)}
        result = store_release(db, copy)
        assert (result.status, result.release_id) == ("near_duplicate", n)
    store_release(db, {**items[0], "body": "\n\n".join(PARAS[2:]) + " An edited text entirely."})
    assert db.execute("SELECT count(*) FROM release_bands WHERE release_id = 1").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM release_bands_recent WHERE release_id = 1").fetchone()[0] == 32
