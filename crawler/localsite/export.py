"""Write the local sites' pages to files: ``python -m crawler.localsite.export tests/files``.

The saved pages are the fixtures that the per-field parser tests and ``scrapy check``
contracts read. Regenerate after changing a site builder; keep old markup variants as
variants in the builders, since every file in ``tests/files`` comes from here
(``tests/test_fixture_files.py`` fails when they differ).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from crawler.localsite import mirror, osce, un_news, un_press


def osce_fixtures() -> dict[str, str]:
    menu = osce.seed_menu()
    releases = {r.date.split()[-1]: r for r in osce.seed_releases()}
    files = {"osce/home.html": osce.build_site([], menu)["/"].body}
    for year, rel in releases.items():
        for variant in ("current", "legacy", "redesign"):
            page = osce.page_html(menu, rel.title, osce.release_main(replace(rel, variant=variant)))
            files[f"osce/release-{year}-{variant}.html"] = page
    site = osce.build_site(osce.seed_releases(), menu, per_page=2)
    files["osce/listing-page-0.html"] = site["/press-releases?page=0"].body
    files["osce/listing-page-1.html"] = site["/press-releases?page=1"].body
    files["osce/closed-field-activities.html"] = site["/countries/closed-field-activities"].body
    return files


def un_press_fixtures() -> dict[str, str]:
    site = un_press.build_site(un_press.sample_releases(), base="https://press.un.org")
    files = {"un_press/rss.xml": site["/en/rss.xml"].body,
             "un_press/listing-security-council.html": site["/en/content/security-council"].body}
    for rel in un_press.sample_releases():
        files[f"un_press/{rel.path.rsplit('/', 1)[1].removesuffix('.doc.htm')}.html"] = site[rel.path].body
    return files


UN_NEWS_BASE = "https://news.un.org"


def un_news_fixtures() -> dict[str, str | bytes]:
    """Story pages (2009 and 2007 seeds, current and redesigned markup), feed, topic listing."""
    stories = un_news.seed_stories()
    files: dict[str, str | bytes] = {}
    for story in stories:
        for variant in ("current", "redesign"):
            page = un_news.page_html(story.title, un_news.story_main(replace(story, variant=variant)))
            files[f"un_news/story-{story.date[:4]}-{variant}.html"] = page
    site = un_news.build_site(un_news.generated_stories(1) + stories, UN_NEWS_BASE, per_page=2)
    files["un_news/feed.xml"] = site[un_news.ALL_FEED].body
    for number in (0, 1):
        files[f"un_news/topic-page-{number}.html"] = site[f"/en/news/topic/peace-and-security?page={number}"].body
    return files


def mirror_fixtures() -> dict[str, str | bytes]:
    """The seed-002 copy on the mirror, as served (windows-1252 bytes)."""
    return {"mirror/story-2009-kosovo.html": mirror.build_site([mirror.seed_copy()])[mirror.KOSOVO_PATH].body}


# What each live-markup fixture is based on (details and selectors: docs/sites.md).
EVIDENCE = {
    "osce": "osce.org Drupal 7 markup as read by a public Go/colly crawler of osce.org (megaCrawler "
            "'osce' plugin: div.content--header>h1, span.date-display-single, "
            "div.content--content>div>div.pane-content, div.field-field-item-source a, "
            "ul.osce-download-links>li>a, dt.search-title>h3>a, li.pager-next>a) and the older Drupal class names of the legacy markup",
    "un_news": "news.un.org Drupal 10 markup as read by independent public scrapers (h1 span.field--name-title, "
               "span.views-field-field-news-date time.datetime, views-field-field-news-topics, "
               "views-field-field-news-story-lead p, field--name-field-text-column p/h3, "
               "views-field-field-news-story* blocks, div.views-row h2.node__title a)",
    "un_press": "press.un.org markup as read by public scrapers (field--name-field-doctype entity-reference link, "
                "field--name-field-dated time '%d %B %Y', field--name-body.field--type-text-with-summary, "
                "field--name-field-display-title, <a href=\"/en/press-release\" hreflang=\"en\">Press Release</a>)",
}


def live_fixtures() -> dict[str, str]:
    """Every page kind of the three sites in the live markup: ``<site>/live/...``."""
    files: dict[str, str] = {}
    site = osce.build_site(osce.seed_releases(), per_page=2, markup="live")
    files["osce/live/home.html"] = site["/"].body
    for rel in osce.seed_releases():
        files[f"osce/live/release-{rel.date.split()[-1]}.html"] = site[rel.path].body
    for number in (0, 1):
        files[f"osce/live/listing-page-{number}.html"] = site[f"/press-releases?page={number}"].body
    files["osce/live/closed-field-activities.html"] = site["/countries/closed-field-activities"].body
    stories = un_news.seed_stories()
    site = un_news.build_site(un_news.generated_stories(1) + stories, UN_NEWS_BASE, per_page=2, markup="live")
    for story in stories:
        files[f"un_news/live/story-{story.date[:4]}.html"] = site[story.path].body
        photo = replace(story, variant="live-photo")
        files[f"un_news/live/story-{story.date[:4]}-photo.html"] = un_news.page_html(
            story.title, un_news.story_main(photo), un_news.live_head(photo, UN_NEWS_BASE))
    files["un_news/live/feed.xml"] = site[un_news.ALL_FEED].body
    for number in (0, 1):
        files[f"un_news/live/topic-page-{number}.html"] = site[f"/en/news/topic/peace-and-security?page={number}"].body
    site = un_press.build_site(un_press.sample_releases(), base="https://press.un.org", markup="live")
    files["un_press/live/rss.xml"] = site["/en/rss.xml"].body
    files["un_press/live/listing-security-council.html"] = site["/en/content/security-council"].body
    for rel in un_press.sample_releases():
        files[f"un_press/live/{rel.path.rsplit('/', 1)[1].removesuffix('.doc.htm')}.html"] = site[rel.path].body
    return files


def basis(name: str) -> str:
    """What the fixture ``name``'s markup is based on (its words come from the seeds)."""
    if "/live/" in name:
        return f"markup=\"live\": {EVIDENCE[name.split('/', 1)[0]]}"
    if "redesign" in name:
        return "a made-up redesign with unknown class names (robustness), words from the seed captures"
    if "legacy" in name:
        return "the older (Drupal 6) class names of the legacy markup, words from the seed captures"
    return "our reading of the site notes, docs/sites.md (tags guessed, never seen live), words from the seed captures"


def with_header(name: str, body: str | bytes) -> str | bytes:
    """``body`` with a first comment saying what it is and what its markup is based on."""
    note = f"<!-- releasewatch fixture {name}, generated by crawler/localsite; based on: {basis(name)}. -->"
    if isinstance(body, bytes):  # a page in its own (ASCII-compatible) encoding
        return note.encode("ascii", "xmlcharrefreplace") + b"\n" + body
    if body.startswith("<?xml"):
        declaration, _, rest = body.partition("\n")
        return f"{declaration}\n{note}\n{rest}"
    return f"{note}\n{body}"


def export(target: Path) -> list[Path]:
    written = []
    everything = {**osce_fixtures(), **un_news_fixtures(), **mirror_fixtures(), **un_press_fixtures(),
                  **live_fixtures()}
    for name, body in everything.items():
        body = with_header(name, body)
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)  # as served, in the page's own encoding
        else:
            path.write_text(body, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in export(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/files")):
        print(path)
