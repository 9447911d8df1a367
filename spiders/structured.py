"""What a page states in structured form: JSON-LD, Open Graph / ``article:`` meta (read
read as ``extruct`` reads them) and ``hreflang`` alternates, and whether it agrees with the visible text.

A field that both give must agree (docs/sites.md, "Structured data"): ``conflicts``
names every field that does not, and the spiders report each as a problem of the page
(a ``crawl_errors`` row; the run is degraded) while the release is still stored with
the visible values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urljoin
from weakref import WeakKeyDictionary

from lxml import etree

from storage.normalize import normalize_for_hash, parse_date

ARTICLE_TYPES = ("NewsArticle", "Article", "ReportageNewsArticle", "PressRelease", "WebPage")


@dataclass
class Structured:
    """Fields a page states in structured form, with where each came from."""

    title: str | None = None
    published: str | None = None  # ISO date
    alternates: dict[str, str] = field(default_factory=dict)  # hreflang -> URL
    origin: dict[str, str] = field(default_factory=dict)  # field -> "JSON-LD headline", ...


def _json_ld_nodes(data: list) -> list[dict]:
    nodes = []
    for block in data:
        for node in block.get("@graph", [block]) if isinstance(block, dict) else []:
            if isinstance(node, dict):
                nodes.append(node)
    return nodes


def _types(node: dict) -> set[str]:
    kind = node.get("@type")
    return set(kind) if isinstance(kind, list) else {kind}


_NOTED: WeakKeyDictionary = WeakKeyDictionary()  # response -> what its page states


def note_structured(response, root) -> None:
    """Read what ``root``, ``response``'s page as the extractor parsed it (before its chrome
    is stripped: JSON-LD sits in scripts), states in structured form, for
    ``ReleaseSpider.check_structured``: each page is parsed once."""
    _NOTED[response] = read_structured(root, response.url)


def noted_structured(response) -> Structured | None:
    """What ``note_structured`` read for ``response`` (once), or None."""
    return _NOTED.pop(response, None)


# ``/descendant::x[test]``: ``//x[test]``, twice as fast in libxml2 (spiders/osce.py, D7_DATE).
_JSON_LD = etree.XPath("/descendant::script[@type='application/ld+json']")
_HEAD_META = etree.XPath("//head")
_OG_FIELDS = ("og:title", "article:published_time")
_ALTERNATES = etree.XPath("/descendant::link[@rel='alternate'][@hreflang][@href]")


def json_ld(root) -> list:
    """The page's JSON-LD items, as ``extruct``'s JSON-LD extractor reads them.

    Plain ``json`` on every script; only when one is not strict JSON (comments, trailing
    commas) does extruct read them all (importing extruct loads rdflib: ~0.2 s and 9 MB
    per crawl process). Unreadable JSON-LD gives nothing, as before.
    """
    items = []
    for script in _JSON_LD(root):
        try:
            data = json.loads(script.xpath("string()"), strict=False)
        except ValueError:
            return _json_ld_by_extruct(root)
        for item in data if isinstance(data, list) else [data] if isinstance(data, dict) else []:
            if item:
                items.append(item)
    return items


def _json_ld_by_extruct(root) -> list:
    from extruct.jsonld import JsonLdExtractor

    try:
        return JsonLdExtractor().extract_items(root)
    except Exception:  # noqa: BLE001 - extruct raises whatever its parsers raise on bad markup
        return []


def open_graph(root) -> list[dict[str, str]]:
    """Per ``<head>``, its ``og:title`` and ``article:published_time`` (the last of each,
    as extruct's Open Graph properties read into a dict)."""
    heads = []
    for head in _HEAD_META(root):
        props = {el.get("property"): el.get("content") for el in head.iterchildren("meta")
                 if el.get("property") in _OG_FIELDS and el.get("content") is not None}
        if props:
            heads.append(props)
    return heads


def read_structured(root, url: str) -> Structured:
    """The structured fields of the parsed page ``root`` (an lxml tree); empty if none.

    JSON-LD of an article type wins over Open Graph; values that do not parse are ignored.
    """
    out = Structured()
    for node in _json_ld_nodes(json_ld(root)):
        if not _types(node) & set(ARTICLE_TYPES):
            continue
        headline = node.get("headline") or node.get("name")
        if isinstance(headline, str) and headline.strip() and not out.title:
            out.title, out.origin["title"] = " ".join(headline.split()), "JSON-LD headline"
        date = parse_date(node.get("datePublished")) if isinstance(node.get("datePublished"), str) else None
        if date and not out.published:
            out.published, out.origin["published"] = date, "JSON-LD datePublished"
    for props in open_graph(root):
        if not out.title and isinstance(props.get("og:title"), str) and props["og:title"].strip():
            out.title, out.origin["title"] = " ".join(props["og:title"].split()), "og:title"
        date = parse_date(props.get("article:published_time")) if isinstance(
            props.get("article:published_time"), str) else None
        if date and not out.published:
            out.published, out.origin["published"] = date, "article:published_time"
    for link in _ALTERNATES(root):
        out.alternates.setdefault(link.get("hreflang").strip(), urljoin(url, link.get("href").strip()))
    return out


def same_title(visible: str, stated: str) -> bool:
    """Titles agree when equal after normalising, or when one is the other cut short
    (JSON-LD headlines are often truncated) or carries the site name after a bar."""
    a, b = normalize_for_hash(visible), normalize_for_hash(stated.split(" | ")[0])
    shorter, longer = sorted((a, b), key=len)
    return bool(shorter) and (a == b or (len(shorter) >= 40 and longer.startswith(shorter.rstrip(". \u2026"))))


def conflicts(item: dict, stated: Structured) -> list[str]:
    """One line per field where the visible value and the structured value disagree."""
    out = []
    if item.get("title") and stated.title and not same_title(item["title"], stated.title):
        out.append(f"title: page {item['title']!r}, {stated.origin['title']} {stated.title!r}")
    published = parse_date(item.get("published"))
    if published and stated.published and published != stated.published:
        out.append(f"published: page {published}, {stated.origin['published']} {stated.published}")
    return out
