"""A release page of any site, read with the generic machinery (``spiders/watch.py``).

Title: JSON-LD ``headline``, else the page's own heading (``spiders.article.headline``:
``<h1>`` against ``<title>``), else ``og:title``, else the listing's link text. Date:
JSON-LD ``datePublished`` or ``article:published_time`` (extruct), else htmldate on the
page's markup, else the date the listing showed, else a date in the page's first lines.
Main text: trafilatura, which leaves out menus, footers and "related" boxes.
"""

from __future__ import annotations

from typing import Any

from spiders.article import DATE_PARAMS, headline
from spiders.extract import parse_html
from spiders.listing_detect import date_in
from storage.normalize import clean_text, normalize_for_hash, parse_date, split_dateline

ARTICLE_TYPES = {"NewsArticle", "Article", "PressRelease", "BlogPosting", "Report", "WebPage"}


def structured(html: str, url: str) -> dict[str, str]:
    """``headline``/``published`` from JSON-LD and Open Graph, where the page has them."""
    import extruct  # here: loading every spider module for a crawl must not load rdflib

    try:
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "opengraph"], uniform=True)
    except Exception:  # malformed JSON-LD must not lose the page
        return {}
    found: dict[str, str] = {}
    for entry in _flatten(data.get("json-ld", [])):
        kinds = entry.get("@type")
        kinds = set(kinds) if isinstance(kinds, list) else {kinds}
        if kinds & ARTICLE_TYPES:
            if isinstance(entry.get("headline"), str):
                found.setdefault("headline", entry["headline"])
            if isinstance(entry.get("datePublished"), str):
                found.setdefault("published", entry["datePublished"])
    for entry in data.get("opengraph", []):
        if isinstance(entry.get("og:title"), str):
            found.setdefault("og_title", entry["og:title"])
        if isinstance(entry.get("article:published_time"), str):
            found.setdefault("published", entry["article:published_time"])
    return found


def _flatten(entries: Any) -> list[dict]:
    out: list[dict] = []
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, dict):
            out.append(entry)
            out.extend(_flatten(entry.get("@graph", [])))
    return out


def read_release(html: str, url: str, *, listing_title: str | None = None,
                 listing_date: str | None = None) -> dict[str, Any] | None:
    """``{title, published, place, body}`` of a release page (None: no main text)."""
    import trafilatura
    from htmldate import find_date as htmldate_find

    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False,
        include_images=False, date_extraction_params=DATE_PARAMS)
    if doc is None or not doc.text:
        return None
    root = parse_html(html)
    meta = structured(html, url)
    own = headline(doc.title, root, doc.sitename) if doc.title else None
    title = clean_text(meta.get("headline") or own or meta.get("og_title") or listing_title) or None
    paragraphs = [line.strip() for line in doc.text.split("\n") if line.strip()]
    if paragraphs and title and normalize_for_hash(paragraphs[0]) == normalize_for_hash(title):
        paragraphs = paragraphs[1:]
    if not paragraphs:
        return None
    place, dateline_date, _ = split_dateline(paragraphs[0])
    marked = htmldate_find(html, url=url, extensive_search=False, original_date=True)
    candidates = (meta.get("published", "")[:10], marked, listing_date, dateline_date,
                  date_in(" ".join(paragraphs[:2])))
    published = next((d for d in (parse_date(c) for c in candidates if c) if d), None)
    return {"title": title, "published": published, "place": place, "body": paragraphs}
