"""Distributed crawling through Redis: the Scrapy add-on (workers), the hand-off protocol and the ingester."""
