"""Word-level differences of two texts, bounded in size, for the release diff page.

Two passes keep the work small on real releases: paragraphs are matched first, then only
the paragraphs that changed are compared word by word, so a 10,000-word release with a
few scattered edits compares a few short paragraphs. A changed stretch longer than
``MAX_BLOCK_WORDS`` on either side is shown as deleted and inserted whole (no word
matching), and texts longer than ``MAX_WORDS`` are refused with ``TooLarge``.

Not an SQL function: visitors cannot call it with text of their choosing. The release
diff page (``release_diff.py``) reads the versions itself and calls ``bounded_edits``,
which works in a worker thread (never on the event loop) with a time limit, and says
"too large to diff" instead of a diff it cannot finish.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from difflib import SequenceMatcher

from markupsafe import Markup

CONTEXT = 8  # unchanged words kept on each side of a change
MAX_WORDS = 200_000  # per text: longer texts are not compared
MAX_BLOCK_WORDS = 2_000  # per side of one changed stretch compared word by word

DIFF_SECONDS = 5.0  # time allowed to diff one release's versions
# Diffs run here, never on the event loop: two at a time, whatever the number of visitors.
DIFF_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="release-diff")
MARKS = {"equal": Markup("{}"), "delete": Markup("<del>{}</del>"), "insert": Markup("<ins>{}</ins>")}
TEXT_MARKS = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}  # as plain text (``releasewatch diff``)
Chunk = tuple[str, str]  # (tag, words): tag is "equal", "delete" or "insert"


class TooLarge(ValueError):
    """A text too long to compare."""


def word_diff(old: str | None, new: str | None) -> str | None:
    """``old`` -> ``new`` as one line of words with ``[-...-]`` and ``{+...+}`` markers."""
    if old is None and new is None:
        return None
    return " ".join(TEXT_MARKS[tag].format(text) for tag, text in diff_chunks(old, new))


def diff_chunks(old: str | None, new: str | None) -> list[Chunk]:
    """``old`` -> ``new`` as chunks, long unchanged stretches shortened; none when the words
    are the same. Raises ``TooLarge`` when either text has more than ``MAX_WORDS`` words."""
    before_paras, after_paras = _paragraphs(old), _paragraphs(new)
    if sum(map(len, before_paras)) > MAX_WORDS or sum(map(len, after_paras)) > MAX_WORDS:
        raise TooLarge(f"more than {MAX_WORDS:,} words")
    if [w for p in before_paras for w in p] == [w for p in after_paras for w in p]:
        return []
    raw: list[Chunk] = []
    keys_before, keys_after = [" ".join(p) for p in before_paras], [" ".join(p) for p in after_paras]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, keys_before, keys_after, autojunk=False).get_opcodes():
        old_words = [w for p in before_paras[i1:i2] for w in p]
        new_words = [w for p in after_paras[j1:j2] for w in p]
        if tag == "equal":
            raw.append(("equal", old_words))
        elif len(old_words) > MAX_BLOCK_WORDS or len(new_words) > MAX_BLOCK_WORDS:
            raw += [("delete", old_words), ("insert", new_words)]
        else:
            raw += _word_chunks(old_words, new_words)
    return _shorten(_merge(raw))


def _paragraphs(text: str | None) -> list[list[str]]:
    return [words for para in (text or "").split("\n\n") if (words := para.split())]


def _word_chunks(before: list[str], after: list[str]) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("equal", before[i1:i2]))
            continue
        out += [("delete", before[i1:i2]), ("insert", after[j1:j2])]
    return out


def _merge(chunks: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Empty chunks dropped; neighbours of one kind joined; deletions before insertions."""
    out: list[tuple[str, list[str]]] = []
    for tag, words in chunks:
        if not words:
            continue
        if out and out[-1][0] == tag:
            out[-1] = (tag, out[-1][1] + words)
        elif tag == "delete" and out and out[-1][0] == "insert":
            inserted = out.pop()
            if out and out[-1][0] == "delete":
                out[-1] = ("delete", out[-1][1] + words)
            else:
                out.append(("delete", words))
            out.append(inserted)
        else:
            out.append((tag, words))
    return out


def _shorten(chunks: list[tuple[str, list[str]]]) -> list[Chunk]:
    """Unchanged stretches shortened to CONTEXT words beside each change."""
    out: list[Chunk] = []
    for index, (tag, words) in enumerate(chunks):
        if tag == "equal":
            head = [] if index == 0 else words[:CONTEXT]
            tail = [] if index == len(chunks) - 1 else words[-CONTEXT:]
            if len(words) > len(head) + len(tail):
                words = [*head, "…", *tail]
        out.append((tag, " ".join(words)))
    return out


def marked_diff(old: str | None, new: str | None) -> Markup:
    """``old`` -> ``new`` as escaped text with ``<del>``/``<ins>`` marks ("" when unchanged)."""
    return Markup(" ").join(MARKS[tag].format(text) for tag, text in diff_chunks(old, new))


def marked_edits(versions: list) -> list[dict]:
    """Each pair of consecutive versions with its title and body diffs as markup."""
    return [{"before": old, "after": new, "number": number, "title": marked_diff(old["title"], new["title"]),
             "body": marked_diff(old["body"], new["body"])}
            for number, (old, new) in enumerate(zip(versions, versions[1:], strict=False), 2)]


async def bounded_edits(versions: list) -> tuple[list[dict], str | None]:
    """``marked_edits`` in a worker thread, or no edits and why (too large, too slow)."""
    future = asyncio.get_running_loop().run_in_executor(DIFF_THREADS, marked_edits, versions)
    try:
        return await asyncio.wait_for(future, DIFF_SECONDS), None
    except TooLarge as error:
        return [], f"These versions are too large to diff ({error})."
    except TimeoutError:
        return [], f"These versions are too large to diff (not done in {DIFF_SECONDS:.0f} s)."
