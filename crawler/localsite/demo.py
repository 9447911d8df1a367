"""The offline demo: local copies of the sites, two crawl rounds, one database.

Round one crawls the sites as captured in the seeds. Round two edits a release and
moves the OSCE menu on (the chairpersonship passes from Finland to Switzerland, the
Mission to Skopje closes), so the database shows versions and list changes, which the
demo prints as ``releasewatch changes`` would. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from crawler.localsite import mirror, osce, un_news, un_press
from crawler.localsite.server import LocalSite
from crawler.runner import CrawlOutcome, run_crawl
from crawler.timeline import timeline_lines
from storage import open_db
from storage.lists import list_changes
from storage.sources import names

LOCAL_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": 0, "LOG_LEVEL": "WARNING"}


class DemoDatabaseInUse(RuntimeError):
    """The database holds crawls that the demo did not make."""


def prepare_db(path: str) -> None:
    """Start from a fresh file, unless it holds real (non-demo) crawls."""
    db_file = Path(path)
    if db_file.exists():
        db = open_db(db_file)
        try:
            real = db.execute(
                "SELECT count(*) FROM crawl_runs WHERE coalesce(trigger, '') != 'demo'"
            ).fetchone()[0]
        finally:
            db.close()
        if real:
            raise DemoDatabaseInUse(
                f"{path} holds {real} crawl(s) not made by the demo; use --db demo.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(f"{Path(path).resolve()}.httpcache", ignore_errors=True)


def osce_rounds() -> tuple[dict, dict]:
    """The OSCE site before and after: an edited release and a changed menu."""
    releases = osce.seed_releases()  # the captures only: nothing in the demo is made up
    menu = osce.seed_menu()
    before = osce.seed_site()
    edited = list(releases)
    first = edited[0]  # the 2024 seed release gets a new closing sentence
    edited[0] = replace(first, paragraphs=first.paragraphs[:-1] + [
        first.paragraphs[-1] + " The two Organizations will report on progress at the next meeting."])
    states = [("Switzerland – OSCE Chairpersonship 2026" if s == "Switzerland" else
               "Finland" if s.startswith("Finland") else s) for s in menu.states]
    operations = [o for o in menu.field_operations if o != "Mission to Skopje"]
    closed = menu.closed_operations + ["Mission to Skopje"]
    after_menu = replace(menu, states=states, field_operations=operations, closed_operations=closed)
    return before, osce.build_site(edited, after_menu)


# spider -> (base URL setting, pages of its local copy given the copy's own URL)
LOCAL_SITES: dict[str, tuple[str, Callable[[str], dict]]] = {
    "osce": ("OSCE_BASE_URL", osce.seed_site),
    "un_news": ("UN_NEWS_BASE_URL",
                lambda url: un_news.build_site(un_news.seed_stories(), url)),
    "un_press": ("UN_PRESS_BASE_URL", un_press.seed_site),
}


def local_site(spider: str, port: int = 0) -> tuple[str, LocalSite]:
    """The base-URL setting and a (not yet started) local copy of a spider's site on
    ``port`` (0: a free one); ``OSError`` when the port is taken."""
    setting, pages = LOCAL_SITES[spider]
    site = LocalSite(port=port)
    site.pages = pages(site.url)
    return setting, site


def run_demo(db_path: str, echo: Callable[[str], None] = print,
             while_up: Callable[[], None] | None = None) -> list[CrawlOutcome]:
    """Crawl the local sites twice into ``db_path``; return every crawl's outcome.

    ``while_up`` (serving the database) runs before the local sites stop, so the release
    URLs the database holds (on their ports) answer while people browse it.
    """
    prepare_db(db_path)
    before, after = osce_rounds()
    outcomes = []
    (_, un_site), (_, press_site) = local_site("un_news"), local_site("un_press")
    mirror_site = LocalSite(mirror.build_site([mirror.seed_copy()]))
    with LocalSite(before) as site, un_site, mirror_site, press_site:
        settings = {**LOCAL_SETTINGS, "OSCE_BASE_URL": site.url, "UN_NEWS_BASE_URL": un_site.url,
                    "UN_PRESS_BASE_URL": press_site.url}
        demo_args = {"article": {"url": mirror_site.url + mirror.KOSOVO_PATH}}
        # Every registered source with a local copy (or, for article, a page to read).
        crawls = {name: demo_args.get(name, {}) for name in names() if name in LOCAL_SITES or name in demo_args}
        for round_name, pages in (("as captured", before), ("after edits", after)):
            site.pages = pages
            echo(f"demo: crawling the local sites ({round_name}) into {db_path}")
            for spider, args in crawls.items():
                outcome = run_crawl(spider, db=db_path, settings=settings, args=args, trigger="demo")
                echo(f"  {spider}: {outcome.status} (run {outcome.run_id})")
                outcomes.append(outcome)
        _report(db_path, echo)
        if while_up is not None:
            echo(f"demo: the local sites stay up while you browse (OSCE {site.url}, UN News {un_site.url}, "
                 f"UN press {press_site.url}): the releases' links work")
            while_up()
    return outcomes


def _report(db_path: str, echo: Callable[[str], None]) -> None:
    db = open_db(db_path)
    try:
        counts = {t: db.table(t).count for t in ("releases", "release_versions", "release_urls", "list_changes")}
        changes = list_changes(db)
    finally:
        db.close()
    echo("demo: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    echo("demo: list changes (releasewatch changes):\n" + "\n".join(f"  {line}" for line in timeline_lines(changes)))
