"""Runs inside the Scrapy process: items, pipelines, middlewares, HTTP cache, health, progress,
contracts, and the project's Scrapy command overrides (``commands``)."""
