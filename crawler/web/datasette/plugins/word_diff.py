"""Datasette plugin: the SQL function ``word_diff(old, new)``, a readable diff of two texts.

Word level, in the style of ``git diff --word-diff=plain``: ``[-deleted words-]`` and
``{+inserted words+}``; long unchanged stretches are shortened to their first and last
few words around `` … ``. Plain text in, plain text out: Datasette escapes it like any
other cell. Used by the "edited releases" canned query; ``diff_chunks`` also feeds
the release diff page (``release_diff.py``).
"""

from __future__ import annotations

from difflib import SequenceMatcher

from datasette import hookimpl

CONTEXT = 8  # unchanged words kept on each side of a change


def word_diff(old: str | None, new: str | None) -> str | None:
    """``old`` -> ``new`` as one line of words with [-...-] and {+...+} markers."""
    if old is None and new is None:
        return None
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return " ".join(marks[tag].format(text) for tag, text in diff_chunks(old, new))


def diff_chunks(old: str | None, new: str | None) -> list[tuple[str, str]]:
    """``old`` -> ``new`` as ``(tag, words)`` chunks, tag ``equal``, ``delete`` or ``insert``,
    long unchanged stretches shortened; no chunks when the words are the same."""
    before, after = (old or "").split(), (new or "").split()
    if before == after:
        return []
    out: list[tuple[str, str]] = []
    opcodes = SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            words = _context(before[i1:i2], first=index == 0, last=index == len(opcodes) - 1)
            out.append(("equal", " ".join(words)))
            continue
        if i2 > i1:
            out.append(("delete", " ".join(before[i1:i2])))
        if j2 > j1:
            out.append(("insert", " ".join(after[j1:j2])))
    return out


def _context(words: list[str], *, first: bool, last: bool) -> list[str]:
    """Unchanged words between changes, shortened to CONTEXT words beside each change."""
    head = [] if first else words[:CONTEXT]
    tail = [] if last else words[-CONTEXT:]
    if len(words) <= len(head) + len(tail):
        return words
    return [*head, "…", *tail]


@hookimpl
def prepare_connection(conn):
    conn.create_function("word_diff", 2, word_diff, deterministic=True)
