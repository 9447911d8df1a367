"""``@fixture PATH``: run a spider contract on a saved page instead of the live site.

``scrapy check`` then tests the parse callbacks offline against ``tests/files/PATH``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.contracts import Contract

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "files"


class FixtureContract(Contract):
    """Use a saved page as the contract's request (``@fixture osce/home.html``)."""

    name = "fixture"

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        args["url"] = (FIXTURES / self.args[0]).as_uri()
        return args
