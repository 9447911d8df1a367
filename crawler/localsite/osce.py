"""A local copy of osce.org, built from the seed captures (docs/sites.md, "osce.org").

Pages look like the Drupal site: the full mega-menu (Fields of work, Countries with the
Participating States, Structures and institutions with the Field operations), header,
footer, listing pages with teasers and a pager, and release pages with the labelled
metadata block. ``variant`` renders a release in the current markup, the older
(``legacy``) Drupal 6 markup, or a ``redesign`` with unknown class names.

``markup="live"`` (``build_site``; release variant ``live``, menu style ``live``) is the
Drupal 7 markup osce.org still serves on many release pages and archives, as public
scrapers read it (docs/sites.md, "osce.org"): no ``header``/``nav``/``main``/``footer``
elements; title ``div.content--header > h1``; date ``span.date-display-single`` (with
its RDFa ``content``); body ``div.content--content > div > div.pane-content``; issuers
``div.field-field-item-source a`` without a label; PDFs ``ul.osce-download-links > li >
a``; listing ``dl`` rows ``dt.search-title > h3 > a`` with the date in the following
``dd.search-result-news .publishing-date``; pager ``li.pager-next > a``; the menu as
Drupal 7 menu blocks (``li.expanded > a`` heading, nested ``ul.menu``). Evidence: a
public Go (colly) crawler of osce.org (megaCrawler's ``osce`` plugin) whose selectors
are exactly these, found with the code search; the same older class names as the ``legacy`` markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path

from crawler.localsite.server import Page

SEEDS = Path(__file__).with_name("seeds")
_LABELS = ("Date:", "Place:", "Source:", "Fields of work:")
NOT_STATES = ("Asian Partners for Co-operation", "Mediterranean Partners for Co-operation")


@dataclass
class Release:
    """One OSCE press release as the site shows it."""

    path: str
    title: str
    date: str  # as printed: "15 November 2007"
    place: str
    sources: list[str]
    fields_of_work: list[str]
    paragraphs: list[str]
    variant: str = "current"


@dataclass
class Menu:
    """The site menu sections that the lists are read from."""

    fields_of_work: list[str]
    states: list[str]
    field_operations: list[str]
    asian_partners: list[str] = field(default_factory=lambda: [
        "Afghanistan", "Australia", "Japan", "Republic of Korea", "Thailand"])
    mediterranean_partners: list[str] = field(default_factory=lambda: [
        "Algeria", "Egypt", "Israel", "Jordan", "Morocco", "Tunisia"])
    closed_operations: list[str] = field(default_factory=lambda: [
        "Office in Baku", "Office in Yerevan", "Special Monitoring Mission to Ukraine",
        "Project Co-ordinator in Ukraine", "OSCE Mission to Georgia"])
    # "drupal": the current mega-menu in <nav>; "plain": a <div> menu outside the header
    # with h2/h3 headings and two-column lists; "buttons": dropdowns behind <button>s,
    # notes in a <span> after an em dash, toggles with hidden labels.
    style: str = "drupal"
    show_partners: bool = True


def _section(lines: list[str], heading: str, *, after: str | None = None) -> list[str]:
    """The ``- item`` lines under the ``- heading`` line (until the next ``-`` line)."""
    start = lines.index(after) if after else 0
    index = lines.index(f"- {heading}", start) if f"- {heading}" in lines[start:] else lines.index(heading, start)
    items = []
    for line in lines[index + 1:]:
        if line == "-" or not line.startswith("- "):
            break
        items.append(line[2:])
    return items


def seed_menu() -> Menu:
    """The menu as captured in the seeds (57 States, 12 field operations)."""
    lines = (SEEDS / "osce_2007_kosovo.txt").read_text().splitlines()
    fields_of_work = _section(lines, "Fields of work")
    states = [s for s in _section(lines, "Participating States") if s not in NOT_STATES]
    operations = _section(lines, "Field operations", after="Secretariat")
    operations = operations[: operations.index("Closed field activities")]
    return Menu(fields_of_work, states, operations)


def parse_seed(name: str, path: str, variant: str = "current") -> Release:
    """A release from a seed capture: the lines after the menu's ``Press release``."""
    lines = (SEEDS / name).read_text().splitlines()
    lines = lines[lines.index("Press release") + 1:]
    title, rest = lines[0], lines[1:]
    meta: dict[str, list[str]] = {}
    label = None
    while rest and rest[0].startswith("- "):
        token = rest.pop(0)[2:]
        if token in _LABELS:
            label = token[:-1]
            meta[label] = []
        elif label:
            meta[label].extend(v.strip() for v in token.split(","))
    paragraphs = [line for line in rest if line.strip()]
    match = re.match(r"^([A-Z ]+), (\d{1,2} \w+ \d{4})", paragraphs[0])
    return Release(
        path=path, title=title, date=match.group(2) if match else "",
        place=(meta.get("Place") or [""])[0], sources=meta.get("Source", []),
        fields_of_work=meta.get("Fields of work", []), paragraphs=paragraphs, variant=variant,
    )


def seed_releases() -> list[Release]:
    """The three seed releases, newest first, at the paths docs/sites.md names."""
    return [
        parse_seed("osce_2024_council_of_europe.txt", "/secretariat/568421"),
        parse_seed("osce_2020_rama_lavrov.txt", "/chairpersonship/446341"),
        parse_seed("osce_2007_kosovo.txt", "/pc/49473"),
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _links(names: list[str], prefix: str) -> str:
    return "".join(
        f'<li class="menu-item"><a href="{prefix}/{_slug(n)}" class="menu-link">{escape(n)}</a></li>'
        for n in names
    )


def _d7_menu(menu: Menu) -> str:
    """Drupal 7 menu blocks: each section an ``li.expanded`` whose link heads a ``ul.menu``."""
    def leaves(names: list[str], prefix: str) -> str:
        return "".join(f'<li class="leaf"><a href="{prefix}/{_slug(n)}" title="">{escape(n)}</a></li>' for n in names)

    partners = "".join(
        f'<li class="expanded"><a href="/partners/{kind}">{heading}</a><ul class="menu">{leaves(names, "/partners/" + kind)}</ul></li>'
        for kind, heading, names in (("asian", "Asian Partners for Co-operation", menu.asian_partners),
                                     ("mediterranean", "Mediterranean Partners for Co-operation",
                                      menu.mediterranean_partners))) if menu.show_partners else ""
    return f"""
<div id="block-menu-block-1" class="block block-menu-block"><div class="content"><div class="menu-block-wrapper menu-block-1 menu-name-main-menu">
<ul class="menu"><li class="first expanded"><a href="/what-we-do">What we do</a><ul class="menu">
  <li class="expanded"><a href="/fields-of-work">Fields of work</a><ul class="menu">{leaves(menu.fields_of_work, "")}</ul></li></ul></li>
 <li class="expanded"><a href="/countries">Countries</a><ul class="menu">
  <li class="leaf"><a href="/countries">All</a></li>
  <li class="expanded"><a href="/participating-states">Participating States</a><ul class="menu">{leaves(menu.states, "/participating-states")}{partners}</ul></li></ul></li>
 <li class="last expanded"><a href="/structures">Structures and institutions</a><ul class="menu">
  <li class="expanded"><a href="/field-operations">Field operations</a><ul class="menu">{leaves(menu.field_operations, "/field-operations")}
   <li class="leaf last"><a href="/countries/closed-field-activities">Closed field activities</a></li></ul></li></ul></li>
</ul></div></div></div>"""


def d7_page_html(menu: Menu, title: str, main: str) -> str:
    """A full Drupal 7 page as osce.org serves its archives: ``div``s only, no HTML5 regions."""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML+RDFa 1.0//EN" "http://www.w3.org/MarkUp/DTD/xhtml-rdfa-1.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en" dir="ltr">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{escape(title)} | OSCE</title>
<link rel="alternate" hreflang="en" href="/pc/1" />
<script type="text/javascript" src="/misc/jquery.js"></script>
</head>
<body class="html not-front not-logged-in page-node">
<div id="skip-link"><a href="#main-content" class="element-invisible element-focusable">Skip to main content</a></div>
<div id="page-wrapper"><div id="page">
 <div id="header"><div class="section clearfix"><a href="/" title="Home" rel="home" id="logo"><img src="/logo.png" alt="OSCE" /></a>
  <div class="region region-header">{_d7_menu(menu)}</div></div></div>
 <div id="main-wrapper"><div id="main" class="clearfix"><div id="content" class="column"><div class="section">
  <a id="main-content"></a>
{main}
 </div></div></div></div>
 <div id="footer"><div class="section"><div class="region region-footer">
  <div class="block"><h2>Join the mailing list</h2><p>Sign up to receive OSCE news by email.</p></div>
  <ul class="links"><li><a href="/contacts">Contacts</a></li><li><a href="/employment">Employment</a></li></ul>
  <p>&copy; OSCE 1995-2019</p></div></div></div>
</div></div>
</body></html>"""


def menu_html(menu: Menu) -> str:
    """The site menu with the headed sections docs/sites.md describes, in ``menu.style``."""
    if menu.style == "live":
        return _d7_menu(menu)
    if menu.style == "plain":
        return _plain_menu(menu)
    if menu.style == "buttons":
        return _button_menu(menu)
    return _drupal_menu(menu)


def _drupal_menu(menu: Menu) -> str:
    states = _links(menu.states, "/participating-states")
    asian = _links(menu.asian_partners, "/partners/asian")
    med = _links(menu.mediterranean_partners, "/partners/mediterranean")
    operations = _links(menu.field_operations, "/field-operations")
    fields_of_work = _links(menu.fields_of_work, "")
    partners = f"""
      <li class="menu-item menu-item--expanded"><a href="/partners-for-cooperation/asian" class="menu-link">Asian Partners for Co-operation</a>
       <ul class="menu menu-level-3">{asian}</ul></li>
      <li class="menu-item menu-item--expanded"><a href="/partners-for-cooperation/mediterranean" class="menu-link">Mediterranean Partners for Co-operation</a>
       <ul class="menu menu-level-3">{med}</ul></li>""" if menu.show_partners else ""
    return f"""
<nav class="main-navigation" role="navigation" aria-label="Main navigation">
 <ul class="menu menu--main menu-level-0">
  <li class="menu-item menu-item--expanded"><span class="menu-heading">Our work</span>
   <ul class="menu menu-level-1">
    <li class="menu-item menu-item--expanded"><a href="/fields-of-work" class="menu-link">Fields of work</a>
     <ul class="menu menu-level-2">{fields_of_work}</ul></li>
    <li class="menu-item menu-item--expanded"><span class="menu-heading">Meetings and conferences</span>
     <ul class="menu menu-level-2">{_links(["Summit meetings", "Ministerial Council meetings",
        "Plenary meetings of the Permanent Council", "Human rights meetings", "Partnerships"], "/meetings")}</ul></li>
   </ul></li>
  <li class="menu-item menu-item--expanded"><span class="menu-heading">Countries</span>
   <ul class="menu menu-level-1">
    <li class="menu-item"><a href="/countries" class="menu-link">All</a></li>
    <li class="menu-item menu-item--expanded"><span class="menu-heading">Participating States</span>
     <ul class="menu menu-level-2">{states}{partners}
     </ul></li>
   </ul></li>
  <li class="menu-item menu-item--expanded"><span class="menu-heading">Structures and institutions</span>
   <ul class="menu menu-level-1">
    <li class="menu-item"><a href="/chairpersonship" class="menu-link">Chairpersonship</a></li>
    <li class="menu-item menu-item--expanded"><a href="/secretariat" class="menu-link">Secretariat</a>
     <ul class="menu menu-level-2">{_links(["Secretary General", "Conflict Prevention Centre",
        "Transnational Threats Department", "Documentation Centre in Prague", "Institutions"], "/secretariat")}</ul></li>
    <li class="menu-item menu-item--expanded"><span class="menu-heading">Field operations</span>
     <ul class="menu menu-level-2">{operations}
      <li class="menu-item"><a href="/countries/closed-field-activities" class="menu-link">Closed field activities</a></li>
     </ul></li>
    <li class="menu-item"><a href="/parliamentary-assembly" class="menu-link">Parliamentary Assembly</a></li>
    <li class="menu-item"><a href="/about-us" class="menu-link">About us</a></li>
   </ul></li>
 </ul>
</nav>"""


def _plain_menu(menu: Menu) -> str:
    """A redesign without <nav>: headed blocks, States in two columns, partners apart."""
    half = (len(menu.states) + 1) // 2
    partners = f"""
  <div class="menu-block"><h3>Asian Partners for Co-operation</h3><ul>{_links(menu.asian_partners, "/partners/asian")}</ul></div>
  <div class="menu-block"><h3>Mediterranean Partners for Co-operation</h3><ul>{_links(menu.mediterranean_partners, "/partners/mediterranean")}</ul></div>""" if menu.show_partners else ""
    return f"""
<div class="site-menu" id="mega-menu">
 <div class="menu-group"><h2>Our work</h2>
  <div class="menu-block"><h3>Fields of work</h3><ul>{_links(menu.fields_of_work, "")}</ul></div>
 </div>
 <div class="menu-group"><h2>Countries</h2>
  <div class="menu-block"><h3>Participating States</h3>
   <p class="menu-intro">The 57 participating States of the OSCE.</p>
   <div class="columns"><ul>{_links(menu.states[:half], "/participating-states")}</ul>
   <ul>{_links(menu.states[half:], "/participating-states")}<li><a href="/countries">All</a></li></ul></div></div>{partners}
 </div>
 <div class="menu-group"><h2>Structures and institutions</h2>
  <div class="menu-block"><h3>Field operations</h3><ul>{_links(menu.field_operations, "/field-operations")}
   <li><a href="/countries/closed-field-activities">Closed field activities</a></li></ul></div>
 </div>
</div>"""


def _noted_links(names: list[str], prefix: str) -> str:
    out = []
    for text in names:
        name, _, note = text.partition(" \u2013 ")
        note_html = f' <span class="menu-note">\u2014 {escape(note)}</span>' if note else ""
        out.append(f'<li><a href="{prefix}/{_slug(name)}">{escape(name)}</a>{note_html}</li>')
    return "".join(out)


def _button_menu(menu: Menu) -> str:
    """Dropdowns behind buttons, notes after an em dash in a span, hidden toggle labels."""
    toggle = '<button class="submenu-toggle"><span class="sr-only">Open submenu</span></button>'
    partners = f"""
     <li><a href="/partners/asian">Asian Partners for Co-operation</a>{toggle}<ul class="submenu">{_links(menu.asian_partners, "/partners/asian")}</ul></li>
     <li><a href="/partners/mediterranean">Mediterranean Partners for Co-operation</a>{toggle}<ul class="submenu">{_links(menu.mediterranean_partners, "/partners/mediterranean")}</ul></li>""" if menu.show_partners else ""
    return f"""
<div class="mega">
 <div class="mega-item"><button type="button" aria-expanded="false">Fields of work</button>
  <div class="dropdown"><ul>{_links(menu.fields_of_work, "")}</ul></div></div>
 <div class="mega-item"><button type="button" aria-expanded="false">Participating States</button>
  <div class="dropdown"><ul><li><a href="/countries">All</a></li>{_noted_links(menu.states, "/participating-states")}{partners}</ul></div></div>
 <div class="mega-item"><button type="button" aria-expanded="false">Field operations</button>
  <div class="dropdown"><ul>{_noted_links(menu.field_operations, "/field-operations")}
   <li><a href="/countries/closed-field-activities">Closed field activities</a></li></ul></div></div>
</div>"""


def page_html(menu: Menu, title: str, main: str, *, body_class: str = "") -> str:
    """A full page: head, header with the menu, main content, footer."""
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{escape(title)} | OSCE</title>
<link rel="stylesheet" media="all" href="/themes/custom/osce/css/style.css">
<script src="/core/assets/vendor/jquery/jquery.min.js"></script>
</head>
<body class="path-node {body_class}">
<a href="#main-content" class="visually-hidden focusable skip-link">Skip to main content</a>
<header id="header" class="header" role="banner">
 <div class="site-branding"><a href="/" rel="home" title="Home"><img src="/logo.svg" alt="OSCE"></a></div>
 <div class="search-block"><form action="/search" method="get"><input type="search" name="keys"></form></div>
 {menu_html(menu) if menu.style == "drupal" else ""}
</header>{"" if menu.style == "drupal" else menu_html(menu)}
<main id="main-content" role="main">
{main}
</main>
<footer class="site-footer" role="contentinfo">
 <div class="newsletter"><h2>Join the mailing list</h2><p>Sign up to receive OSCE news by email.</p></div>
 <ul class="footer-links"><li><a href="/contacts">Contacts</a></li><li><a href="/employment">Employment</a></li>
 <li><a href="/terms-of-use">Terms of use</a></li><li><a href="/press-releases">Press releases</a></li></ul>
 <p class="copyright">&copy; OSCE 1995-2026</p>
</footer>
<script>window.dataLayer=window.dataLayer||[];</script>
</body></html>"""


def _meta_list(values: list[str]) -> str:
    return "".join(f'<div class="field__item"><a href="/{_slug(v)}">{escape(v)}</a></div>' for v in values)


def iso_date(printed: str) -> str:
    """``15 November 2007`` -> ``2007-11-15``."""
    day, month, year = printed.split()
    return f"{year}-{MONTHS.index(month) + 1:02d}-{int(day):02d}"


def live_release_main(rel: Release) -> str:
    """A release in the Drupal 7 markup osce.org serves (module docstring)."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in rel.paragraphs)
    number = rel.path.rsplit("/", 1)[-1]
    sources = "".join(f'<div class="field-item"><a href="/{_slug(s)}">{escape(s)}</a></div>' for s in rel.sources)
    fow = "".join(f'<div class="field-item"><a href="/{_slug(v)}">{escape(v)}</a></div>' for v in rel.fields_of_work)
    fow_html = f"""<div class="field field-field-topics"><div class="field-label">Fields of work:&nbsp;</div>
   <div class="field-items">{fow}</div></div>""" if fow else ""
    return f"""<div class="panel-display osce-layout clearfix">
 <div class="content--header"><div class="content-type">Press release</div><h1>{escape(rel.title)}</h1></div>
 <div class="content--content"><div class="panel-pane pane-node-content"><div class="pane-content">
  <div class="node-meta"><span class="date-display-single" property="dc:date" datatype="xsd:dateTime" content="{iso_date(rel.date)}T00:00:00+01:00">{escape(rel.date)}</span></div>
  <div class="field field-field-item-source"><div class="field-items">{sources}</div></div>
  <div class="field field-name-body"><div class="field-items"><div class="field-item even" property="content:encoded">{body}</div></div></div>
 </div></div>
 <div class="panel-pane pane-downloads"><div class="pane-content"><ul class="osce-download-links">
  <li class="first"><a href="/files/f/documents/{number}.pdf">English</a></li>
  <li class="last"><a href="/files/f/documents/{number}_ru.pdf">\u0420\u0443\u0441\u0441\u043a\u0438\u0439</a></li></ul></div></div>
 <div class="panel-pane pane-topics"><div class="pane-content">{fow_html}</div></div></div>
</div>"""


def release_main(rel: Release) -> str:
    """The content area of a release page in one of the markups."""
    if rel.variant == "live":
        return live_release_main(rel)
    body = "\n".join(f"<p>{escape(p)}</p>" for p in rel.paragraphs)
    fow = rel.fields_of_work
    if rel.variant == "legacy":
        fow_html = "".join(f'<a href="/{_slug(v)}">{escape(v)}</a>, ' for v in fow).rstrip(", ")
        return f"""<div id="content"><div class="content--header"><span class="content-type">Press release</span>
<h1>{escape(rel.title)}</h1></div>
<div class="panel-pane pane-node-content"><div class="pane-content">
<div class="field field-type-date"><div class="field-label">Date:&nbsp;</div><span class="date-display-single"></span></div>
<div class="field field-field-place"><div class="field-label">Place:&nbsp;</div><div class="field-item">{escape(rel.place)}</div></div>
<div class="field field-field-item-source"><div class="field-label">Source:&nbsp;</div>{"".join(f'<a href="/{_slug(s)}">{escape(s)}</a> ' for s in rel.sources)}</div>
{f'<div class="field field-field-fow"><div class="field-label">Fields of work:&nbsp;</div>{fow_html}</div>' if fow else ""}
<div class="node-body">{body}</div>
<div class="share-links">Share: <a href="https://twitter.com/share">Twitter</a> <a href="https://facebook.com/share">Facebook</a></div>
</div></div></div>"""
    if rel.variant == "redesign":
        rows = [("Date", ""), ("Place", escape(rel.place)), ("Source", ", ".join(map(escape, rel.sources)))]
        if fow:
            rows.append(("Fields of work", ", ".join(map(escape, fow))))
        dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
        return f"""<section class="x9-hero"><p class="x9-kicker">Press release</p>
<h1 class="x9-heading">{escape(rel.title)}</h1></section>
<section class="x9-grid"><aside class="x9-facts"><dl>{dl}</dl></aside>
<article class="x9-copy">{body}</article></section>
<section class="x9-related"><h2>Related content</h2><ul><li><a href="/pc/1">Another release</a></li></ul></section>"""
    source_items = f'<div class="field__item">{escape(", ".join(rel.sources))}</div>'
    fow_block = f"""<div class="field field--name-field-fields-of-work">
  <div class="field__label">Fields of work:</div><div class="field__items">{_meta_list(fow)}</div></div>""" if fow else ""
    return f"""<div class="region region-content">
<article role="article" class="node node--type-press-release node--view-mode-full">
 <div class="content--header"><div class="content-type">Press release</div>
  <h1 class="page-title"><span class="field field--name-title">{escape(rel.title)}</span></h1></div>
 <div class="node__meta meta-block">
  <div class="field field--name-field-date"><div class="field__label">Date:</div><div class="field__item"><time></time></div></div>
  <div class="field field--name-field-place"><div class="field__label">Place:</div><div class="field__item">{escape(rel.place)}</div></div>
  <div class="field field--name-field-source"><div class="field__label">Source:</div><div class="field__items">{source_items}</div></div>
  {fow_block}
 </div>
 <div class="clearfix text-formatted field field--name-body field--type-text-with-summary">{body}</div>
 <div class="share-buttons"><span>Share this</span><a href="https://twitter.com/intent/tweet">X</a><a href="https://www.facebook.com/sharer">Facebook</a></div>
</article></div>"""


def drupal_pager(page: int, last_page: int, *, last_link: bool = True) -> str:
    """A Drupal views pager: previous, current, ``rel="next"`` and (optionally) last."""
    items = []
    if page > 0:
        items.append(f'<li class="pager__item pager__item--previous"><a href="?page={page - 1}" rel="prev">‹ Previous</a></li>')
    items.append(f'<li class="pager__item is-active"><a href="?page={page}">{page + 1}</a></li>')
    if page < last_page:
        items.append(f'<li class="pager__item pager__item--next"><a href="?page={page + 1}" rel="next">Next ›</a></li>')
        if last_link:
            items.append(f'<li class="pager__item pager__item--last"><a href="?page={last_page}">Last »</a></li>')
    return ('<nav class="pager" role="navigation" aria-labelledby="pagination-heading">'
            '<h4 id="pagination-heading" class="visually-hidden">Pagination</h4>\n'
            f'<ul class="pager__items js-pager__items">{"".join(items)}</ul></nav>')


def d7_pager(page: int, last_page: int) -> str:
    """A Drupal 7 pager: ``li.pager-next > a``, ``li.pager-last > a``."""
    items = [f'<li class="pager-current first">{page + 1}</li>']
    if page < last_page:
        items += [f'<li class="pager-item"><a title="Go to page {page + 2}" href="/press-releases?page={page + 1}">{page + 2}</a></li>',
                  f'<li class="pager-next"><a title="Go to next page" href="/press-releases?page={page + 1}">next \u203a</a></li>',
                  f'<li class="pager-last last"><a title="Go to last page" href="/press-releases?page={last_page}">last \u00bb</a></li>']
    return f'<div class="item-list"><ul class="pager">{"".join(items)}</ul></div>'


def live_listing_main(rows: list[Release], page: int, last_page: int) -> str:
    """A Drupal 7 listing: ``dt.search-title > h3 > a`` rows, the date in the next ``dd``."""
    items = "\n".join(f"""<dt class="search-title"><h3><a href="{r.path}">{escape(r.title)}</a></h3></dt>
<dd class="search-result-news"><div class="search-info"><span class="publishing-date">Publishing date: {escape(r.date)}</span></div>
 <p class="search-snippet">{escape(r.paragraphs[0][:160])}...</p></dd>""" for r in rows)
    return f"""<div class="content--header"><h1>Press releases</h1></div>
<div class="content--content"><div class="panel-pane"><div class="pane-content">
<dl class="search-results node-results">{items}</dl>
{d7_pager(page, last_page)}</div></div></div>"""


def listing_main(rows: list[Release], page: int, last_page: int) -> str:
    """A ``/press-releases?page=N`` listing with teasers and a Drupal pager."""
    teasers = "\n".join(f"""<div class="views-row"><article class="node node--type-press-release node--view-mode-teaser">
 <h3 class="node__title"><a href="{r.path}" rel="bookmark">{escape(r.title)}</a></h3>
 <div class="publishing-date">Publishing date: {escape(r.date)}</div>
 <div class="teaser-text"><p>{escape(r.paragraphs[0][:160])}...</p></div></article></div>""" for r in rows)
    return f"""<div class="region region-content"><h1 class="page-title">Press releases</h1>
<div class="view view-press-releases"><div class="view-content">{teasers}</div>
{drupal_pager(page, last_page)}</div></div>"""


def closed_main(menu: Menu) -> str:
    items = "".join(f"<li><a href=\"/closed/{_slug(n)}\">{escape(n)}</a></li>" for n in menu.closed_operations)
    return f"""<div class="region region-content"><h1 class="page-title">Closed field activities</h1>
<div class="field field--name-body"><p>The following OSCE field activities have closed.</p><ul>{items}</ul></div></div>"""


def build_site(releases: list[Release], menu: Menu | None = None, per_page: int = 10,
               markup: str = "current") -> dict[str, Page]:
    """Every page of the local OSCE site: home, listings, releases, closed operations, robots.

    ``markup="live"``: every page in the Drupal 7 markup (module docstring).
    """
    menu = menu or seed_menu()
    if markup == "live":
        return _live_site(releases, replace(menu, style="live"), per_page)
    pages: dict[str, Page] = {
        "/robots.txt": Page("User-agent: *\nDisallow: /admin/\nDisallow: /search\n",
                            content_type="text/plain"),
        "/": Page(page_html(menu, "Home", '<div class="region region-content"><h1>Organization for Security and Co-operation in Europe</h1><p>The OSCE is the world\'s largest regional security organization.</p></div>', body_class="path-frontpage")),
        "/countries/closed-field-activities": Page(page_html(menu, "Closed field activities", closed_main(menu))),
    }
    chunks = [releases[i:i + per_page] for i in range(0, len(releases), per_page)] or [[]]
    for number, rows in enumerate(chunks):
        html = page_html(menu, "Press releases", listing_main(rows, number, len(chunks) - 1))
        pages[f"/press-releases?page={number}"] = Page(html)
        if number == 0:
            pages["/press-releases"] = Page(html)
    for rel in releases:
        pages[rel.path] = Page(page_html(menu, rel.title, release_main(rel)))
    return pages


def _live_site(releases: list[Release], menu: Menu, per_page: int) -> dict[str, Page]:
    pages: dict[str, Page] = {
        "/robots.txt": Page("User-agent: *\nDisallow: /admin/\nDisallow: /search\n", content_type="text/plain"),
        "/": Page(d7_page_html(menu, "Home", '<div class="content--header"><h1>Organization for Security and Co-operation in Europe</h1></div>')),
        "/countries/closed-field-activities": Page(d7_page_html(menu, "Closed field activities", f"""
<div class="content--header"><h1>Closed field activities</h1></div><div class="content--content"><div class="pane-content">
<p>The following OSCE field activities have closed.</p><ul>{"".join(f'<li><a href="/closed/{_slug(n)}">{escape(n)}</a></li>' for n in menu.closed_operations)}</ul></div></div>""")),
    }
    chunks = [releases[i:i + per_page] for i in range(0, len(releases), per_page)] or [[]]
    for number, rows in enumerate(chunks):
        html = Page(d7_page_html(menu, "Press releases", live_listing_main(rows, number, len(chunks) - 1)))
        pages[f"/press-releases?page={number}"] = html
        if number == 0:
            pages["/press-releases"] = html
    for rel in releases:
        pages[rel.path] = Page(d7_page_html(menu, rel.title, live_release_main(rel)))
    return pages


def sentence_pool() -> list[str]:
    """Every full sentence of the seed captures (material for generated pages)."""
    pool = []
    for seed in sorted(SEEDS.glob("*.txt")):
        text = seed.read_text()
        text = text[text.find("Press release"):] if "Press release" in text else text
        pool += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 8 and "\n" not in s.strip()]
    return pool


def generated_releases(count: int, start_id: int = 600000, seed: int = 7) -> list[Release]:
    """``count`` distinct releases composed from seed sentences, newest first.

    Each release draws its own sentences, so generated releases are not near-duplicates
    of each other (demos and benchmarks need many distinct releases).
    """
    import random

    rng = random.Random(seed)
    pool = sentence_pool()
    base = seed_releases()
    places = ["VIENNA", "WARSAW", "THE HAGUE", "BISHKEK", "SKOPJE", "PRISTINA", "TIRANA"]
    out = []
    for n in range(count):
        number = start_id + count - n
        year, month = 2025 - n // 120, MONTHS[11 - (n // 10) % 12]
        date, place = f"{28 - n % 10 * 2} {month} {year}", places[n % len(places)]
        sentences = rng.sample(pool, 9)
        paragraphs = [" ".join(sentences[i:i + 3]) for i in range(0, 9, 3)]
        paragraphs[0] = f"{place}, {date} - Release {number}. {paragraphs[0]}"
        template = base[n % len(base)]
        out.append(replace(template, path=f"/pc/{number}", place=place, date=date,
                           title=f"{template.title.split(' ')[0]} statement {number}: {sentences[0][:60]}",
                           paragraphs=paragraphs))
    return out


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def seed_site(url: str = "") -> dict[str, Page]:
    """The local copy as captured: the seed releases and menu (what ``releasewatch
    localsite osce`` serves and the demo's first round crawls)."""
    return build_site(seed_releases(), seed_menu())


if __name__ == "__main__":  # python -m crawler.localsite.osce [PORT]: serve the local copy
    import sys

    from crawler.localsite.serve import module_main

    module_main("osce", "OSCE_BASE_URL", seed_site, sys.argv[1:])
