"""What must hash equal and what must not (docs/schema.md, "Deduplication rules")."""

import pytest

from storage.normalize import (
    canonical_url,
    clean_text,
    content_hash,
    find_date,
    normalize_for_hash,
    parse_date,
    split_dateline,
    split_note,
)

BODY = ("VIENNA, 15 November 2007 - Clarity on Kosovo\u2019s future is critical, said "
        "Joachim Ruecker.\n\n\u201cIts comparative advantage\u201d is the field presence.")


def test_whitespace_quotes_and_dashes_hash_equal():
    variant = BODY.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    variant = variant.replace(" - ", " \u2013 ").replace("\n\n", "\n   \n\n ")
    assert content_hash("OSCE plays role", BODY) == content_hash("OSCE  plays\u00a0role", variant)


def test_leading_dateline_does_not_count():
    without = BODY.split(" - ", 1)[1]
    assert content_hash("T", BODY) == content_hash("T", without)
    assert content_hash("T", BODY) == content_hash("T", "5 October 2009 \u2013 " + without)


def test_changed_word_or_title_hashes_different():
    assert content_hash("T", BODY) != content_hash("T", BODY.replace("critical", "crucial"))
    assert content_hash("T", BODY) != content_hash("Other title", BODY)


def test_normalize_is_idempotent():
    once = normalize_for_hash(BODY)
    assert once == ("vienna, 15 november 2007 - clarity on kosovo's future is critical, said joachim ruecker. "
                    '"its comparative advantage" is the field presence.')  # normalised, not passed through
    assert normalize_for_hash(once) == once


@pytest.mark.parametrize("text, expected", [
    ("VIENNA, 15 November 2007 - Clarity", ("VIENNA", "2007-11-15", "Clarity")),
    ("MOSCOW, 26 February 2020 \u2013 OSCE", ("MOSCOW", "2020-02-26", "OSCE")),
    ("STRASBOURG, 17 May 2024 \u2014 The", ("STRASBOURG", "2024-05-17", "The")),
    ("5 October 2009 \u2013 Secretary-General", (None, "2009-10-05", "Secretary-General")),
    ("THE HAGUE, 3 March 2021 - x", ("THE HAGUE", "2021-03-03", "x")),
    ("No dateline here, 5 people - said", (None, None, "No dateline here, 5 people - said")),
    ("VIENNA, 31 February 2020 - impossible", (None, None, "VIENNA, 31 February 2020 - impossible")),
])
def test_split_dateline(text, expected):
    assert split_dateline(text) == expected


@pytest.mark.parametrize("value, expected", [
    ("15 November 2007", "2007-11-15"),
    ("Tue, 15 Nov 2007 12:00:00 +0000", "2007-11-15"),
    ("2024-05-17T10:00:00Z", "2024-05-17"),
    ("November 15, 2007", "2007-11-15"),
    ("31 February 2020", None),
    ("2020-13-01", None),
    ("", None),
    ("soon", None),
])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_find_date_in_teaser_text():
    assert find_date("Publishing date: 12 August 2025") == "2025-08-12"
    assert find_date("no date") is None


def test_canonical_url_drops_tracking_and_fragment():
    assert canonical_url("HTTPS://www.OSCE.org:443/pc/49473?utm_source=tw&fbclid=1#top") == \
        "https://www.osce.org/pc/49473"
    assert canonical_url("https://x.org/a?page=2&utm_medium=x") == "https://x.org/a?page=2"


def test_split_note_any_dash_with_spaces():
    assert split_note("Finland \u2013 OSCE Chairpersonship 2025") == ("Finland", "OSCE Chairpersonship 2025")
    assert split_note("Malta - OSCE Chairpersonship 2024") == ("Malta", "OSCE Chairpersonship 2024")
    assert split_note("Switzerland \u2014 OSCE Chairpersonship 2026") == ("Switzerland", "OSCE Chairpersonship 2026")
    assert split_note("Guinea-Bissau") == ("Guinea-Bissau", None)


def test_split_note_at_an_unspaced_en_or_em_dash():
    assert split_note("Finland\u2014OSCE Chairpersonship 2025") == ("Finland", "OSCE Chairpersonship 2025")
    assert split_note("Malta\u2013 OSCE Chairpersonship 2024") == ("Malta", "OSCE Chairpersonship 2024")
    assert split_note("Bosnia-Herzegovina") == ("Bosnia-Herzegovina", None)


def test_clean_text_keeps_paragraphs_and_drops_invisibles():
    assert clean_text(" a \u200b b\n\n\n c\x00 ") == "a b\n\nc"


# Hashes stored by earlier versions: a faster clean_text / normalize_for_hash must give the same
# bytes, or every stored release would look edited at its next crawl.
STORED_HASHES = [
    ("Security Council Press Statement on Attack in Mali",
     "NEW YORK, 5 March 2024 \u2013 The members of the Security Council condemned in the strongest terms "
     "the \u201cheinous\u201d attack.\r\n\r\nThey expressed their deepest condolences\u00a0to the families.",
     "38aebea2f77a90304f443cac4ed25b71b54061a4a5749557b0586cccb47f1735"),
    ("OSCE Chairperson\u2019s statement",
     "VIENNA, 15 November 2007 - Clarity on Kosovo\n\n\n  is   needed\u200b now.\x1c End.",
     "28b6bea5c3cdb84e217d187d6cc12816ff71441c9fce2ee65e30903fc9c03b76"),
    ("plain ascii `title`", "no dateline here\tjust text\r\nand\x0blines",
     "81e5ff4a573395cc3b9ea5201aae4e814ad0268937e1a21a33ec557aa8a86942"),
    ("Türkiye and Czechia", "\ufb01nal ½ Å\u0301 – text",
     "cfa41782f83b394f81de10e26d6050634d39e1534dd1d796e57da88842c8b48b"),
]


@pytest.mark.parametrize(("title", "body", "digest"), STORED_HASHES)
def test_content_hashes_of_earlier_versions_are_unchanged(title, body, digest):
    assert content_hash(clean_text(title), clean_text(body)) == digest
