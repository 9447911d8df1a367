"""Scrapy wiring for releasewatch: settings, items, pipelines, health, scheduler and CLI."""
