"""Command-line ``NAME=VALUE`` options shared by the ``releasewatch`` commands."""

from __future__ import annotations

import click


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
