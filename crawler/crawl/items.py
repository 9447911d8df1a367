"""Items and item loaders shared by every spider."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import scrapy
from itemloaders.processors import Identity, Join, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from storage.normalize import clean_text, parse_date


class ReleaseItem(scrapy.Item):
    """One release as a page states it (docs/schema.md, ``releases``)."""

    source = scrapy.Field()
    url = scrapy.Field()
    title = scrapy.Field()
    published = scrapy.Field()
    place = scrapy.Field()
    body = scrapy.Field()
    lead = scrapy.Field()
    fields_of_work = scrapy.Field()
    issuers = scrapy.Field()
    topics = scrapy.Field()
    symbol = scrapy.Field()
    document_type = scrapy.Field()


class ListSnapshotItem(scrapy.Item):
    """A tracked list as read from one page: ``items`` is ``[{"name", "note"}]``.

    ``healthy`` is False when the page could not be read well enough to compare.
    """

    list = scrapy.Field()
    items = scrapy.Field()
    url = scrapy.Field()
    healthy = scrapy.Field()
    reason = scrapy.Field()


def _strip(value: str) -> str | None:
    value = clean_text(value)
    return value or None


def _split_commas(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class ReleaseLoader(ItemLoader):
    """Whitespace-clean single values, paragraphs joined by blank lines, list fields
    split on commas and de-duplicated in order."""

    default_item_class = ReleaseItem
    default_input_processor = MapCompose(_strip)
    default_output_processor = TakeFirst()

    published_in = MapCompose(_strip, parse_date)
    body_out = Join("\n\n")
    lead_out = Join("\n\n")
    fields_of_work_in = issuers_in = topics_in = MapCompose(_strip, _split_commas)
    fields_of_work_out = issuers_out = topics_out = Identity()

    # A field's processors, looked up once per loader class, item class and field:
    # itemloaders looks them up on every add_value (the class, then the item's field
    # metadata through a new ItemAdapter): a third of a release's loading time.
    _processors: ClassVar[dict[tuple, Callable]] = {}

    def get_input_processor(self, field_name: str) -> Callable:
        return self._processor(field_name, "in", super().get_input_processor)

    def get_output_processor(self, field_name: str) -> Callable:
        return self._processor(field_name, "out", super().get_output_processor)

    def _processor(self, field_name: str, kind: str, lookup: Callable[[str], Callable]) -> Callable:
        key = (type(self), type(self.item), field_name, kind)
        proc = self._processors.get(key)
        if proc is None:
            proc = self._processors[key] = lookup(field_name)
        return proc

    def load_item(self) -> ReleaseItem:
        item = super().load_item()
        for field in ("fields_of_work", "issuers", "topics"):
            if field in item:
                item[field] = list(dict.fromkeys(item[field]))
        return item
