"""The sources releasewatch crawls: one entry per spider, and the only list of them.

Plain data, no imports: the spiders' names, ``releasewatch crawl``/``seed`` choices, the
scheduler's default jobs, the demo and storage's primary-source rule all come from
:data:`SOURCES`; a ``source`` that is no entry's name is a watched press room
(``releasewatch watch``, run by the ``watch`` spider), ranked by :func:`source_rank`.
Adding a source is one spider file whose ``name`` is a new entry's
``name``, plus that entry (docs/adding-a-source.md).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The spider that runs the press rooms saved by ``releasewatch watch add`` (docs/watch.md).
#: Its releases' ``source`` is the watch's name, a name that is in no entry below.
WATCH = "watch"


@dataclass(frozen=True)
class Source:
    """One source: a spider, and how releasewatch treats what it crawls."""

    #: The spider's ``name``, ``releases.source`` and ``crawl_runs.spider``.
    name: str
    #: What it crawls, for people (``releasewatch crawl --help``).
    title: str
    #: Publishes its own releases (not copies found elsewhere): its edits are versions
    #: while a mirror's are not, and two of its releases that differ in date or title are
    #: never near-duplicates (formulaic releases stay apart). See docs/schema.md.
    primary: bool = True
    #: Default schedule (seconds between crawls); None: not scheduled unless configured.
    every: float | None = None


SOURCES: tuple[Source, ...] = (
    Source("osce", "OSCE press releases and tracked lists (osce.org)", every=30 * 60.0),
    Source("un_news", "UN News stories (news.un.org)", every=15 * 60.0),
    Source("un_press", "UN meetings coverage and press releases (press.un.org)", every=30 * 60.0),
    Source("article", "One article at any URL (-a url=...), e.g. a mirror's copy", primary=False),
    Source(WATCH, "A watched press room (-a name=NAME, saved by `releasewatch watch add`)", primary=False),
)


def names() -> tuple[str, ...]:
    """Every source's name, in registry order."""
    return tuple(source.name for source in SOURCES)


def primary_sources() -> frozenset[str]:
    """Names of the sources that publish their own releases."""
    return frozenset(source.name for source in SOURCES if source.primary)


def default_every() -> dict[str, float]:
    """The scheduler's default jobs: source name -> seconds between crawls."""
    return {source.name: source.every for source in SOURCES if source.every}


def unknown_source(name: str) -> str | None:
    """``None`` for a known source, else the one line that says so and names the spiders
    (a configuration naming ``spider = "osec"`` fails when it is loaded)."""
    if name in names():
        return None
    return f"unknown spider {name!r} (spiders: {', '.join(names())})"


def source_rank(source: str) -> int:
    """Whose copy of a release wins, for storage's primary-source rule: a primary source
    (2) over a watched press room (1: a ``source`` that is no entry's name, the name of a
    ``releasewatch watch``) over a non-primary source such as ``article`` (0). A UN story
    republished by a watched mirror is one release, filed under UN News whichever came first."""
    for entry in SOURCES:
        if entry.name == source:
            return 2 if entry.primary else 0
    return 1


def publishes_own_releases(source: str) -> bool:
    """A primary source or a watched press room: its edits are versions, and two of its
    releases that differ in date or title stay apart (formulaic releases)."""
    return source_rank(source) > 0
