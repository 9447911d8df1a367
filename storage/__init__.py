"""Plain-Python storage for releasewatch: schema, dedupe, versions and list diffs.

Free of Scrapy and Twisted so the CLI, the scheduler daemon and the Redis ingester use
it directly. Public entry points read like sentences::

    db = open_db("releasewatch.db")
    result = store_release(db, {"source": "osce", "url": ..., "title": ..., "body": ...})
    result.status  # "new", "changed", "unchanged", "duplicate" or "near_duplicate"
"""

from storage.releases import StoreResult, known_urls, store_release
from storage.schema import open_db, utcnow

__all__ = ["StoreResult", "known_urls", "open_db", "store_release", "utcnow"]
