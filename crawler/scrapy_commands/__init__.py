"""Project overrides of Scrapy commands (``COMMANDS_MODULE`` in crawler/settings.py)."""
