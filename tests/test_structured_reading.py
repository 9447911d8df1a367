"""JSON-LD and Open Graph read with ``json`` and lxml (``spiders.structured``) give what
extruct's extractors give, on every fixture page and on hostile markup, and reading
them does not import extruct (rdflib: ~0.2 s and 9 MB per crawl process)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from extruct.jsonld import JsonLdExtractor
from extruct.opengraph import OpenGraphExtractor

from spiders.extract import parse_html
from spiders.structured import _OG_FIELDS, json_ld, open_graph, read_structured
from tests.conftest import FILES

PAGES = sorted(FILES.rglob("*.htm*"))


def extruct_og(root) -> list[dict[str, str]]:
    heads = [{k: v for k, v in dict(og["properties"]).items() if k in _OG_FIELDS}
             for og in OpenGraphExtractor().extract_items(root)]
    return [props for props in heads if props]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(FILES)))
def test_fixture_pages_read_as_extruct_reads_them(path):
    root = parse_html(path.read_bytes())
    if root is None:
        return
    assert json_ld(root) == JsonLdExtractor().extract_items(root)
    assert open_graph(root) == extruct_og(root)


HOSTILE = {
    "comment line": '<script type="application/ld+json">// generated\n{"@type": "NewsArticle", '
                    '"headline": "Commented", "datePublished": "2024-03-01"}</script>',
    "trailing comma": '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Comma",}</script>',
    "not JSON at all": '<script type="application/ld+json">{"@type": </script>',
    "a list, a scalar, an empty object": '<script type="application/ld+json">[{"@type": "Article", '
                                         '"headline": "Listed"}, 3, {}]</script>'
                                         '<script type="application/ld+json">"text"</script>',
    "duplicate og:title, empty content": '<meta property="og:title" content="First">'
                                         '<meta property="og:title" content="Second">'
                                         '<meta property="article:published_time" content="">',
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_structured_data_reads_as_extruct_reads_it(name):
    root = parse_html(f"<html><head>{HOSTILE[name]}</head><body><h1>x</h1></body></html>")
    try:
        expected = JsonLdExtractor().extract_items(root)
    except Exception:  # noqa: BLE001 - what read_structured did with extruct: nothing
        expected = []
    assert json_ld(root) == expected
    assert open_graph(root) == extruct_og(root)


def test_json_ld_with_a_comment_line_still_gives_the_headline():
    root = parse_html(f"<html><head>{HOSTILE['comment line']}</head></html>")
    stated = read_structured(root, "https://example.org/a")
    assert (stated.title, stated.published) == ("Commented", "2024-03-01")


def test_the_last_og_title_of_a_head_wins_as_before():
    root = parse_html(f"<html><head>{HOSTILE['duplicate og:title, empty content']}</head></html>")
    assert read_structured(root, "https://example.org/a").title == "Second"


def test_reading_strict_structured_data_does_not_import_extruct():
    page = FILES / "un_news/live/story-2009.html"
    code = ("import sys; from spiders.extract import parse_html; from spiders.structured import read_structured; "
            f"s = read_structured(parse_html(open({str(page)!r}, 'rb').read()), 'https://news.un.org/x'); "
            "assert s.title and s.published, s; "
            "print(sorted(m for m in ('extruct', 'rdflib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_loading_the_spiders_for_a_crawl_loads_no_heavy_extractor():
    """Scrapy imports every module of ``spiders/`` for every crawl: trafilatura, htmldate,
    extruct and rdflib (~11 MB, ~0.4 s) only for the spiders that use them, when they do."""
    code = ("import os, sys; os.environ['SCRAPY_SETTINGS_MODULE'] = 'crawler.settings'; "
            "from scrapy.spiderloader import SpiderLoader; from scrapy.utils.project import get_project_settings; "
            "loader = SpiderLoader.from_settings(get_project_settings()); assert 'osce' in loader.list(); "
            "print(sorted(m for m in ('extruct', 'rdflib', 'trafilatura', 'htmldate') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
