"""Datasette plugin: the SQL function ``search_terms(text)`` for the search query.

Whatever a visitor types becomes a valid FTS5 query that finds releases holding every
word: each run of letters or digits is quoted (``"alert" "script"``), so quotes,
operators, stars and brackets are never FTS syntax and never an error. Text without a
word is the empty phrase ``""``, which matches nothing.
"""

from __future__ import annotations

import re

from datasette import hookimpl

WORD = re.compile(r"\w+")


def search_terms(text: str | None) -> str:
    """``text`` as an FTS5 query of quoted words (``""`` when it has no word)."""
    return " ".join(f'"{word}"' for word in WORD.findall(text or "")) or '""'


@hookimpl
def prepare_connection(conn):
    conn.create_function("search_terms", 1, search_terms, deterministic=True)
