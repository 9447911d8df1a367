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


def export(target: Path) -> list[Path]:
    written = []
    for name, body in {**osce_fixtures(), **un_news_fixtures(), **mirror_fixtures(), **un_press_fixtures()}.items():
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
