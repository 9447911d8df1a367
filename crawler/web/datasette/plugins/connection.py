"""Datasette plugin: how every connection Datasette opens reads the database.

Memory-mapped reads (``PRAGMA mmap_size``): a search for a common word reads tens of
thousands of rows; through the page cache each is a ``read()`` and a copy, mapped it is a
memory access (about half the time on 100,000 releases, ``bench/search.py``). Reading only:
writes still go through SQLite's usual path.
"""

from __future__ import annotations

from datasette import hookimpl

MMAP_BYTES = 1 << 30


@hookimpl
def prepare_connection(conn):
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
