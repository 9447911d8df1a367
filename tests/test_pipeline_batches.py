"""StoragePipeline commits items in batches (RELEASEWATCH_BATCH_SIZE), or one by one."""

from __future__ import annotations

from pathlib import Path

from scrapy.utils.test import get_crawler

from crawler.crawl.items import ReleaseItem
from crawler.crawl.pipelines import StoragePipeline
from storage import open_db

BODY = "VIENNA, 15 November 2007 - " + " ".join(f"word{n}" for n in range(60))


def item(n: int) -> ReleaseItem:
    return ReleaseItem(source="osce", url=f"https://www.osce.org/pc/{n}", title=f"Release {n}",
                       body=f"{BODY} number{n} " + " ".join(f"extra{n}x{k}" for k in range(50)),
                       published="2007-11-15")


def committed(db_path: Path) -> int:
    db = open_db(db_path)
    try:
        return db.execute("SELECT count(*) FROM releases").fetchone()[0]
    finally:
        db.close()


def pipeline(db_path: Path, batch_size: int) -> StoragePipeline:
    crawler = get_crawler(settings_dict={"RELEASEWATCH_DB": str(db_path),
                                         "RELEASEWATCH_BATCH_SIZE": batch_size,
                                         "RELEASEWATCH_BATCH_SECONDS": 0})
    crawler.stats.open_spider()
    pipe = StoragePipeline.from_crawler(crawler)
    pipe.open_spider()
    return pipe


def test_items_are_committed_per_batch_and_at_close(tmp_path: Path) -> None:
    db_path = tmp_path / "r.db"
    pipe = pipeline(db_path, batch_size=2)
    pipe.process_item(item(1))
    assert committed(db_path) == 0  # a killed crawl would lose this batch only
    pipe.process_item(item(2))
    assert committed(db_path) == 2
    pipe.process_item(item(3))
    assert committed(db_path) == 2
    pipe.close_spider()
    assert committed(db_path) == 3


def test_batch_size_one_commits_every_item(tmp_path: Path) -> None:
    db_path = tmp_path / "r.db"
    pipe = pipeline(db_path, batch_size=1)
    pipe.process_item(item(1))
    assert committed(db_path) == 1
    pipe.close_spider()
