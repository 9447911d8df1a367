"""Does a change extract the same items as a git revision? (speed work must not change output)

    python -m bench.same_items [REV]            # REV: main by default

Exports ``REV`` with ``git archive`` to a temporary folder, then, with each tree's code:

- every extractor and spider callback on every page of ``tests/files`` (items, requests,
  problems reported, blocks, listing rows, menus, structured data) as JSON;
- ``scrapy crawl osce|un_news|un_press -a full=1 -o items.jsonl`` against local sites
  (formulaic, generated, seed and live markups), items sorted.

Prints what differs and exits 1 if anything does. Both trees run on this virtualenv.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASES = {"osce": "https://www.osce.org", "un_news": "https://news.un.org", "un_press": "https://press.un.org",
         "mirror": "https://example.org"}


def plain(value):
    """Items, requests and dataclasses as JSON-able values."""
    from scrapy import Request

    if dataclasses.is_dataclass(value):
        return plain(dataclasses.asdict(value))
    if isinstance(value, Request):
        return {"url": value.url, "callback": getattr(value.callback, "__name__", None),
                "meta": plain({k: v for k, v in value.meta.items()})}
    if isinstance(value, dict) or (hasattr(value, "fields") and hasattr(value, "items")):
        return {str(k): plain(v) for k, v in dict(value).items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value if value is None or isinstance(value, int | float | bool) else str(value)


def dump_fixtures() -> dict:
    """What every extractor and callback of the current tree makes of every fixture page."""
    import logging

    from scrapy.utils.project import get_project_settings
    from scrapy.utils.test import get_crawler

    from spiders import osce, un_news, un_press

    logging.disable(logging.CRITICAL)
    settings = get_project_settings()
    spiders = {}
    for cls, setting in ((osce.OsceSpider, "OSCE_BASE_URL"), (un_news.UnNewsSpider, "UN_NEWS_BASE_URL"),
                         (un_press.UnPressSpider, "UN_PRESS_BASE_URL")):
        crawler = get_crawler(cls, settings_dict={"ITEM_PIPELINES": settings["ITEM_PIPELINES"],
                                                  setting: BASES[cls.name]})
        spiders[cls.name] = (cls.from_crawler(crawler), crawler)

    def guard(call):
        try:
            return plain(call())
        except Exception as error:  # noqa: BLE001 - an error is an output to compare too
            return f"ERROR {type(error).__name__}: {error}"

    def callback(spider, crawler, name, response):
        before = len(crawler.stats.get_value("releasewatch/problems") or [])
        out = guard(lambda: list(getattr(spider, name)(response) or []))
        problems = (crawler.stats.get_value("releasewatch/problems") or [])[before:]
        return {"out": out, "problems": [p["error"] for p in problems]}

    result = {}
    for path in sorted(p for p in (ROOT / "tests" / "files").rglob("*") if p.suffix in (".html", ".xml")):
        name = str(path.relative_to(ROOT / "tests" / "files"))
        result[name] = _page_outputs(f"{BASES[name.split('/')[0]]}/{path.stem}", path, spiders, guard, callback)
    return result


def _page_outputs(url: str, path: Path, spiders: dict, guard, callback) -> dict:
    from scrapy.http import HtmlResponse, Request, TextResponse

    from spiders import article, listing_detect, menus, osce, structured, un_news, un_press, watch_extract
    from spiders import extract as ex

    body, out = path.read_bytes(), {}

    def page():
        request = Request(url, meta={"listing_date": None, "page": 0, "listing": True})
        return HtmlResponse(url, body=body, request=request, headers={"Content-Type": "text/html; charset=utf-8"})

    def root():
        return ex.parse_html(body)

    if path.suffix == ".xml":
        for sname, (spider, crawler) in spiders.items():
            feed = TextResponse(url, body=body, request=Request(url), headers={"Content-Type": "application/xml"})
            out[f"{sname}.parse_feed"] = callback(spider, crawler, "parse_feed", feed)
        return out
    out["osce.extract_release"] = guard(lambda: osce.extract_release(page()))
    out["un_news.extract_story"] = guard(lambda: un_news.extract_story(page()))
    out["un_press.extract_release"] = guard(lambda: un_press.extract_release(page()))
    out["article.extract_article"] = guard(lambda: article.extract_article(page()))
    out["read_page"] = guard(lambda: ex.read_page(body, "utf-8"))
    out["structured"] = guard(lambda: structured.read_structured(root(), url))
    out["next_page_url"] = guard(lambda: ex.next_page_url(root(), url))
    out["last_page_number"] = guard(lambda: ex.last_page_number(root(), url))
    out["page_date"] = guard(lambda: ex.page_date(root()))
    out["detect_listing"] = guard(lambda: listing_detect.detect_listing(body, url))
    out["watch_extract"] = guard(lambda: watch_extract.read_release(body.decode("utf-8", "replace"), url))
    for menu, (heading, exclude) in osce.MENU_LISTS.items():
        out[f"menu.{menu}"] = guard(lambda h=heading, x=exclude: menus.menu_section(root(), h, x))
    for sname, (spider, crawler) in spiders.items():
        out[f"{sname}.listing_rows"] = guard(lambda s=spider: ex.listing_rows(root(), url, s.release_path, s.live_hosts))
        for cb in ("parse_release", "parse_listing", "parse_home", "parse_closed"):
            if hasattr(spider, cb):
                out[f"{sname}.{cb}"] = callback(spider, crawler, cb, page())
    return out


def local_sites() -> dict:
    """Local sites to crawl: label -> (spider, base-URL setting, pages given the site's URL)."""
    from bench import corpus
    from bench.crawl import site_pages
    from crawler.localsite import osce, un_news, un_press

    return {
        "osce_formulaic": ("osce", "OSCE_BASE_URL", lambda url: site_pages(corpus.formulaic_site(300))),
        "osce_mixed": ("osce", "OSCE_BASE_URL", lambda url: osce.build_site(osce.generated_releases(60) + osce.seed_releases())),
        "osce_live": ("osce", "OSCE_BASE_URL", lambda url: osce.build_site(
            osce.generated_releases(30) + osce.seed_releases(), markup="live")),
        "un_news": ("un_news", "UN_NEWS_BASE_URL", lambda url: un_news.build_site(
            un_news.generated_stories(30) + un_news.seed_stories(), url)),
        "un_news_live": ("un_news", "UN_NEWS_BASE_URL", lambda url: un_news.build_site(
            un_news.generated_stories(20) + un_news.seed_stories(), url, markup="live")),
        "un_press": ("un_press", "UN_PRESS_BASE_URL", lambda url: un_press.build_site(
            un_press.more_releases(30) + un_press.sample_releases(), base=url)),
        "un_press_live": ("un_press", "UN_PRESS_BASE_URL", lambda url: un_press.build_site(
            un_press.more_releases(20) + un_press.sample_releases(), base=url, markup="live")),
    }


def crawl_items(tree: Path, label: str) -> list[str]:
    """The items ``tree``'s spider scrapes from the local site ``label``, sorted (the port masked)."""
    from crawler.localsite.server import LocalSite

    spider, setting, pages = local_sites()[label]
    with tempfile.TemporaryDirectory() as tmp, LocalSite() as site:
        site.pages = pages(site.url)
        out = Path(tmp, "items.jsonl")
        subprocess.run([sys.executable, "-m", "scrapy", "crawl", spider, "-o", str(out), "-a", "full=1",
                        "-s", f"RELEASEWATCH_DB={tmp}/rw.db", "-s", f"{setting}={site.url}", "-s", "DOWNLOAD_DELAY=0",
                        "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"],
                       cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, check=False, capture_output=True)
        lines = out.read_text().splitlines() if out.exists() else []
        return sorted(json.dumps(json.loads(line.replace(site.url, "http://SITE")), sort_keys=True) for line in lines)


def run_in(tree: Path) -> dict:
    """``dump_fixtures`` run with ``tree``'s code (a subprocess: modules are imported once;
    this file is executed, not imported: ``tree`` may not have it)."""
    here = str(Path(__file__))
    code = (f"import sys; sys.argv = ['same_items', '--dump']; "
            f"exec(open({here!r}).read(), {{'__name__': '__main__', '__file__': {here!r}}})")
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(tree), "SCRAPY_SETTINGS_MODULE": "crawler.settings"})
    return json.loads(done.stdout)


def main(argv: list[str]) -> int:
    if argv == ["--dump"]:
        json.dump(dump_fixtures(), sys.stdout)
        return 0
    rev = argv[0] if argv else "main"
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        ref, ours = run_in(Path(tmp)), run_in(ROOT)
        for page in sorted(set(ref) | set(ours)):
            for key in sorted(set(ref.get(page, {})) | set(ours.get(page, {}))):
                if ref.get(page, {}).get(key) != ours.get(page, {}).get(key):
                    differ += 1
                    print(f"differs: {page} {key}")
        print(f"fixture pages: {len(ours)} pages, {sum(map(len, ours.values()))} outputs, {differ} differ")
        for label in local_sites():
            a, b = crawl_items(Path(tmp), label), crawl_items(ROOT, label)
            print(f"{label}: {rev} {len(a)} items, this tree {len(b)} items: {'same' if a == b else 'DIFFER'}")
            differ += a != b or not a
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
