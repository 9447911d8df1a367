"""The tracked lists as a site shows them: a headed section of the site menu, or the list
on a page of its own (OSCE participating States, field operations, closed field
operations). Like ``spiders.extract``, nothing here depends on class names alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from spiders.extract import content_root, is_inside
from storage.normalize import split_note

LIST_TAGS = ("ul", "ol")
# Elements that head a menu section (a new one ends the previous section's lists).
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "button", "summary", "dt")
# Inside a menu entry: sub-menus, toggles and screen-reader hints are not its name.
ENTRY_NOISE = ("ul", "ol", "button", "script", "style", "svg", "template", "noscript")
HIDDEN_CLASS = re.compile(r"(^|\s)(visually-hidden|sr-only|screen-reader-text|element-invisible)(\s|$)")


@dataclass
class MenuList:
    """A headed list in a site menu: entries as ``{"name", "note"}`` in site order, and
    the link of every entry (members and navigation) by ``nav_key`` of its text."""

    heading: str
    items: list[dict]
    links: dict[str, str] = field(default_factory=dict)

    def link(self, label: str) -> str | None:
        return self.links.get(nav_key(label))


def nav_key(text: str | None) -> str:
    """Menu text compared without case, spaces and punctuation (``Co-operation``)."""
    return re.sub(r"[\W_]+", "", (text or "").casefold())


def menu_section(root, heading: str, exclude: Iterable[str] = ()) -> MenuList | None:
    """The list headed ``heading`` in a menu, in site order.

    The heading is any element whose whole text is ``heading`` (compared with
    ``nav_key``: a ``span``, ``a``, ``h2``/``h3``, ``button`` or ``summary``; inside a
    ``nav`` or not), and it owns the list(s) that follow it (see ``heading_list``).
    Among several candidates (``Field operations`` is also a plain link in
    ``Fields of work``, or heads a block of stories on the home page) the one inside a
    menu wins, then the one that also holds the section's navigation links, then the one
    with most entries. Entries named in ``exclude`` are navigation, not members.
    """
    wanted = nav_key(heading)
    navigation = {nav_key(e) for e in exclude}
    best, best_rank = None, None
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", *LIST_TAGS) or len(el) > 3:
            continue
        if nav_key(el.text_content()) != wanted:
            continue
        found = heading_list(el, exclude)
        if found is None:
            continue
        rank = (_in_menu(el), bool(navigation & set(found.links)), len(found.items))
        if best_rank is None or rank > best_rank:
            best, best_rank = found, rank
    if best is not None:
        best.heading = heading
    return best


MENU_CLASS = re.compile(r"(^|[\s_-])(menu|nav|navbar|navigation|megamenu)([\s_-]|$)", re.I)


def _in_menu(el) -> bool:
    """Whether ``el`` sits in the site's navigation (``nav``, ``header``, a menu block)."""
    return any(a.tag in ("nav", "header") or a.get("role") == "navigation"
               or MENU_CLASS.search(a.get("class") or "") for a in el.iterancestors())


def heading_list(el, exclude: Iterable[str] = ()) -> MenuList | None:
    """The entries of the list(s) that the heading element ``el`` owns, or None.

    Owned lists follow the heading (or the wrapper that holds nothing but the heading)
    as siblings: one or more consecutive ``ul``/``ol`` (multi-column menus), or the
    lists inside the first following container (a dropdown ``div``); an intro paragraph
    may come between. A heading that is itself an entry of a list owns nothing, so the
    link ``Field operations`` in ``Fields of work`` is not the section. Each entry's name
    is its own text without sub-menus, toggles and hidden hints, split into name and note
    at a spaced dash (``Finland – OSCE Chairpersonship 2025``).
    """
    entries = _owned_entries(el)
    if not entries:
        return None
    excluded = {nav_key(e) for e in exclude}
    items, links = [], {}
    for li in entries:
        text = _visible_text(li)
        if not text:
            continue
        href = li.xpath(".//a/@href")
        if href:
            links.setdefault(nav_key(text), href[0].strip())
        if nav_key(text) in excluded:
            continue
        name, note = split_note(text)
        items.append({"name": name, "note": note})
    return MenuList(" ".join(el.text_content().split()), items, links)


def page_list(root, h1) -> MenuList | None:
    """The entries a page lists under its ``h1`` (a page of closed field operations).

    The list(s) the ``h1`` owns (``heading_list``); failing that, in the content after
    the ``h1``, the items of every top-level list and every heading that is a link (a
    Drupal view of teasers), whatever intro text or group headings come between.
    Strip the page chrome first.
    """
    owned = heading_list(h1)
    if owned is not None and owned.items:
        return owned
    mains = root.xpath("//main|//*[@role='main']|//article")
    scope = next((m for m in mains if is_inside(h1, m)), None)
    scope = scope if scope is not None else content_root(root, h1)
    items, links, after = [], {}, False
    for el in scope.iter("h1", "li", "h2", "h3", "h4", "h5"):
        if el is h1:
            after = True
            continue
        if not after or any(a.tag == "li" for a in el.iterancestors() if is_inside(a, scope)):
            continue
        if el.tag != "li" and not el.xpath(".//a[@href]"):
            continue  # a group heading, not an entry
        text = _visible_text(el)
        if text:
            name, note = split_note(text)
            items.append({"name": name, "note": note})
            href = el.xpath(".//a/@href")
            if href:
                links.setdefault(nav_key(text), href[0].strip())
    return MenuList(" ".join(h1.text_content().split()), items, links) if items else None


def _owned_entries(el) -> list:
    node = el
    text = nav_key(el.text_content())
    while (node.getparent() is not None and node.getparent().tag not in ("li", "body", "html", *LIST_TAGS)
           and nav_key(node.getparent().text_content()) == text):
        node = node.getparent()
    entries, skipped = [], 0
    for sibling in node.itersiblings():
        if not isinstance(sibling.tag, str):
            continue
        if sibling.tag in LIST_TAGS:
            entries.extend(sibling.iterchildren("li"))
            continue
        if entries or sibling.tag == "li" or (sibling.tag in HEADING_TAGS and _visible_text(sibling)):
            break  # another section's heading (an icon-only toggle button is not one)
        lists = _top_lists(sibling)
        if lists:
            return [li for lst in lists for li in lst.iterchildren("li")]
        if _visible_text(sibling):
            skipped += 1
            if skipped > 2:
                break
    return entries


def _top_lists(container) -> list:
    """Lists inside ``container`` that are not sub-menus of another list, in order."""
    return [lst for lst in container.iter(*LIST_TAGS)
            if not any(a.tag in LIST_TAGS for a in lst.iterancestors() if is_inside(a, container))]


def _visible_text(el) -> str:
    """``el``'s text without sub-lists, buttons, scripts and screen-reader-only hints."""
    def text(node) -> list[str]:
        parts = [node.text or ""]
        for child in node:
            if isinstance(child.tag, str) and not (
                child.tag in ENTRY_NOISE or child.get("aria-hidden") == "true"
                or HIDDEN_CLASS.search(child.get("class") or "")
            ):
                parts += text(child)
            parts.append(child.tail or "")
        return parts

    return " ".join(" ".join(text(el)).split())
