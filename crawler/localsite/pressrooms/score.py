"""How well releases were found in a local press room: recall, precision, titles, dates,
clean bodies. Shared by the tests and ``python -m bench --only watch``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from crawler.localsite.pressrooms import PressRoom, build
from crawler.localsite.pressrooms.corpus import FOOTER_TEXT, NAV, TAGS
from spiders.listing_detect import detect_listing
from storage.normalize import canonical_url

BASE = "http://127.0.0.1:8000"  # in-memory reading needs no server
CHROME = (FOOTER_TEXT, "All rights reserved", "Related news", "Share:", "Most read", *NAV[:3], TAGS[0])


@dataclass
class Score:
    site: str
    truth: int
    found: int
    correct: int  # found rows that are real releases
    titles: int  # correct rows with the right title
    dates: int  # correct rows with the right date
    clean: int = -1  # releases whose body holds no menu, footer or related text (-1: not checked)
    pages: int = 0

    @property
    def recall(self) -> float:
        return self.correct / self.truth if self.truth else 0.0

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 0.0

    def share(self, count: int) -> float:
        return count / self.correct if self.correct else 0.0

    def line(self) -> str:
        clean = f"  clean bodies {self.share(self.clean):6.1%}" if self.clean >= 0 else ""
        return (f"{self.site:<9} releases {self.truth:>3}  pages {self.pages}  recall {self.recall:6.1%}  "
                f"precision {self.precision:6.1%}  titles {self.share(self.titles):6.1%}  "
                f"dates {self.share(self.dates):6.1%}{clean}")


def score(room: PressRoom, base: str, found: Iterable[Mapping], *, pages: int = 0,
          bodies: bool = False) -> Score:
    """Compare ``found`` rows (``url``, ``title``, ``published``/``date``, ``body``) with the truth."""
    truth = {canonical_url(base + r.path): r for r in room.releases}
    rows = {canonical_url(row["url"]): row for row in found}
    right = [(truth[url], row) for url, row in rows.items() if url in truth]
    result = Score(room.name, len(truth), len(rows), len(right),
                   sum(row.get("title") == r.title for r, row in right),
                   sum((row.get("published") or row.get("date")) == r.published.isoformat() for r, row in right),
                   pages=pages)
    if bodies:
        result.clean = sum(bool(row.get("body")) and not any(c in row["body"] for c in CHROME)
                           and r.paragraphs[-1] in row["body"] for r, row in right)
    return result


def score_listing(name: str) -> Score:
    """Detect the rows of every listing page of press room ``name``, following the pager
    (each page expects the rows of the one before, as the spider does)."""
    room = build(name)
    url, seen, rows, expected = BASE + room.listing, [], [], None
    while url and url not in seen and len(seen) < 20:
        seen.append(url)
        page = room.pages.get(url.removeprefix(BASE))
        if page is None:
            break
        listing = detect_listing(page.data, url, expected=expected)
        expected = listing.signature or expected
        rows += [{"url": r.url, "title": r.title, "date": r.date} for r in listing.rows]
        url = listing.next_url
    return score(room, BASE, rows, pages=len(seen))
