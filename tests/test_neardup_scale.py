"""Near-duplicate search on an archive of thousands of formulaic statements: bounded work,
same answers (a mirror of one statement is found, statements of one source stay apart)."""

import random

import pytest

from storage import neardup, open_db
from storage.releases import store_release

STATEMENTS = 2500
TEMPLATE = ("The members of the Security Council condemned in the strongest terms the heinous and "
            "cowardly terrorist attack that occurred in {place} on {day} {month} 2023, which caused "
            "{deaths} deaths and numerous injuries. The members of the Security Council expressed their "
            "deepest sympathy and condolences to the families of the victims and to the Government of "
            "{country}, and they wished a speedy and full recovery to those who were injured. The members "
            "of the Security Council reaffirmed that terrorism in all its forms and manifestations "
            "constitutes one of the most serious threats to international peace and security. The members "
            "of the Security Council underlined the need to hold perpetrators, organizers, financiers and "
            "sponsors of these reprehensible acts of terrorism accountable and bring them to justice, and "
            "urged all States, in accordance with their obligations under international law and relevant "
            "Security Council resolutions, to cooperate actively with all relevant authorities in this regard.")
PLACES = ["Mogadishu", "Kabul", "Brussels", "Bamako", "Niamey", "Baghdad", "Istanbul", "Karachi", "Goma", "Aden"]
COUNTRIES = ["Somalia", "Afghanistan", "Belgium", "Mali", "Niger", "Iraq", "Türkiye", "Pakistan", "Yemen"]
MONTHS = ["January", "March", "May", "July", "September", "November"]


def statement(n: int, rng: random.Random) -> dict:
    place, month, day = rng.choice(PLACES), rng.choice(MONTHS), rng.randint(1, 28)
    return {"source": "un_press", "url": f"https://press.un.org/en/2023/sc{10000 + n}.doc.htm",
            "title": f"Security Council Press Statement on Terrorist Attack in {place}",
            "body": TEMPLATE.format(place=place, day=day, month=month, deaths=rng.randint(2, 900),
                                    country=rng.choice(COUNTRIES)),
            "published": f"2023-{MONTHS.index(month) * 2 + 1:02d}-{day:02d}", "symbol": f"SC/{10000 + n}"}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A database of 2,500 Security Council press statements of one template."""
    rng = random.Random(4)
    items = [statement(n, rng) for n in range(STATEMENTS)]
    db = open_db(tmp_path_factory.mktemp("archive") / "archive.db")
    with db.atomic():
        results = [store_release(db, item) for item in items]
    assert {r.status for r in results} == {"new"}
    yield db, items
    db.close()


def test_a_search_reads_a_bounded_number_of_rows_and_candidates(archive):
    db, _ = archive
    hottest = db.execute(f"SELECT count(*) AS n FROM {neardup.BOTH} GROUP BY bucket "
                         "ORDER BY n DESC LIMIT 1").fetchone()[0]
    assert hottest > 10 * neardup.BUCKET_ROWS  # buckets that thousands of statements share

    search = neardup.Search()
    sig = neardup.signature(statement(STATEMENTS + 1, random.Random(9))["body"])
    neardup.find_near_duplicate(db, sig, search=search)
    assert 0 < search.rows_read <= neardup.BANDS * (neardup.BUCKET_ROWS + 1)
    assert 0 < len(search.candidates) <= neardup.CANDIDATES
    assert search.compared <= neardup.CANDIDATES
    # The candidates are near-identical statements: without the bound there would be thousands.
    assert min(c.similarity for c in search.candidates) >= 0.5


def test_the_told_apart_rules_run_before_any_similarity(archive):
    db, _ = archive
    search = neardup.Search()
    sig = neardup.signature(statement(STATEMENTS + 2, random.Random(9))["body"])
    assert neardup.find_near_duplicate(db, sig, lambda c: True, search) is None
    assert search.candidates and search.compared == 0


def test_a_mirror_of_the_oldest_statement_is_found_among_thousands(archive):
    db, items = archive
    original = items[0]
    mirror = {"source": "article", "url": "https://mirror.example/sc-statement",
              "title": original["title"],
              "body": original["body"].replace("heinous and cowardly", "heinous, cowardly")}
    result = store_release(db, mirror)
    assert (result.status, result.release_id) == ("near_duplicate", 1)
    assert db.execute("SELECT release_id FROM release_urls WHERE url = ?",
                      [mirror["url"]]).fetchone()[0] == 1


def test_another_statement_of_the_same_template_is_a_new_release(archive):
    db, _ = archive
    before = db.execute("SELECT count(*) FROM releases").fetchone()[0]
    result = store_release(db, statement(STATEMENTS + 3, random.Random(10)))
    assert result.status == "new"
    assert db.execute("SELECT count(*) FROM releases").fetchone()[0] == before + 1


def test_a_match_without_rare_buckets_is_checked_against_a_full_count(archive, monkeypatch):
    """With no bucket rare (here: by setting the bound to 0), the newest members of the
    buckets are all siblings above the threshold: the buckets are counted in full before
    a match is accepted, so the original is still the one found."""
    db, items = archive
    monkeypatch.setattr(neardup, "BUCKET_ROWS", 0)
    sig = neardup.signature(items[1]["body"].replace("heinous and cowardly", "heinous, cowardly"))
    search = neardup.Search()
    match = neardup.find_near_duplicate(db, sig, search=search)
    assert search.full and match is not None and match[0] == 2
