"""Benchmarks for releasewatch (issue 11): ``python -m bench`` / ``make bench``.

Every timing is a ratio against a baseline measured in the same run, on the same local
server or the same database file, so the figures mean something on a small, noisy
machine. ``--smoke`` runs every benchmark on tiny inputs in a few seconds: it checks
that the suite still runs, not how fast anything is.
"""
