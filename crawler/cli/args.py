"""Options shared by the ``releasewatch`` commands: ``--db`` and ``NAME=VALUE`` pairs."""

from __future__ import annotations

import os

import click

from storage.schema import DEFAULT_DB


def database(configured: str | None = None) -> str:
    """The database when ``--db`` is not given: env ``RELEASEWATCH_DB``, else the
    configuration's (``releasewatch.toml``, for the scheduler's commands), else
    ``releasewatch.db``."""
    return os.environ.get("RELEASEWATCH_DB") or configured or DEFAULT_DB


def db_option(func=None, *, configured: bool = False):
    """The one ``--db`` option. With ``configured``, an unset ``--db`` is None and the
    command resolves it with :func:`database` after reading its configuration."""
    def decorate(f):
        return click.option(
            "--db", "db_path", default=None if configured else database, show_default=DEFAULT_DB,
            help="SQLite database (default: env RELEASEWATCH_DB"
                 + (", else the configuration's" if configured else "") + ", else releasewatch.db).",
        )(f)
    return decorate(func) if func is not None else decorate


def parse_pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``("full=1", "url=https://x")`` -> ``{"full": "1", "url": "https://x"}``; a value
    without ``=`` or a name is a usage error naming ``option``."""
    out = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r}: expected NAME=VALUE", param_hint=option)
        out[key.strip()] = val.strip()
    return out
