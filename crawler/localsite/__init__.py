"""Local copies of the crawled sites for tests, the offline demo and benchmarks."""
