"""Country identity of a State's name: ISO 3166 alpha-3 codes from ``pycountry``.

Two spellings are one State when they have the same code, whatever the list order:
``country_code("Czech Republic") == country_code("Czechia") == "CZE"``. ``pycountry``
knows current ISO names, official names and common names; ``ALIASES`` adds the former
names the OSCE menu has used that ISO no longer lists (docs/sites.md, "States").
"""

from __future__ import annotations

import functools
import re

import pycountry

# Names the OSCE site has printed that pycountry does not resolve (casefolded, no "the ").
ALIASES = {
    "former yugoslav republic of macedonia": "MKD",
    "macedonia": "MKD",
    "turkey": "TUR",
    "holy see": "VAT",
    "netherlands": "NLD",
    "kyrgyz republic": "KGZ",
    "slovak republic": "SVK",
}


@functools.lru_cache(maxsize=1024)
def country_code(name: str | None) -> str | None:
    """The ISO alpha-3 code of the State called ``name``, or None if it is not a country."""
    text = " ".join((name or "").split())
    text = re.sub(r"^the\s+", "", text, flags=re.I)
    if not text:
        return None
    alias = ALIASES.get(text.casefold())
    if alias:
        return alias
    try:
        return pycountry.countries.lookup(text).alpha_3
    except LookupError:
        return None
