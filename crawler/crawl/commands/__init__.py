"""Project overrides of Scrapy commands (``COMMANDS_MODULE`` in crawler/settings.py).

Run inside Scrapy, like the rest of ``crawler/crawl/``."""
