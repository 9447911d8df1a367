"""Spider arguments (``-a NAME=VALUE``, or a distributed seed's ``args``) arrive as text."""

from __future__ import annotations

from typing import Any

TRUE = {"1", "true", "yes", "on"}


def truthy(value: Any) -> bool:
    """``-a full=1`` / ``yes`` / ``true`` / ``on`` (any case) is on; anything else is off."""
    return str(value).strip().lower() in TRUE if value is not None else False
