"""The scheduler daemon: configuration, the APScheduler loop and notifications. Never loads Scrapy."""
