"""The article extractor on the mirror (seed 002), and how its copies deduplicate.

The mirror's old table layout leaves the "Join the mailing list" line in trafilatura's
text, so the copy is not byte-equal to the UN News story: it must still be filed under
that story as a near-duplicate (MinHash, threshold 0.7), with small edits too, while an
excerpt under the threshold and an unrelated article are new releases.
"""

import pytest
from scrapy.http import HtmlResponse

from crawler.localsite import mirror, un_news
from spiders.article import extract_article, split_urls
from spiders.un_news import extract_story
from storage import neardup, open_db, store_release
from tests.conftest import FILES, fixture_response

UN_URL = "https://news.un.org/en/story/2009/10/316262"
MIRROR_URL = "https://www.worldnewswire.example" + mirror.KOSOVO_PATH


def mirror_response(copy: mirror.Copy, host: str = "https://www.worldnewswire.example") -> HtmlResponse:
    """A mirror page as served: windows-1252 bytes, charset in the header."""
    return HtmlResponse(host + copy.path, body=mirror.story_html(copy).encode(mirror.CHARSET),
                        headers={"Content-Type": f"text/html; charset={mirror.CHARSET}"})


ARTICLE = extract_article(HtmlResponse(MIRROR_URL, body=(FILES / "mirror/story-2009-kosovo.html").read_bytes()))
UN_STORY = extract_story(fixture_response("un_news/story-2009-current.html", UN_URL))


def test_article_title():
    assert ARTICLE["title"] == "Ban extols UN mission in Kosovo for spurring dialogue and cooperation"


def test_article_date_from_the_dateline():
    assert ARTICLE["published"] == "2009-10-05"
    assert "place" not in ARTICLE  # "5 October 2009 - " names no place


def test_article_body_keeps_the_dateline_and_the_paragraphs():
    paragraphs = ARTICLE["body"].split("\n\n")
    assert paragraphs[0].startswith("5 October 2009 \u2013 Secretary-General Ban Ki-moon today commended")
    assert "\u201cSuch cooperation is necessary" in ARTICLE["body"]
    assert any(p.endswith("reaching its authorized strength of 510 personnel.") for p in paragraphs)
    assert ARTICLE["source"] == "article" and ARTICLE["url"] == MIRROR_URL


def test_article_body_has_no_navigation_or_headlines():
    for text in ("Top headlines", "Pentagon reviews", "Archives", "Copyright", "Source: United Nations"):
        assert text not in ARTICLE["body"]


def test_date_from_page_metadata_wins_over_the_dateline():
    page = mirror.story_html(mirror.seed_copy()).replace(
        "<title>", '<meta property="article:published_time" content="2009-10-06T08:00:00Z"><title>')
    item = extract_article(HtmlResponse(MIRROR_URL, body=page.encode(mirror.CHARSET)))
    assert item["published"] == "2009-10-06"


def test_page_without_text_is_no_article():
    assert extract_article(HtmlResponse(MIRROR_URL, body=b"<html><body><p>Loading...</p></body></html>")) is None


def test_site_name_appended_to_the_title_is_not_the_title():
    page = mirror.story_html(mirror.seed_copy()).replace(" - World News Wire</title>", " :: ClearanceJobs News</title>")
    assert ":: ClearanceJobs News" in page
    item = extract_article(HtmlResponse(MIRROR_URL, body=page.encode(mirror.CHARSET)))
    assert item["title"] == "Ban extols UN mission in Kosovo for spurring dialogue and cooperation"


def test_a_maintenance_notice_is_no_article():
    page = (b"<html><head><title>Site under maintenance | UN News</title></head><body><main>"
            b"<h1>Site under maintenance</h1><p>UN News is currently under scheduled maintenance and should "
            b"be back shortly. Thank you for your patience.</p></main></body></html>")
    assert extract_article(HtmlResponse(MIRROR_URL, body=page)) is None


def test_a_listing_page_is_no_article():
    rows = "".join(f'<li><a href="/en/2023/sc{n}.doc.htm">Security Council Press Statement {n}</a> '
                   f'<time datetime="2023-09-{n % 28 + 1:02d}">{n % 28 + 1} September 2023</time></li>'
                   for n in range(15400, 15430))
    page = (f"<html><head><title>Security Council | Meetings Coverage</title></head><body><main>"
            f"<h1>Security Council</h1><p>The latest releases of the Council.</p><ul>{rows}</ul>"
            f"</main></body></html>").encode()
    assert extract_article(HtmlResponse(MIRROR_URL, body=page)) is None


def test_split_urls_keeps_commas_inside_query_strings():
    assert split_urls("https://a.example/x?ids=1,2, https://b.example/y") == [
        "https://a.example/x?ids=1,2", "https://b.example/y"]
    assert split_urls(None) == []


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "t.db")
    yield database
    database.close()


def counts(db):
    return tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("releases", "release_urls", "release_versions"))


def test_seed_mirror_joins_the_un_news_story(db):
    assert store_release(db, UN_STORY).status == "new"
    result = store_release(db, ARTICLE)
    assert result.status == "near_duplicate" and result.similarity >= 0.9
    assert counts(db) == (1, 2, 1)
    assert db.execute("SELECT source, title FROM releases").fetchone() == ("un_news", UN_STORY["title"])
    assert db.execute("SELECT source FROM release_urls WHERE url = ?", [MIRROR_URL]).fetchone() == ("article",)


def test_mirror_without_the_footer_is_an_exact_duplicate(db):
    store_release(db, UN_STORY)
    body = ARTICLE["body"].removesuffix("\n\nJoin the mailing list")
    assert store_release(db, {**ARTICLE, "body": body}).status == "duplicate"
    assert counts(db) == (1, 2, 1)


def test_banner_and_footer_kept_in_the_text_still_dedupe(db):
    store_release(db, UN_STORY)
    copy = mirror.seed_copy()
    body = "\n\n".join([copy.banner, copy.title, *copy.paragraphs, copy.footer])
    assert store_release(db, {**ARTICLE, "body": body}).status == "near_duplicate"
    assert counts(db) == (1, 2, 1)


@pytest.mark.parametrize("edit", list(mirror.EDITS))
def test_copies_with_small_edits_are_the_same_release(db, edit):
    store_release(db, UN_STORY)
    copy = mirror.edited_copy(mirror.seed_copy(), edit)
    item = extract_article(mirror_response(copy))
    assert item["body"] != ARTICLE["body"]
    result = store_release(db, item)
    assert result.status == "near_duplicate" and 0.7 <= result.similarity < 1
    assert counts(db) == (1, 2, 1)


def excerpt(paragraphs: int) -> dict:
    copy = mirror.seed_copy()
    copy.paragraphs = copy.paragraphs[:paragraphs]
    copy.path += f"-excerpt-{paragraphs}"
    return extract_article(mirror_response(copy))


def test_threshold_both_sides(db):
    """Seven of eight paragraphs (~0.84) are the release; six (~0.62) are another text."""
    store_release(db, UN_STORY)
    longer, shorter = excerpt(7), excerpt(6)
    un_sig = neardup.signature(UN_STORY["body"])
    assert neardup.similarity(un_sig, neardup.signature(longer["body"])) >= neardup.THRESHOLD
    assert neardup.similarity(un_sig, neardup.signature(shorter["body"])) < neardup.THRESHOLD
    assert store_release(db, longer).status == "near_duplicate"
    assert store_release(db, shorter).status == "new"
    assert counts(db) == (2, 3, 2)


def test_unrelated_article_is_a_new_release(db):
    store_release(db, UN_STORY)
    other = un_news.generated_stories(1, start_id=1170000, seed=5)[0]
    item = extract_article(mirror_response(mirror.copy_of(other, "/news/world/other")))
    result = store_release(db, item)
    assert result.status == "new"
    assert counts(db) == (2, 2, 2)
    row = db.execute("SELECT source, published FROM releases WHERE id = ?", [result.release_id]).fetchone()
    assert row == ("article", other.date)


def test_mirror_first_then_the_original_takes_the_release(db):
    assert store_release(db, ARTICLE).status == "new"
    assert store_release(db, UN_STORY).status == "near_duplicate"
    assert counts(db) == (1, 2, 1)
    # The story page wins: its title and text replace the mirror's, in the one version too.
    release = db.execute("SELECT title, body, content_hash FROM releases").fetchone()
    assert release[:2] == (UN_STORY["title"], UN_STORY["body"])
    assert db.execute("SELECT title, body, content_hash FROM release_versions").fetchone() == release
    assert store_release(db, UN_STORY).status == "unchanged"
    assert store_release(db, ARTICLE).status == "unchanged" and counts(db) == (1, 2, 1)
    assert db.execute("SELECT source, topics FROM releases").fetchone() == ("un_news", '["Peace and Security"]')
