"""A local news site that republishes UN stories (docs/sites.md, "Mirrors"; seed 002).

Markup unlike UN News on purpose: an old table layout in windows-1252, the title in a
``font`` tag, no ``h1``, no ``time``, no date metadata, the recruiting banner at the top,
a left navigation column, a right column of headlines and the "Join the mailing list"
line right under the story. Serve it with its own ``LocalSite`` (another host:port than
the UN News copy).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.localsite.server import Page

if TYPE_CHECKING:  # un_news imports this module to serve the mirror beside UN News
    from crawler.localsite.un_news import Story

SEEDS = Path(__file__).with_name("seeds")
KOSOVO_PATH = "/news/world/ban-extols-un-mission-in-kosovo-for-spurring-dialogue"
CHARSET = "windows-1252"


@dataclass
class Copy:
    """A story as the mirror prints it: the body still opens with the dateline."""

    path: str
    title: str
    paragraphs: list[str]
    banner: str
    footer: str


def seed_copy() -> Copy:
    """Seed 002 as captured: banner, title, dateline paragraph..., mailing-list line."""
    lines = [line for line in (SEEDS / "mirror_2009_ban_kosovo.txt").read_text().splitlines() if line.strip()]
    return Copy(KOSOVO_PATH, lines[1], lines[2:-1], banner=lines[0], footer=lines[-1])


def copy_of(story: Story, path: str) -> Copy:
    """Another UN story republished on the mirror (dateline added, as the mirror does)."""
    seed = seed_copy()
    return replace(seed, path=path, title=story.title,
                   paragraphs=[f"{story.printed_date} \u2013 {story.lead}", *story.paragraphs])


def _fix_typos(paragraphs: list[str]) -> list[str]:
    return [p.replace("beheld", "be held").replace("policies I dealing", "policies in dealing") for p in paragraphs]


def _drop_sentence(paragraphs: list[str]) -> list[str]:
    return [p for p in paragraphs if not p.startswith("Last February, Kosovo declared")]


def _plain_quotes(paragraphs: list[str]) -> list[str]:
    table = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2019": "'", "\u2013": "--"})
    return [p.translate(table) for p in paragraphs]


# Small edits a republisher makes; each copy is still the same release (near-duplicate).
EDITS: dict[str, Callable[[list[str]], list[str]]] = {
    "fixed_typo": _fix_typos,
    "dropped_sentence": _drop_sentence,
    "other_quotes_and_dashes": _plain_quotes,
}


def edited_copy(copy: Copy, edit: str, path: str | None = None) -> Copy:
    return replace(copy, path=path or f"{copy.path}-{edit.replace('_', '-')}",
                   paragraphs=EDITS[edit](copy.paragraphs))


def story_html(copy: Copy) -> str:
    """The story in the mirror's 2009-era table layout."""
    body = "\n".join(f'<p><font face="Verdana, Arial" size="2">{escape(p)}</font></p>' for p in copy.paragraphs)
    headlines = "".join(f'<tr><td><a href="/news/world/{n}">{escape(t)}</a></td></tr>' for n, t in (
        (101, "Pentagon reviews contractor vetting rules"), (102, "NATO ministers meet in Bratislava"),
        (103, "Cyber command reaches full operating capability")))
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset={CHARSET}">
<title>{escape(copy.title)} - World News Wire</title>
<link rel="stylesheet" type="text/css" href="/css/site.css">
<script type="text/javascript" src="/js/ads.js"></script>
</head>
<body bgcolor="#FFFFFF" leftmargin="0" topmargin="0" marginwidth="0" marginheight="0">
<table width="100%" border="0" cellspacing="0" cellpadding="4" bgcolor="#003366">
<tr><td align="center"><a href="https://jobs.example.com/join?src=wnw"><font color="#FFFFFF" face="Arial" size="2"><b>{escape(copy.banner)}</b></font></a></td></tr>
</table>
<table width="980" border="0" cellspacing="0" cellpadding="0" align="center">
<tr><td colspan="3"><a href="/"><img src="/images/logo.gif" width="300" height="60" border="0" alt="World News Wire"></a></td></tr>
<tr>
<td width="160" valign="top" bgcolor="#EEEEEE">
 <table width="100%" border="0" cellpadding="3">
 <tr><td><a href="/">Home</a></td></tr><tr><td><a href="/news/world/">World</a></td></tr>
 <tr><td><a href="/news/defense/">Defense</a></td></tr><tr><td><a href="/news/intel/">Intelligence</a></td></tr>
 <tr><td><a href="/jobs/">Jobs</a></td></tr><tr><td><a href="/archives/">Archives</a></td></tr>
 </table>
</td>
<td width="640" valign="top" style="padding:10px">
 <font face="Georgia, Times" size="5"><b>{escape(copy.title)}</b></font><br>
 <font face="Verdana" size="1" color="#666666">Source: United Nations | <a href="/news/world/">World</a></font><br><br>
{body}
 <p><font face="Verdana" size="2"><b><a href="/mailinglist/">{escape(copy.footer)}</a></b></font></p>
</td>
<td width="180" valign="top">
 <table width="100%" border="0" cellpadding="3"><tr><td><b>Top headlines</b></td></tr>{headlines}</table>
</td>
</tr>
<tr><td colspan="3" align="center"><font size="1">Copyright &copy; 2001-2009 World News Wire. All rights reserved.
 | <a href="/privacy.html">Privacy</a> | <a href="/contact.html">Contact us</a></font></td></tr>
</table>
</body></html>"""


def build_site(copies: list[Copy]) -> dict[str, Page]:
    """The mirror's pages: its robots.txt and one page per copy (windows-1252)."""
    pages = {"/robots.txt": Page("User-agent: *\nDisallow: /cgi-bin/\n", content_type="text/plain")}
    for copy in copies:
        pages[copy.path] = Page(story_html(copy).encode(CHARSET), content_type=f"text/html; charset={CHARSET}")
    return pages


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
