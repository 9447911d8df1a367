"""``spiders.extract.parse_html``: valid UTF-8 pages go to libxml2 as bytes (no decoding),
and the tree is the one the page's decoded text gives, whatever the bytes hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml.html import HtmlElement

from spiders.extract import page_encoding, parse_html

FIXTURES = sorted(Path(__file__).with_name("files").rglob("*.html"))
PAGE = (Path(__file__).with_name("files") / "osce" / "release-2024-current.html").read_bytes()
# What a page may start with or hold that the bytes path must not get wrong.
PIECES = [b"\xef\xbb\xbf", b"<?xml version='1.0' encoding='utf-8'?>", b"  \n", b"\x00", b"\xc3", b"\xff",
          "\u2013 caf\u00e9".encode(), "caf\u00e9".encode("latin-1"), b"<meta charset='iso-8859-1'>",
          b"<meta charset='shift_jis'>", "\u00a0".encode(), b"\x1c", b"<!-- a comment -->", b"<?php x ?>",
          b"&#0;&nbsp;", b"</div><p>", b"\r\n", "\u6771\u4eac".encode("shift_jis")]


def as_text(body: bytes, encoding: str | None):
    """The tree of the page decoded to text first (what parse_html did for every page)."""
    text = body.decode(page_encoding(body, encoding), errors="replace").lstrip("\ufeff")
    return parse_html(text)


def same_tree(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return etree.tostring(a, encoding="unicode") == etree.tostring(b, encoding="unicode")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_every_fixture_page_parses_from_bytes_as_from_its_text(path):
    body = path.read_bytes()
    root = parse_html(body, "utf-8")
    assert root is not None and same_tree(root, as_text(body, "utf-8"))
    assert all(isinstance(el, HtmlElement) for el in root.iter() if isinstance(el.tag, str))


@settings(max_examples=300, deadline=None)
@given(cuts=st.lists(st.tuples(st.integers(0, len(PAGE)), st.sampled_from(PIECES)), max_size=4),
       prefix=st.sampled_from([b"", *PIECES]), end=st.integers(0, len(PAGE)),
       encoding=st.sampled_from([None, "utf-8", "iso-8859-1", "cp1252", "utf-16", "shift_jis", "bogus"]))
def test_any_bytes_parse_as_their_decoded_text(cuts, prefix, end, encoding):
    body = bytearray(PAGE[:end])
    for at, piece in cuts:
        body[at:at] = piece
    body = prefix + bytes(body)
    assert same_tree(parse_html(body, encoding), as_text(body, encoding))
