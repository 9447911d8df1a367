"""Text normalisation, datelines, dates, timestamps, canonical URLs, the content hash and a run's scope.

Everything that decides whether two texts are "the same release" lives here, so the
spiders, the storage and the tests agree on one definition (docs/schema.md, "Deduplication
rules"): the hash covers what a release says, not how a page typesets it.

Pure functions on text, no database: spiders may import this module (and the registry,
``storage.sources``), no other of ``storage`` (docs/architecture.md, pyproject.toml contracts).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_QUOTES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u0060": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
}
_DASHES = {c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"}
# str.translate with a dict walks every character in Python; a regex finds the few that change.
_REPLACEMENTS = {**_QUOTES, **_DASHES, "\u00a0": " ", "\u202f": " "}
_TO_REPLACE = re.compile("[" + re.escape("".join(_REPLACEMENTS)) + "]")
# Zero-width and other format characters (Cf) and controls (Cc) except newline/tab.
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2060\ufeff]")
_BLANK_LINES = re.compile(r"\n\s*\n+")

DASH_CLASS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
_MONTH_RE = "|".join(MONTHS + [m[:3] for m in MONTHS] + ["Sept"])
_DAY_MONTH_YEAR = rf"\d{{1,2}}\s+(?:{_MONTH_RE})\.?\s+\d{{4}}"
_MONTH_DAY_YEAR = rf"(?:{_MONTH_RE})\.?\s+\d{{1,2}},?\s+\d{{4}}"
# "VIENNA, 15 November 2007 - ", "MOSCOW, 26 February 2020 – ", "5 October 2009 – "
DATELINE_RE = re.compile(
    rf"^\s*(?:(?P<place>[A-Z\u00c0-\u00de][\w .'\u2019/()-]{{0,60}}?)\s*,\s*)?"
    rf"(?P<date>{_DAY_MONTH_YEAR}|{_MONTH_DAY_YEAR})\s*[{DASH_CLASS}:]+\s*"
)
TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|_gl|igshid|ref|ref_src|"
    r"share|output_type|xtor|at_medium|at_campaign)$",
    re.IGNORECASE,
)


def clean_text(text: str | None) -> str:
    """Plain text as stored: NFC, no invisible characters, paragraphs split by one blank line."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # str.split() also takes no-break and other spaces: one pass makes a paragraph's spacing uniform.
    paragraphs = (" ".join(p.split()) for p in _BLANK_LINES.split(_INVISIBLE.sub("", text)))
    return "\n\n".join(p for p in paragraphs if p)


def normalize_for_hash(text: str | None) -> str:
    """Case-folded text with quotes, dashes and all whitespace made uniform.

    Idempotent: ``normalize_for_hash(normalize_for_hash(t)) == normalize_for_hash(t)``.
    Quotes are mapped before NFKC too, which would turn an acute accent used as an
    apostrophe (``OSCE´s``) into a space and a combining accent; a carriage return
    is a line break (as in ``clean_text``), not an invisible character.
    """
    if not text:
        return ""
    if text.isascii():  # the same result without NFKC and the quote and dash maps (a third of the time)
        return " ".join(_INVISIBLE.sub("", text.replace("`", "'")).split()).lower()

    def replace(value: str) -> str:
        return _TO_REPLACE.sub(lambda m: _REPLACEMENTS[m.group()], value)

    # Before NFKC too: it would turn an acute accent used as an apostrophe into a space + mark.
    text = replace(unicodedata.normalize("NFKC", replace(text)))
    text = _INVISIBLE.sub("", text.replace("\r", "\n"))
    return " ".join(text.split()).casefold()


def split_dateline(text: str | None) -> tuple[str | None, str | None, str]:
    """Split a leading dateline off a body: ``(place, iso_date, rest)``.

    >>> split_dateline("VIENNA, 15 November 2007 - Clarity on Kosovo")
    ('VIENNA', '2007-11-15', 'Clarity on Kosovo')
    """
    text = text or ""
    match = DATELINE_RE.match(text)
    if not match:
        return None, None, text
    iso = parse_date(match.group("date"))
    if iso is None:
        return None, None, text
    place = match.group("place")
    place = " ".join(place.split()) if place else None
    return place, iso, text[match.end():]


def strip_dateline(text: str | None) -> str:
    """The body without its leading dateline (if it has one)."""
    return split_dateline(text)[2]


_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y",
                 "%A, %d %B %Y", "%a, %d %B %Y", "%d/%m/%Y")
_DATE_FORMATS_MAX_CHARS = 64  # the longest, "%A, %d %B %Y": "Wednesday, 30 September 2026", 28


def parse_date(value: str | None) -> str | None:
    """Parse the date formats the sites print into ``YYYY-MM-DD``; None if impossible."""
    if not value:
        return None
    value = " ".join(str(value).replace(",", " , ").split()).replace(" ,", ",").strip()
    if not value:
        return None
    iso = re.match(r"^(\d{4})-(\d{2})-(\d{2})", value)
    if iso:
        try:
            return date(*map(int, iso.groups())).isoformat()
        except ValueError:
            return None
    cleaned = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", value).replace(".", "")
    cleaned = cleaned.replace("Sept ", "Sep ")
    # No format matches more than ~30 characters: a paragraph skips the nine failing strptime
    # calls (~10 us each; spiders ask of every paragraph whether it is only a date).
    for fmt in _DATE_FORMATS if len(cleaned) <= _DATE_FORMATS_MAX_CHARS else ():
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def content_hash(title: str | None, body: str | None) -> str:
    """SHA-256 of what a release says: title and body, normalised, without dateline."""
    return hash_normalized(normalize_for_hash(title), normalize_for_hash(strip_dateline(body)))


def hash_normalized(title: str, body: str) -> str:
    """``content_hash`` of a title and a body already through ``normalize_for_hash`` (the
    body without its dateline): the store normalises a body once for hash and signature."""
    return hashlib.sha256((title + "\n" + body).encode("utf-8")).hexdigest()


def canonical_url(url: str) -> str:
    """The URL without fragment, tracking parameters, default port or trailing junk."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not TRACKING_PARAMS.match(k)]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def split_note(text: str) -> tuple[str, str | None]:
    """``"Finland – OSCE Chairpersonship 2025"`` -> ``("Finland", "OSCE Chairpersonship 2025")``.

    A dash with spaces around it separates a note, and so does an en or em dash without
    them (``Finland—OSCE Chairpersonship 2025``); a hyphen does only with spaces, so
    ``Bosnia-Herzegovina`` stays whole.
    """
    text = " ".join(text.split())
    match = (re.match(rf"^(?P<name>.+?)\s+[{DASH_CLASS}]+\s+(?P<note>.+)$", text)
             or re.match(r"^(?P<name>[^\u2013\u2014]+?)\s*[\u2013\u2014]\s*(?P<note>\S.*)$", text))
    if not match:
        return text, None
    return match.group("name").strip(), match.group("note").strip()


# The lookahead (a digit or a month's initial) only lets ``re`` skip the other positions
# quickly: 3x faster on a listing row's text, the same matches.
_DATE_IN_TEXT = re.compile(rf"(?=[\dADFJMNOS])(?:{_DAY_MONTH_YEAR}|{_MONTH_DAY_YEAR}|\d{{4}}-\d{{2}}-\d{{2}})")


def find_date(text: str | None) -> str | None:
    """The first parseable date inside a longer text (``Publishing date: 12 August 2025``)."""
    for match in _DATE_IN_TEXT.finditer(text or ""):
        iso = parse_date(match.group(0))
        if iso:
            return iso
    return None


TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def timestamp(moment: datetime) -> str:
    """A datetime as the schema's time text: ISO 8601 UTC, second precision
    (``2026-01-02T03:04:05Z``); a naive datetime is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(TIMESTAMP_FORMAT)


def utcnow() -> str:
    """Now as the schema's time text."""
    return timestamp(datetime.now(UTC))


def parse_timestamp(text: str) -> datetime:
    """The schema's time text (or any ISO 8601 with ``Z``) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def run_scope(args: Mapping[str, Any] | None) -> str:
    """What a run of a spider crawled, from its arguments (``-a``): ``""`` for a plain run.

    ``full`` is left out (a back-fill covers the same listings, further down); any other
    argument (``body=general-assembly``, ``url=...``, ``keywords=...``) makes another scope.
    """
    scope = {str(k): str(v) for k, v in (args or {}).items() if k != "full" and v is not None}
    return json.dumps(scope, sort_keys=True, ensure_ascii=False) if scope else ""
