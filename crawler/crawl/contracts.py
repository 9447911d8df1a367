"""``@fixture PATH``: run a spider contract on a saved page instead of the live site.

``scrapy check`` then tests the parse callbacks offline against the saved page
``$RELEASEWATCH_FIXTURES/PATH``; ``make check`` and the tests point it at ``tests/files``
(written by ``python -m crawler.localsite.export tests/files``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scrapy.contracts import Contract


class FixtureContract(Contract):
    """Use a saved page as the contract's request (``@fixture osce/home.html``)."""

    name = "fixture"

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        folder = os.environ.get("RELEASEWATCH_FIXTURES")
        if not folder:
            raise ValueError("@fixture needs RELEASEWATCH_FIXTURES, the folder of saved pages "
                             "(make check uses tests/files)")
        args["url"] = (Path(folder).resolve() / self.args[0]).as_uri()
        return args
