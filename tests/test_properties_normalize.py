"""Property-based tests (hypothesis) of the text normaliser, the content hash and the
date parsers: the rules of docs/schema.md, "Deduplication rules" for any text, not just the
examples in test_normalize.py."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime
from email.utils import format_datetime

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from storage.normalize import (
    MONTHS,
    canonical_url,
    clean_text,
    content_hash,
    find_date,
    normalize_for_hash,
    parse_date,
    split_dateline,
)

# No deadline: the machine is shared and a slow example is not a wrong one.
PROPERTY = settings(deadline=None, max_examples=150)

DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"]
SINGLE_QUOTES = ["'", "\u2018", "\u2019", "\u201b", "\u2032", "`", "\u00b4"]
DOUBLE_QUOTES = ['"', "\u201c", "\u201d", "\u201e", "\u00ab", "\u00bb"]
SPACES = [" ", "  ", "\t", "\n", "\u00a0", " \n\n ", "\u202f", "\r\n"]
WORD = st.text(string.ascii_letters + "-'\"", min_size=1, max_size=12).filter(lambda w: w.strip("-'\""))
WORDS = st.lists(WORD, min_size=1, max_size=40)


def variant(data: st.DataObject, words: list[str]) -> str:
    """``words`` as another page might typeset them: other spaces, dashes, quotes and case."""
    out = []
    for word in words:
        chars = []
        for char in word:
            if char == "-":
                char = data.draw(st.sampled_from(DASHES))
            elif char == "'":
                char = data.draw(st.sampled_from(SINGLE_QUOTES))
            elif char == '"':
                char = data.draw(st.sampled_from(DOUBLE_QUOTES))
            elif data.draw(st.booleans()):
                char = char.swapcase()
            chars.append(char)
        out.append("".join(chars))
    gaps = [data.draw(st.sampled_from(SPACES)) for _ in out]
    return data.draw(st.sampled_from(["", " ", "\n"])) + "".join(w + g for w, g in zip(out, gaps, strict=True))


@PROPERTY
@given(st.text())
def test_clean_text_is_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once
    # ... because the first pass already gave the stored form (not because it did nothing):
    assert once == once.strip() and "\r" not in once and "\u00a0" not in once and "\n\n\n" not in once
    assert all(line == " ".join(line.split()) for line in once.split("\n"))


@PROPERTY
@given(st.text())
def test_normalize_for_hash_is_idempotent(text):
    once = normalize_for_hash(text)
    assert normalize_for_hash(once) == once
    # ... because the first pass already gave the normal form (not because it did nothing):
    assert once == " ".join(once.split()) and once == once.casefold()
    assert not set(once) & set(DASHES[1:] + SINGLE_QUOTES[1:] + DOUBLE_QUOTES[1:])


@PROPERTY
@given(st.text(), st.text())
def test_storing_the_cleaned_text_does_not_change_the_hash(title, body):
    assert content_hash(title, body) == content_hash(clean_text(title), clean_text(body))


@PROPERTY
@given(st.data(), WORDS, WORDS)
def test_whitespace_dash_quote_and_case_variants_hash_equal(data, title, body):
    assert content_hash(" ".join(title), " ".join(body)) == content_hash(variant(data, title), variant(data, body))


@PROPERTY
@given(st.data(), WORDS, st.text(string.ascii_letters, min_size=1, max_size=12))
def test_a_changed_word_hashes_different(data, words, new):
    index = data.draw(st.integers(0, len(words) - 1))
    assume(normalize_for_hash(new) != normalize_for_hash(words[index]))
    changed = [*words[:index], new, *words[index + 1:]]
    assert content_hash("Title", " ".join(words)) != content_hash("Title", " ".join(changed))
    assert content_hash(" ".join(words), "Body") != content_hash(" ".join(changed), "Body")


DATES = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
PRINTED = [
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",           # 5 October 2009
    lambda d: f"{d.day:02d} {MONTHS[d.month - 1][:3]} {d.year}",   # 05 Oct 2009
    lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",          # October 5, 2009
    lambda d: f"{MONTHS[d.month - 1][:3]}. {d.day} {d.year}",      # Oct. 5 2009
    lambda d: d.isoformat(),                                         # 2009-10-05
    lambda d: f"{d.isoformat()}T12:00:00Z",
]


@PROPERTY
@given(DATES, st.sampled_from(PRINTED))
def test_printed_dates_parse_back(day, printed):
    assert parse_date(printed(day)) == day.isoformat()
    assert find_date(f"Publishing date: {printed(day)}") == day.isoformat()


@PROPERTY
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_rfc_2822_dates_of_feeds_parse_back(day):
    stamp = format_datetime(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))  # Tue, 15 Nov 2007 12:00:00 +0000
    assert parse_date(stamp) == day.isoformat()


@PROPERTY
@given(
    DATES,
    st.sampled_from(["VIENNA", "THE HAGUE", "BISHKEK", "NEW YORK", "SKOPJE", "ST. PETERSBURG", None]),
    st.sampled_from(DASHES[:1] + DASHES[3:5]),
    st.text(string.ascii_letters + " .,", min_size=1).filter(lambda t: t[0].isalpha()),
)
def test_dateline_splits_into_place_date_and_text(day, place, dash, rest):
    printed = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    line = f"{place}, {printed} {dash} {rest}" if place else f"{printed} {dash} {rest}"
    assert split_dateline(line) == (place, day.isoformat(), rest)


@PROPERTY
@given(st.text())
def test_date_parsers_never_raise_on_any_text(text):
    for iso in (parse_date(text), find_date(text)):
        assert iso is None or date.fromisoformat(iso)
    place, iso, rest = split_dateline(text)
    assert (iso is None and place is None and rest == text) or (iso and text.endswith(rest))


@PROPERTY
@given(st.text(), st.text())
def test_hashing_never_raises_and_is_hex(title, body):
    digest = content_hash(title, body)
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")


@PROPERTY
@given(st.sampled_from(["http", "https"]), st.from_regex(r"[a-z][a-z0-9-]{0,20}\.(org|int)", fullmatch=True),
       st.lists(st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=10), max_size=4),
       st.dictionaries(st.sampled_from(["page", "utm_source", "fbclid", "id", "ref"]),
                       st.text(string.ascii_letters, max_size=5), max_size=3))
def test_canonical_url_is_idempotent_and_drops_tracking(scheme, host, path, query):
    url = f"{scheme}://{host}/{'/'.join(path)}?" + "&".join(f"{k}={v}" for k, v in query.items()) + "#frag"
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "utm_source" not in once and "fbclid" not in once and "#" not in once


MONTH_NAMES = st.sampled_from([*MONTHS, *(m[:3] for m in MONTHS), "Sept", "may"])
DATE_LIKE = st.one_of(
    st.builds("{} {}, {}".format, MONTH_NAMES, st.integers(0, 40), st.integers(1990, 2030)),
    st.builds("{} {}. {}".format, st.integers(0, 40), MONTH_NAMES, st.integers(1990, 2030)),
    st.builds("{}-{:02d}-{:02d}".format, st.integers(1990, 2030), st.integers(0, 13), st.integers(0, 32)),
    st.sampled_from(["12", "2024", "\u0663\u0661", " ", ", ", ". ", "\u00a0", "\n", "Mayday", "x", "31st"]))


@PROPERTY
@given(st.lists(DATE_LIKE, max_size=12))
def test_find_date_finds_what_the_plain_alternation_finds(pieces):
    """Its lookahead (a digit or a month's initial) only skips positions no date starts at."""
    import re

    from storage.normalize import _DAY_MONTH_YEAR, _MONTH_DAY_YEAR, parse_date

    plain = re.compile(rf"{_DAY_MONTH_YEAR}|{_MONTH_DAY_YEAR}|\d{{4}}-\d{{2}}-\d{{2}}")
    text = "".join(pieces)
    expected = next((iso for m in plain.finditer(text) if (iso := parse_date(m.group(0)))), None)
    assert find_date(text) == expected


@PROPERTY
@given(st.sampled_from(["", "Wednesday, ", "Tue, ", "The text of a paragraph, " * 3]), DATE_LIKE,
       st.sampled_from(["", " 10:00:00 +0000", " GMT", " and the rest of a paragraph" * 3]))
def test_parse_date_skips_only_strptime_calls_that_cannot_match(before, date_like, after):
    """A text longer than any date format (a paragraph) is not tried against them."""
    from unittest import mock

    from storage import normalize

    text = before + date_like + after
    with mock.patch.object(normalize, "_DATE_FORMATS_MAX_CHARS", 10**9):
        unbounded = parse_date(text)
    assert parse_date(text) == unbounded
