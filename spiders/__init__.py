"""releasewatch spiders: one short file per source, built on ``spiders.base``."""
